#pragma once
// Input and output for the smk command: reading files and stdin into secret
// memory, splitting them into named mnemonics, writing new 0600 files, and
// writing text (secret or public) to stdout/stderr without stdio buffers, so
// that no copy of a secret is left in a heap buffer we cannot wipe.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smk/atomic_file.hpp"
#include "smk/kcv.hpp"
#include "smk/secret.hpp"
#include "smk/secret_input.hpp"
#include "smk/slip39.hpp"

namespace smk::cli {

// Secret input (smk/secret_input.hpp) under the names the commands use.
using smk::input_name;
using smk::kMaxInputBytes;
using smk::read_input;
using smk::SecretText;

// The mnemonics in `inputs` (none: stdin), one per line, blank lines ignored,
// each named "FILE line N" or "stdin line N". "-" may appear once.
// If no line holds a mnemonic: Error(invalid_input) saying the input is empty (a
// command that takes a share was given a wrong file), or for a command that
// recovers from any number of shares (combine), Error(insufficient).
enum class NoShares { invalid_input, insufficient };
[[nodiscard]] std::vector<slip39::NamedMnemonic> read_mnemonics(
    const std::vector<std::string>& inputs, NoShares when_none = NoShares::invalid_input);

// Write all bytes to a file descriptor (1: stdout, 2: stderr); Error(io) on failure.
void write_all(int fd, std::span<const std::uint8_t> bytes);
void write_all(int fd, std::string_view text);
inline void print_out(std::string_view text) {
    write_all(1, text);
}
inline void print_err(std::string_view text) {
    write_all(2, text);
}

[[nodiscard]] bool is_terminal(int fd) noexcept;

// Error(refused) if `path` exists (smk/atomic_file.hpp).
using smk::refuse_existing;

// Create `path` (mode 0600, never overwriting, temp + fsync + rename) holding
// the given parts one after the other.
void write_new_secret_file(const std::filesystem::path& path,
                           std::initializer_list<std::span<const std::uint8_t>> parts);

// "T/N" (e.g. "5/7") as a group spec; Error(usage) if it is not two numbers.
[[nodiscard]] slip39::GroupSpec parse_group_spec(const std::string& text);

// "A" for group 0, "B" for group 1, ...
using slip39::set_letter;

// The KCV of a key in hex, or nullopt if the key is not 16, 24 or 32 bytes.
[[nodiscard]] std::optional<std::string> kcv_text(std::span<const std::uint8_t> key);

// Normalise an --expect-kcv argument to 6 lower-case hex digits; Error(usage) if it is not.
[[nodiscard]] std::string parse_expected_kcv(std::string_view text);

// Error(verification) showing both values if `key`'s KCV is not `expected`
// (already normalised). `what` names the key, e.g. "the recovered SMK";
// `consequence` is appended to the message, e.g. "; nothing was written".
void check_kcv(std::span<const std::uint8_t> key, const std::string& expected,
               std::string_view what, std::string_view consequence = "");

// A JSON string literal of public text.
[[nodiscard]] std::string json_quote(std::string_view text);

}  // namespace smk::cli
