// PC/SC context, card connection and transactions over pcsc-lite.

#include "pcsc.hpp"

#include <PCSC/pcsclite.h>
#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "smk/error.hpp"

namespace smk::card {
namespace {

constexpr std::size_t kShortResponseBytes = 256 + 2;

std::string in_reader(std::string_view reader) {
    return reader.empty() ? std::string() : fmt::format(" in reader \"{}\"", reader);
}

}  // namespace

void throw_pcsc(LONG rc, std::string_view doing, std::string_view reader) {
    const std::string where = in_reader(reader);
    std::string message;
    switch (rc) {
        case SCARD_E_NO_SERVICE:
        case SCARD_E_SERVICE_STOPPED:
            message = "pcscd is not running; start it (pcscd) and try again";
            break;
        case SCARD_E_NO_READERS_AVAILABLE:
            message = "no smartcard reader found; connect a reader and try again";
            break;
        case SCARD_E_UNKNOWN_READER:
        case SCARD_E_READER_UNAVAILABLE:
            message = fmt::format(
                "reader \"{}\" is not available (unplugged?); check with "
                "'smk card list' and try again",
                reader);
            break;
        case SCARD_E_NO_SMARTCARD:
            message = fmt::format("there is no card{}; insert the card and try again", where);
            break;
        case SCARD_W_REMOVED_CARD:
            message =
                fmt::format("the card was removed{}; put it back and run the command again", where);
            break;
        case SCARD_W_RESET_CARD:
            message = fmt::format(
                "the card{} was reset by another program (e.g. scdaemon or "
                "gpg-agent); stop that program and run the command again",
                where);
            break;
        case SCARD_W_UNRESPONSIVE_CARD:
        case SCARD_W_UNPOWERED_CARD:
        case SCARD_W_UNSUPPORTED_CARD:
            message = fmt::format(
                "the card{} does not answer; take it out, put it back "
                "(chip first, contacts up) and try again",
                where);
            break;
        case SCARD_E_SHARING_VIOLATION:
            message = fmt::format(
                "the card{} is in use by another program (e.g. scdaemon or "
                "gpg-agent); stop it and try again",
                where);
            break;
        case SCARD_E_NOT_TRANSACTED:
        case SCARD_F_COMM_ERROR:
            message = fmt::format(
                "the exchange with the card{} failed (card removed or not "
                "answering); check the card and try again",
                where);
            break;
        case SCARD_E_TIMEOUT:
            message = fmt::format("timed out{}", where);
            break;
        default:
            message = fmt::format("PC/SC error{}: {} (0x{:08X})", where, pcsc_stringify_error(rc),
                                  static_cast<unsigned long>(rc));
            break;
    }
    throw Error(ErrorCategory::device, fmt::format("{}: {}", doing, message));
}

PcscContext::PcscContext() {
    const LONG rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &m_handle);
    if (rc != SCARD_S_SUCCESS) {
        throw_pcsc(rc, "connecting to pcscd");
    }
}

PcscContext::~PcscContext() {
    SCardReleaseContext(m_handle);
}

std::vector<std::string> PcscContext::reader_names() const {
    DWORD length = 0;
    LONG rc = SCardListReaders(m_handle, nullptr, nullptr, &length);
    if (rc == SCARD_E_NO_READERS_AVAILABLE) {
        return {};
    }
    if (rc != SCARD_S_SUCCESS) {
        throw_pcsc(rc, "listing the readers");
    }
    std::string buffer(length, '\0');
    rc = SCardListReaders(m_handle, nullptr, buffer.data(), &length);
    if (rc == SCARD_E_NO_READERS_AVAILABLE) {
        return {};
    }
    if (rc != SCARD_S_SUCCESS) {
        throw_pcsc(rc, "listing the readers");
    }
    std::vector<std::string> names;
    for (std::size_t pos = 0; pos < buffer.size() && buffer[pos] != '\0';) {
        const std::string name(buffer.c_str() + pos);
        pos += name.size() + 1;
        names.push_back(name);
    }
    return names;
}

std::vector<ReaderInfo> PcscContext::reader_states() const {
    const auto names = reader_names();
    if (names.empty()) {
        return {};
    }
    std::vector<SCARD_READERSTATE> states(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        states[i].szReader = names[i].c_str();
        states[i].dwCurrentState = SCARD_STATE_UNAWARE;
    }
    const LONG rc =
        SCardGetStatusChange(m_handle, 0, states.data(), static_cast<DWORD>(states.size()));
    if (rc != SCARD_S_SUCCESS && rc != SCARD_E_TIMEOUT) {
        throw_pcsc(rc, "reading the state of the readers");
    }
    std::vector<ReaderInfo> infos;
    for (std::size_t i = 0; i < names.size(); ++i) {
        const DWORD event = states[i].dwEventState;
        ReaderInfo info;
        info.name = names[i];
        info.card_present = (event & SCARD_STATE_PRESENT) != 0;
        info.exclusive = (event & SCARD_STATE_EXCLUSIVE) != 0;
        info.mute = (event & SCARD_STATE_MUTE) != 0;
        const std::size_t atr_length = std::min<std::size_t>(states[i].cbAtr, MAX_ATR_SIZE);
        info.atr.assign(states[i].rgbAtr, states[i].rgbAtr + atr_length);
        infos.push_back(std::move(info));
    }
    return infos;
}

CardConnection::CardConnection(const PcscContext& context, std::string reader)
    : m_reader(std::move(reader)) {
    LONG rc = SCardConnect(context.handle(), m_reader.c_str(), SCARD_SHARE_SHARED,
                           SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &m_handle, &m_protocol);
    if (rc != SCARD_S_SUCCESS) {
        throw_pcsc(rc, "connecting to the card", m_reader);
    }
    std::array<BYTE, MAX_ATR_SIZE> atr{};
    DWORD atr_length = atr.size();
    DWORD state = 0;
    DWORD protocol = 0;
    DWORD name_length = 0;
    rc = SCardStatus(m_handle, nullptr, &name_length, &state, &protocol, atr.data(), &atr_length);
    if (rc != SCARD_S_SUCCESS) {
        SCardDisconnect(m_handle, SCARD_LEAVE_CARD);
        throw_pcsc(rc, "reading the card's ATR", m_reader);
    }
    m_atr.assign(atr.begin(), atr.begin() + static_cast<std::ptrdiff_t>(atr_length));
}

CardConnection::~CardConnection() {
    end_transaction();
    // A card that stopped answering is not reset: it lost its state with its
    // power, and a reset sent to a vanished card can leave vpcd's reader blind
    // to the next card (smartcard/share_store.cpp).
    SCardDisconnect(m_handle, m_broken ? SCARD_LEAVE_CARD : m_disposition);
}

Secret CardConnection::transmit(std::span<const std::uint8_t> apdu) {
    const SCARD_IO_REQUEST* pci = is_t0() ? SCARD_PCI_T0 : SCARD_PCI_T1;
    Secret response(m_long_responses ? MAX_BUFFER_SIZE_EXTENDED : kShortResponseBytes);
    DWORD length = static_cast<DWORD>(response.size());
    const LONG rc = SCardTransmit(m_handle, pci, apdu.data(), static_cast<DWORD>(apdu.size()),
                                  nullptr, response.data(), &length);
    if (rc != SCARD_S_SUCCESS) {
        m_broken = true;
        throw_pcsc(rc, "talking to the card", m_reader);
    }
    response.truncate(length);
    return response;
}

void CardConnection::begin_transaction() {
    const LONG rc = SCardBeginTransaction(m_handle);
    if (rc != SCARD_S_SUCCESS) {
        throw_pcsc(rc, "reserving the card", m_reader);
    }
    m_in_transaction = true;
}

void CardConnection::end_transaction() noexcept {
    if (m_in_transaction) {
        SCardEndTransaction(m_handle, SCARD_LEAVE_CARD);
        m_in_transaction = false;
    }
}

}  // namespace smk::card
