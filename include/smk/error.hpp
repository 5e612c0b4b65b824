#pragma once
// One error type for all of smk. The category decides the process exit code
// (see exit_code() and README.md "Exit codes"); the message says what is wrong,
// names the share, card, file or drive at fault, and what to do next.
// Messages never carry secret material (keys, shares, PINs, passphrases).

#include <stdexcept>
#include <string>
#include <string_view>

namespace smk {

enum class ErrorCategory {
    usage,          // bad options or arguments
    invalid_input,  // malformed share, file or parameter (checksum, format, ranges)
    insufficient,   // not enough shares to recover a set
    verification,   // a check failed: digest, KCV, shares that disagree, read-back
    io,             // reading or writing a file failed
    refused,        // would overwrite a share, key or file without an explicit flag
    device,         // card, reader, token or drive failure
    interrupted,    // stopped at a safe point by SIGINT/SIGTERM/SIGHUP (smk/interrupt.hpp)
    internal,       // a bug: an invariant did not hold
};

class Error final : public std::runtime_error {
  public:
    Error(ErrorCategory category, const std::string& message)
        : std::runtime_error(message), m_category(category) {}

    [[nodiscard]] ErrorCategory category() const noexcept { return m_category; }

  private:
    ErrorCategory m_category;
};

// Stable process exit codes, one per category. 0 is success.
[[nodiscard]] int exit_code(ErrorCategory category) noexcept;
// Short lower-case name of a category, e.g. "invalid input".
[[nodiscard]] std::string_view category_name(ErrorCategory category) noexcept;

}  // namespace smk
