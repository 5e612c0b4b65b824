#pragma once
// The card side of vsmartcard's vpcd protocol: a TCP client to the port pcscd's
// vpcd driver listens on. Every message is a 2-byte big-endian length and a
// payload; a 1-byte payload is a control code, a longer one a command APDU.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "smk/secret.hpp"

namespace smk::cardsim {

enum class VpcdControl : std::uint8_t { power_off = 0, power_on = 1, reset = 2, atr = 4 };

class VpcdLink final {
  public:
    VpcdLink() = default;
    ~VpcdLink();
    VpcdLink(const VpcdLink&) = delete;
    VpcdLink& operator=(const VpcdLink&) = delete;

    // One connection attempt; false (with errno-based text in `why`) if refused.
    [[nodiscard]] bool connect(const std::string& host, std::uint16_t port, std::string& why);
    // Next message (secret memory: APDUs may carry PINs); nullopt when the
    // connection closed or failed (or a signal interrupted the read).
    [[nodiscard]] std::optional<Secret> receive();
    // Sends one length-prefixed message; false if the connection failed.
    [[nodiscard]] bool send(std::span<const std::uint8_t> payload);
    void close() noexcept;
    [[nodiscard]] bool connected() const noexcept { return m_fd >= 0; }

  private:
    [[nodiscard]] bool read_exact(std::uint8_t* out, std::size_t n);
    int m_fd = -1;
};

}  // namespace smk::cardsim
