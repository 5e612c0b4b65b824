#pragma once
// A Transport that replays a script of canned exchanges: each step names the
// exact command APDU expected and the response to give. A command that differs
// from the script fails the test with both in hex.

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "apdu.hpp"

namespace smk_test {

using Bytes = std::vector<std::uint8_t>;

inline Bytes hex_bytes(std::string text) {
    std::string clean;
    for (const char c : text) {
        if (c != ' ') {
            clean += c;
        }
    }
    Bytes bytes;
    for (std::size_t i = 0; i + 1 < clean.size(); i += 2) {
        bytes.push_back(static_cast<std::uint8_t>(std::stoul(clean.substr(i, 2), nullptr, 16)));
    }
    return bytes;
}

inline std::string hex_of(std::span<const std::uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    std::string text;
    for (const auto b : bytes) {
        text += kDigits[b >> 4];
        text += kDigits[b & 0x0F];
    }
    return text;
}

struct Exchange {
    Bytes command;
    Bytes response;
};

class FakeTransport final : public smk::card::Transport {
  public:
    explicit FakeTransport(std::vector<Exchange> script, bool t0 = false)
        : m_script(std::move(script)), m_t0(t0) {}

    [[nodiscard]] smk::Secret transmit(std::span<const std::uint8_t> apdu) override {
        REQUIRE_MESSAGE(m_next < m_script.size(), "unexpected extra command " << hex_of(apdu));
        const Exchange& step = m_script[m_next++];
        CHECK_MESSAGE(hex_of(apdu) == hex_of(step.command),
                      "command " << m_next << " differs from the script");
        return smk::Secret::copy_of(step.response);
    }
    [[nodiscard]] bool is_t0() const noexcept override { return m_t0; }

    [[nodiscard]] bool all_used() const noexcept { return m_next == m_script.size(); }

  private:
    std::vector<Exchange> m_script;
    std::size_t m_next = 0;
    bool m_t0 = false;
};

inline std::vector<Exchange> script(
    std::initializer_list<std::pair<std::string, std::string>> steps) {
    std::vector<Exchange> exchanges;
    for (const auto& [command, response] : steps) {
        exchanges.push_back({hex_bytes(command), hex_bytes(response)});
    }
    return exchanges;
}

}  // namespace smk_test
