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
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "smk/sha256.hpp"

namespace smk::transcript {

inline constexpr std::string_view kGenesis = "smk transcript v1";
// Years of ceremonies are a few thousand lines of under 1 KiB each; the cap keeps
// memory bounded whatever file is named (Error(invalid_input) beyond it).
inline constexpr std::size_t kMaxTranscriptBytes = 64 * 1024 * 1024;

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
    std::size_t lines = 0;                 // lines read (complete or not)
    std::size_t first_broken = 0;          // 1-based; 0 when the chain holds
    std::string reason;                    // why that line is broken
    std::string last_hash;                 // SHA-256 hex of the last good line (genesis if none)
    std::vector<std::string> line_hashes;  // SHA-256 hex of each good line, in order
    [[nodiscard]] bool ok() const noexcept { return first_broken == 0; }
};

// SHA-256 hex of the genesis text: the `prev` of line 1.
[[nodiscard]] std::string genesis_hash();

// Checks every line: a complete line ('\n'-terminated), a JSON object with the
// fields above, seq equal to its line number, prev equal to the SHA-256 of the
// line before (genesis for line 1). Reports the first line that breaks; an
// empty file is a valid empty chain. Error(io) if the file cannot be read.
[[nodiscard]] Verification verify_file(const std::filesystem::path& file);

// What `smk transcript verify` requires beyond an intact chain: at least one
// line (an empty file is not a ceremony's record), and, when the value written on
// the paper script is given, that it is the SHA-256 of the last line, so lines cut
// off the end are caught. Error(verification) saying which, and, when the value
// is an earlier line's, how many lines follow it. Call on an intact chain.
void require_complete(const std::filesystem::path& file, const Verification& verification,
                      const std::optional<Sha256>& expected_last);

// Every line, parsed; Error(verification) naming the first broken line.
[[nodiscard]] std::vector<Line> read_file(const std::filesystem::path& file);

// read_file and verify_file from one read of the file, so that the lines and the
// hashes are of the same bytes; Error(verification) naming the first broken line.
struct Record {
    std::vector<Line> lines;
    Verification verification;
};
[[nodiscard]] Record read_verified(const std::filesystem::path& file);

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
    // SHA-256 hex of the last line written (genesis for an empty transcript).
    [[nodiscard]] const std::string& last_hash() const noexcept { return m_prev; }

  private:
    std::filesystem::path m_path;
    int m_fd = -1;
    std::size_t m_seq = 0;
    std::string m_prev;
};

// The time as every line records it: UTC, "2026-12-06T03:01:55Z".
[[nodiscard]] std::string utc_now();

}  // namespace smk::transcript
