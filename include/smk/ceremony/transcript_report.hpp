#pragma once
// What `smk transcript` shows of a transcript (smk/ceremony/transcript.hpp): the
// result of checking its hash chain, and the rendering for the paper script that
// the witnesses sign next to. Transcripts hold public values only.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "smk/ceremony/transcript.hpp"

namespace smk::transcript {

// `smk transcript verify --json`: file, lines, ok and either last_line_sha256 or
// first_broken_line and reason (two-space indent, one trailing newline; bytes that
// are not UTF-8 replaced).
[[nodiscard]] std::string verification_json(const std::filesystem::path& file,
                                            const Verification& verification);

// `--json` for an intact chain that require_complete() refused (empty, or not the
// paper's last line): file, lines, ok false, reason.
[[nodiscard]] std::string incomplete_json(const std::filesystem::path& file,
                                          const Verification& verification,
                                          std::string_view reason);

// "FILE: OK, N lines, chain intact; SHA-256 of the last line: H\n" (an intact chain).
[[nodiscard]] std::string verification_text(const std::filesystem::path& file,
                                            const Verification& verification);

// Why a broken chain fails: the first broken line, the reason, what can be trusted.
[[nodiscard]] std::string broken_chain_message(const std::filesystem::path& file,
                                               const Verification& verification);

// The paper-script rendering: a heading, one line per step (seq, time, flow, step)
// with its items, results and digests as "key=value, ...", and the SHA-256 of the
// last line, `last_hash`, to write on the paper script.
[[nodiscard]] std::string render(const std::filesystem::path& file, const std::vector<Line>& lines,
                                 const std::string& last_hash);

}  // namespace smk::transcript
