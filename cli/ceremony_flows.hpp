#pragma once
// The ceremony flows (cli/ceremony_*.cpp), registered by cli/ceremony.cpp.
// Each flow loads and validates the plan, checks the hardware in front of it
// against the plan before anything irreversible, records every step in the
// transcript (never a secret), and prints one line per item for the paper script.

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "card_session.hpp"
#include "pin.hpp"
#include "smk/ceremony_plan.hpp"
#include "smk/secret.hpp"
#include "smk/slip39.hpp"
#include "smk/transcript.hpp"

namespace smk::cli {

struct CeremonyOptions {
    std::string plan;
    std::string transcript;  // overrides the plan's
    std::string facility;    // "": the plan's first facility
    bool dry_run = false;
    bool no_eject = false;       // backup-copies: leave the drives mounted
    PinOptions card_pin;         // cards (else the plan's [cards] pin_file, else a prompt)
    std::string token_pin_file;  // tokens (else each token's pin_file, else a prompt)
    bool batch = false;          // take the cards present, never prompt
    bool interactive = false;    // prompt and wait for every card
    unsigned card_timeout_s = 600;
    std::string plan_out;    // issue/reissue: where the new plan goes
    unsigned holder = 0;     // reissue
    std::string set;         // reissue: "A" or "B"; restore: the set to use
    bool new_split = false;  // reissue
};

// The transcript of one flow (nothing is written in a dry run) and the text
// for the operator: steps go to stderr, result lines to stdout.
class Journal final {
  public:
    Journal(const ceremony::Plan& plan, const CeremonyOptions& options, std::string flow);

    void record(std::string step, transcript::Fields items, transcript::Fields results = {},
                transcript::Fields digests = {});
    void say(std::string_view text) const;     // stderr: what is happening
    void result(std::string_view line) const;  // stdout: one line for the script
    [[nodiscard]] bool dry_run() const noexcept { return m_writer == nullptr; }
    [[nodiscard]] std::string path() const;

  private:
    std::string m_flow;
    std::filesystem::path m_path;
    std::unique_ptr<transcript::Writer> m_writer;
};

// SHA-256 hex of text (plans, manifests).
[[nodiscard]] std::string sha256_text_hex(std::string_view text);

// The card session for a flow, with the PIN source and mode from the options/plan.
[[nodiscard]] CardSessionOptions card_session_options(const ceremony::Plan& plan,
                                                      const CeremonyOptions& options);

// Writes the 14 shares of `split` to the planned cards holder by holder with
// the one card writer (split_to_cards.hpp: every card checked first, each
// record read back, each set self-checked, rolled back on failure), recording
// each step in the journal.
void write_split_to_cards(const ceremony::Plan& plan, CardSession& session,
                          const slip39::SplitResult& split, const Secret& smk_key, bool overwrite,
                          Journal& journal);

void run_backup_copies(const CeremonyOptions& options);
void run_issue(const CeremonyOptions& options);
void run_restore(const CeremonyOptions& options);
void run_reissue(const CeremonyOptions& options);

}  // namespace smk::cli
