// Readers: listing, finding one by name, waiting for a card to come or go.

#include <fmt/core.h>

#include <algorithm>
#include <chrono>

#include "pcsc.hpp"
#include "smk/card.hpp"
#include "smk/error.hpp"

namespace smk::card {
namespace {

// pcsc-lite's pseudo reader that changes state when readers come and go.
constexpr const char* kPnpReader = "\\\\?PnP?\\Notification";

std::string quoted_list(const std::vector<std::string>& names) {
    std::string text;
    for (const auto& name : names) {
        text += (text.empty() ? "\"" : ", \"") + name + "\"";
    }
    return text;
}

bool matches(DWORD event_state, CardEvent event) noexcept {
    const bool present = (event_state & SCARD_STATE_PRESENT) != 0;
    return event == CardEvent::inserted ? present : (event_state & SCARD_STATE_EMPTY) != 0;
}

}  // namespace

std::vector<ReaderInfo> list_readers() {
    const PcscContext context;
    return context.reader_states();
}

std::string find_reader(std::string_view name) {
    const PcscContext context;
    const auto names = context.reader_names();
    if (names.empty()) {
        throw Error(ErrorCategory::device,
                    "no smartcard reader found; connect a reader and try again");
    }
    std::vector<std::string> found;
    for (const auto& candidate : names) {
        if (candidate == name) {
            return candidate;
        }
        if (!name.empty() && candidate.find(name) != std::string::npos) {
            found.push_back(candidate);
        }
    }
    if (found.empty()) {
        throw Error(
            ErrorCategory::device,
            fmt::format("no reader matches \"{}\"; the readers are {}", name, quoted_list(names)));
    }
    if (found.size() > 1) {
        throw Error(ErrorCategory::usage,
                    fmt::format("\"{}\" matches {} readers ({}); give more of the name", name,
                                found.size(), quoted_list(found)));
    }
    return found.front();
}

std::optional<std::string> wait_for_card(std::string_view reader, CardEvent event,
                                         std::chrono::milliseconds timeout) {
    const PcscContext context;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        std::vector<std::string> names;
        if (reader.empty()) {
            names = context.reader_names();
        } else {
            names.emplace_back(reader);
        }
        std::vector<SCARD_READERSTATE> states(names.size() + (reader.empty() ? 1 : 0));
        for (std::size_t i = 0; i < names.size(); ++i) {
            states[i].szReader = names[i].c_str();
        }
        if (reader.empty()) {
            states.back().szReader = kPnpReader;
        }
        for (auto& state : states) {
            state.dwCurrentState = SCARD_STATE_UNAWARE;
        }
        const auto count = static_cast<DWORD>(states.size());
        LONG rc = SCardGetStatusChange(context.handle(), 0, states.data(), count);
        if (rc != SCARD_S_SUCCESS && rc != SCARD_E_TIMEOUT) {
            throw_pcsc(rc, "reading the state of the readers", reader);
        }
        for (std::size_t i = 0; i < names.size(); ++i) {
            if (matches(states[i].dwEventState, event)) {
                return names[i];
            }
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return std::nullopt;
        }
        for (auto& state : states) {
            state.dwCurrentState = state.dwEventState & ~static_cast<DWORD>(SCARD_STATE_CHANGED);
        }
        rc = SCardGetStatusChange(context.handle(), static_cast<DWORD>(left.count()), states.data(),
                                  count);
        if (rc == SCARD_E_TIMEOUT) {
            return std::nullopt;
        }
        if (rc != SCARD_S_SUCCESS) {
            throw_pcsc(rc, "waiting for a card", reader);
        }
        // Something changed (a card, or the set of readers): look again.
    }
}

}  // namespace smk::card
