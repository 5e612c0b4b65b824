#pragma once
// Stopping a long operation at a safe point when the operator presses Ctrl-C or
// the process is asked to terminate. While an InterruptScope lives, SIGINT,
// SIGTERM and SIGHUP only set a flag; the operation calls throw_if_interrupted()
// where stopping leaves nothing half-done (between chunks of a copy: the
// temporary files are removed as the exception unwinds), and the process exits
// with code 130 and a message saying what to do. A second signal while the first
// is pending takes the signal's default action (the operator insists).
// Outside a scope the signals keep their default action.

#include <string_view>

namespace smk {

class InterruptScope final {
  public:
    InterruptScope();
    ~InterruptScope();
    InterruptScope(const InterruptScope&) = delete;
    InterruptScope& operator=(const InterruptScope&) = delete;
};

// Whether a signal arrived inside the current scope.
[[nodiscard]] bool interrupt_requested() noexcept;

// Throws Error(interrupted) "SIGINT received: <what_to_do>" when a signal
// arrived inside the current scope.
void throw_if_interrupted(std::string_view what_to_do);

}  // namespace smk
