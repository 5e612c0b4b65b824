#pragma once
// PC/SC (pcsc-lite) wrapped: a context, reader states, a connection to one card
// that is an APDU Transport, and transactions. Every failure becomes an
// smk::Error(device) that says what happened and what to do next.

#include <PCSC/winscard.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "apdu.hpp"
#include "smk/card.hpp"

namespace smk::card {

// Throws Error(device) for a PC/SC return code: `doing` says what was being
// done ("listing the readers"), `reader` names the reader if there is one.
[[noreturn]] void throw_pcsc(LONG rc, std::string_view doing, std::string_view reader = {});

class PcscContext final {
  public:
    PcscContext();  // Error(device) "pcscd is not running ..." when there is no service
    ~PcscContext();
    PcscContext(const PcscContext&) = delete;
    PcscContext& operator=(const PcscContext&) = delete;

    [[nodiscard]] SCARDCONTEXT handle() const noexcept { return m_handle; }
    // Names of the readers pcscd knows (empty if there are none).
    [[nodiscard]] std::vector<std::string> reader_names() const;
    // Present state of every reader.
    [[nodiscard]] std::vector<ReaderInfo> reader_states() const;

  private:
    SCARDCONTEXT m_handle = 0;
};

// A shared connection to the card in one reader (T=0 or T=1, as the card offers).
class CardConnection final : public Transport {
  public:
    CardConnection(const PcscContext& context, std::string reader);
    ~CardConnection() override;
    CardConnection(const CardConnection&) = delete;
    CardConnection& operator=(const CardConnection&) = delete;

    [[nodiscard]] Secret transmit(std::span<const std::uint8_t> apdu) override;
    [[nodiscard]] bool is_t0() const noexcept override { return m_protocol == SCARD_PROTOCOL_T0; }

    [[nodiscard]] const std::vector<std::uint8_t>& atr() const noexcept { return m_atr; }
    [[nodiscard]] const std::string& reader() const noexcept { return m_reader; }
    // Room for responses longer than 256 bytes (extended length).
    void allow_long_responses() noexcept { m_long_responses = true; }

    // Disconnect with SCARD_RESET_CARD instead of leaving the card as it is:
    // a card keeps a verified PIN across PC/SC connections until it is reset.
    void reset_on_disconnect() noexcept { m_disposition = SCARD_RESET_CARD; }

    // Exclusive access for a multi-APDU operation (SCardBeginTransaction/End).
    void begin_transaction();
    void end_transaction() noexcept;

  private:
    std::string m_reader;
    SCARDHANDLE m_handle = 0;
    DWORD m_protocol = 0;
    std::vector<std::uint8_t> m_atr;
    bool m_long_responses = false;
    bool m_in_transaction = false;
    DWORD m_disposition = SCARD_LEAVE_CARD;
    bool m_broken = false;  // a transmit failed: the card or reader is gone
};

}  // namespace smk::card
