#include "smk/interrupt.hpp"

#include <csignal>
#include <cstring>
#include <iterator>
#include <string>

#include "smk/error.hpp"

namespace smk {
namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};

volatile std::sig_atomic_t g_pending_signal = 0;
struct sigaction g_previous[std::size(kSignals)]{};
int g_depth = 0;  // scopes nest (a copy inside a ceremony flow)

extern "C" void note_interrupt(int signal_number) {
    if (g_pending_signal != 0) {
        // Second signal: the operator insists; take the default action now.
        std::signal(signal_number, SIG_DFL);
        std::raise(signal_number);
        return;
    }
    g_pending_signal = signal_number;
}

}  // namespace

InterruptScope::InterruptScope() {
    if (g_depth++ > 0) {
        return;
    }
    g_pending_signal = 0;
    for (std::size_t i = 0; i < std::size(kSignals); ++i) {
        struct sigaction action {};
        action.sa_handler = note_interrupt;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;  // the operation checks the flag; syscalls go on
        ::sigaction(kSignals[i], &action, &g_previous[i]);
    }
}

InterruptScope::~InterruptScope() {
    if (--g_depth > 0) {
        return;
    }
    for (std::size_t i = 0; i < std::size(kSignals); ++i) {
        ::sigaction(kSignals[i], &g_previous[i], nullptr);
    }
}

bool interrupt_requested() noexcept {
    return g_pending_signal != 0;
}

void throw_if_interrupted(std::string_view what_to_do) {
    const int signal_number = g_pending_signal;
    if (signal_number == 0) {
        return;
    }
    const char* name = sigabbrev_np(signal_number);
    throw Error(ErrorCategory::interrupted, std::string("SIG") + (name != nullptr ? name : "?") +
                                                " received: " + std::string(what_to_do));
}

}  // namespace smk
