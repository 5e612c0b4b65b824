#pragma once
// The ceremony transcript: an append-only, hash-chained file of JSON lines, the
// audit record every ceremony flow leaves next to the paper script.
//
// One line per step, each a JSON object with, in this order:
//   seq      1, 2, 3 ... (the line number)
//   time     UTC, "2026-11-30T01:02:03Z"
//   flow     "issue", "restore", "reissue", "backup-copies", ...
//   step     what happened, e.g. "card-written", "drive-verified"
//   items    serials of the physical items involved (cards, bags, drives, tokens)
//   results  outcomes ("ok", counts, KCVs, identifiers)
//   digests  SHA-256 (hex) of files or trees the step produced or checked
//   prev     SHA-256 (hex) of the previous line's exact bytes, without its '\n';
//            for line 1, of the genesis text kGenesis ("smk transcript v1")
//   sha256   SHA-256 (hex) of this line's own bytes before ',"sha256":"', so an
//            edited line is caught at that line, not only at the next one
// Never a secret: no key, share, mnemonic, PIN or passphrase. Callers pass only
// public values (serials, KCVs, identifiers, digests, counts).
//
// Appending opens the file with O_APPEND, writes one whole line and fsyncs it
// before returning, under an exclusive flock() so two flows cannot interleave.
// A transcript that exists is continued: its whole chain is verified first and
// a broken one is refused (Error(verification) naming the line).

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smk::transcript {

inline constexpr std::string_view kGenesis = "smk transcript v1";

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Entry {
    std::string flow;
    std::string step;
    Fields items;
    Fields results;
    Fields digests;
};

// A line as read back (fields in file order; values rendered as text).
struct Line {
    std::size_t seq = 0;
    std::string time;
    std::string flow;
    std::string step;
    Fields items;
    Fields results;
    Fields digests;
    std::string prev;
};

struct Verification {
    std::size_t lines = 0;         // lines read (complete or not)
    std::size_t first_broken = 0;  // 1-based; 0 when the chain holds
    std::string reason;            // why that line is broken
    std::string last_hash;         // SHA-256 hex of the last good line (genesis if none)
    [[nodiscard]] bool ok() const noexcept { return first_broken == 0; }
};

// SHA-256 hex of the genesis text: the `prev` of line 1.
[[nodiscard]] std::string genesis_hash();

// Checks every line: a complete line ('\n'-terminated), a JSON object with the
// fields above, seq equal to its line number, prev equal to the SHA-256 of the
// line before (genesis for line 1). Reports the first line that breaks; an
// empty file is a valid empty chain. Error(io) if the file cannot be read.
[[nodiscard]] Verification verify_file(const std::filesystem::path& file);

// Every line, parsed; Error(verification) naming the first broken line.
[[nodiscard]] std::vector<Line> read_file(const std::filesystem::path& file);

class Writer final {
  public:
    // Opens (creating, 0644) and locks the transcript, verifying an existing one.
    // Error(verification) for a broken chain, Error(refused) when another process
    // holds the lock, Error(io) when it cannot be opened.
    explicit Writer(std::filesystem::path file);
    ~Writer();
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    // Appends one line and fsyncs it. Error(io) if it cannot be written whole.
    void append(const Entry& entry);

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }
    [[nodiscard]] std::size_t lines() const noexcept { return m_seq; }

  private:
    std::filesystem::path m_path;
    int m_fd = -1;
    std::size_t m_seq = 0;
    std::string m_prev;
};

}  // namespace smk::transcript
