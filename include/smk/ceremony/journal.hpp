#pragma once
// The journal of one ceremony flow: the transcript records (never a secret)
// and the words for the operator, which go to an Output the caller supplies.
// The CLI's Output prints (steps to stderr, result lines to stdout); a test's
// captures them, so a flow runs in-process without a terminal.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "smk/ceremony/plan.hpp"
#include "smk/ceremony/transcript.hpp"

namespace smk::ceremony {

// Where a flow's words go.
class Output {
  public:
    Output() = default;
    Output(const Output&) = delete;
    Output& operator=(const Output&) = delete;
    virtual ~Output() = default;

    virtual void say(std::string_view text) = 0;     // what is happening ("...\n" lines)
    virtual void result(std::string_view line) = 0;  // one line for the script, without '\n'
};

class Journal final {
  public:
    // Appends to `transcript` (continuing a chain that verifies); a dry run
    // writes nothing.
    Journal(std::filesystem::path transcript, bool dry_run, std::string flow, Output& output);

    // The flow's first record also carries smk_version and smk_commit (results) and
    // smk_binary, the SHA-256 of the running binary (digests).
    void record(std::string step, transcript::Fields items, transcript::Fields results = {},
                transcript::Fields digests = {});
    // The flow's last line ("done", result ok, with `items`), then the value to
    // write on the paper script: the SHA-256 of that line in hex and PGP words
    // (`smk transcript verify --expect-last` checks it later). A dry run writes no
    // line and prints no value.
    void finish(transcript::Fields items = {}, transcript::Fields digests = {});
    // Only the value to write on the paper script (what finish() prints after its line).
    void print_paper_value() const;
    void say(std::string_view text) const;
    void result(std::string_view line) const;
    [[nodiscard]] bool dry_run() const noexcept { return m_writer == nullptr; }
    [[nodiscard]] std::string path() const;
    [[nodiscard]] Output& output() const noexcept { return m_output; }

  private:
    std::string m_flow;
    std::filesystem::path m_path;
    std::unique_ptr<transcript::Writer> m_writer;
    Output& m_output;
    bool m_started = false;  // the first line (with smk's provenance) is written
};

// The transcript a flow appends to: `given` (--transcript), else the plan's.
[[nodiscard]] std::filesystem::path transcript_path(const Plan& plan, std::string_view given);

}  // namespace smk::ceremony
