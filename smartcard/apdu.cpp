// APDU building and the exchange that follows the card's answers.

#include "apdu.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstring>

#include "smk/error.hpp"

namespace smk::card {
namespace {

constexpr std::size_t kShortDataMax = 255;
constexpr int kMaxFollowUps = 64;  // GET RESPONSE rounds before we call the card broken

// Response data gathered over several answers, in secret memory.
class Gathered final {
  public:
    void append(std::span<const std::uint8_t> bytes) {
        if (m_buf.size() - m_len < bytes.size()) {
            Secret bigger(std::max(m_buf.size() * 2, m_len + bytes.size()));
            if (m_len > 0) {
                std::memcpy(bigger.data(), m_buf.data(), m_len);
            }
            m_buf = std::move(bigger);
        }
        if (!bytes.empty()) {
            std::memcpy(m_buf.data() + m_len, bytes.data(), bytes.size());
        }
        m_len += bytes.size();
    }
    [[nodiscard]] Secret release() noexcept {
        m_buf.truncate(m_len);
        return std::move(m_buf);
    }

  private:
    Secret m_buf;
    std::size_t m_len = 0;
};

StatusWord status_of(std::span<const std::uint8_t> response) {
    if (response.size() < 2) {
        throw Error(ErrorCategory::device,
                    fmt::format("the card gave a response of {} bytes, too short to be an APDU "
                                "response; take the card out, put it back and try again",
                                response.size()));
    }
    const std::size_t n = response.size();
    return StatusWord{static_cast<std::uint16_t>((response[n - 2] << 8) | response[n - 1])};
}

// Sends one APDU and follows 61xx (GET RESPONSE) and 6Cxx (resend with Le)
// answers; returns the gathered data and the final status word.
Response send_following(Transport& transport, const Command& command, std::size_t le,
                        bool extended) {
    Gathered data;
    Secret apdu = build_apdu(command, le, extended);
    Secret answer = transport.transmit(apdu.bytes());
    StatusWord sw = status_of(answer.bytes());
    for (int round = 0; round < kMaxFollowUps; ++round) {
        const auto body = answer.bytes().first(answer.size() - 2);
        if (sw.sw1() == 0x6C) {
            // Wrong Le: the card says how many bytes it has; ask again for exactly that.
            apdu = build_apdu(command, sw.sw2() == 0 ? 256 : sw.sw2(), extended);
            answer = transport.transmit(apdu.bytes());
            sw = status_of(answer.bytes());
            continue;
        }
        data.append(body);
        if (sw.sw1() != 0x61) {
            return Response{data.release(), sw};
        }
        const Command get_response{0x00, 0xC0, 0x00, 0x00, {}, true};
        apdu = build_apdu(get_response, sw.sw2() == 0 ? 256 : sw.sw2(), false);
        answer = transport.transmit(apdu.bytes());
        sw = status_of(answer.bytes());
    }
    throw Error(ErrorCategory::device,
                fmt::format("the card kept asking for GET RESPONSE ({} rounds); take the card "
                            "out, put it back and try again",
                            kMaxFollowUps));
}

}  // namespace

std::string status_meaning(std::uint16_t sw) {
    if ((sw & 0xFFF0) == 0x63C0) {
        return fmt::format("verification failed, {} tries left", sw & 0x0F);
    }
    if ((sw & 0xFF00) == 0x6100) {
        return "more response data available";
    }
    if ((sw & 0xFF00) == 0x6C00) {
        return "wrong Le";
    }
    switch (sw) {
        case 0x9000:
            return "success";
        case 0x6281:
            return "part of the returned data may be corrupted";
        case 0x6285:
            return "selected file or application is terminated";
        case 0x6300:
            return "verification failed";
        case 0x6400:
            return "execution error (card state unchanged)";
        case 0x6581:
            return "memory failure";
        case 0x6700:
            return "wrong length";
        case 0x6881:
            return "logical channel not supported";
        case 0x6882:
            return "secure messaging not supported";
        case 0x6883:
            return "last command of the chain expected";
        case 0x6884:
            return "command chaining not supported";
        case 0x6982:
            return "security status not satisfied (PIN not verified)";
        case 0x6983:
            return "authentication method blocked (PIN blocked)";
        case 0x6984:
            return "reference data not usable";
        case 0x6985:
            return "conditions of use not satisfied";
        case 0x6986:
            return "command not allowed";
        case 0x6A80:
            return "incorrect parameters in the data field";
        case 0x6A81:
            return "function not supported";
        case 0x6A82:
            return "file or application not found";
        case 0x6A84:
            return "not enough memory space";
        case 0x6A86:
            return "incorrect parameters P1-P2";
        case 0x6A88:
            return "referenced data not found";
        case 0x6B00:
            return "wrong parameters P1-P2";
        case 0x6D00:
            return "instruction not supported";
        case 0x6E00:
            return "class not supported";
        case 0x6F00:
            return "no precise diagnosis";
        default:
            return "unknown status";
    }
}

std::string StatusWord::text() const {
    return fmt::format("{:04X} {}", value, status_meaning(value));
}

CardCapabilities capabilities_from_atr(std::span<const std::uint8_t> atr) {
    CardCapabilities caps;
    if (atr.size() < 2) {
        return caps;
    }
    std::size_t pos = 1;
    const std::size_t historical_count = atr[pos] & 0x0F;
    unsigned indicator = atr[pos] >> 4;
    ++pos;
    while (indicator != 0) {
        for (unsigned bit = 0; bit < 3; ++bit) {
            pos += (indicator >> bit) & 1U;  // TA, TB, TC
        }
        if ((indicator & 0x08) == 0 || pos >= atr.size()) {
            break;
        }
        indicator = atr[pos] >> 4;  // TD
        ++pos;
    }
    if (pos + historical_count > atr.size() || historical_count == 0) {
        return caps;
    }
    const auto historical = atr.subspan(pos, historical_count);
    if (historical[0] != 0x00 && historical[0] != 0x80) {
        return caps;  // not compact-TLV
    }
    // Category 00 ends with three status bytes that are not TLV.
    const std::size_t end =
        historical[0] == 0x00 && historical.size() >= 4 ? historical.size() - 3 : historical.size();
    for (std::size_t i = 1; i < end;) {
        const unsigned tag = historical[i] >> 4;
        const std::size_t length = historical[i] & 0x0F;
        if (i + 1 + length > end) {
            break;
        }
        if (tag == 0x7 && length >= 3) {
            const std::uint8_t functions = historical[i + 3];
            caps.chaining = (functions & 0x80) != 0;
            caps.extended_length = (functions & 0x40) != 0;
        }
        i += 1 + length;
    }
    if (caps.extended_length) {
        caps.max_command_data = 65535;
        caps.max_response_data = 65536;
    }
    return caps;
}

Secret build_apdu(const Command& command, std::size_t le, bool extended) {
    const std::size_t lc = command.data.size();
    const bool use_extended = extended && (lc > kShortDataMax || le > 256);
    if (!use_extended && (lc > kShortDataMax || le > 256)) {
        throw Error(ErrorCategory::internal, "a short APDU cannot carry this length");
    }
    if (lc > 65535 || le > 65536) {
        throw Error(ErrorCategory::internal, "an APDU cannot carry this length");
    }
    std::size_t size = 4;
    if (use_extended) {
        size += (lc > 0 ? 3 + lc : 0) + (le > 0 ? (lc > 0 ? 2 : 3) : 0);
    } else {
        size += (lc > 0 ? 1 + lc : 0) + (le > 0 ? 1 : 0);
    }
    Secret apdu(size);
    std::uint8_t* out = apdu.data();
    std::size_t pos = 0;
    out[pos++] = command.cla;
    out[pos++] = command.ins;
    out[pos++] = command.p1;
    out[pos++] = command.p2;
    if (use_extended) {
        if (lc > 0) {
            out[pos++] = 0x00;
            out[pos++] = static_cast<std::uint8_t>(lc >> 8);
            out[pos++] = static_cast<std::uint8_t>(lc & 0xFF);
            std::memcpy(out + pos, command.data.data(), lc);
            pos += lc;
        }
        if (le > 0) {
            if (lc == 0) {
                out[pos++] = 0x00;
            }
            const std::size_t field = le == 65536 ? 0 : le;
            out[pos++] = static_cast<std::uint8_t>(field >> 8);
            out[pos++] = static_cast<std::uint8_t>(field & 0xFF);
        }
    } else {
        if (lc > 0) {
            out[pos++] = static_cast<std::uint8_t>(lc);
            std::memcpy(out + pos, command.data.data(), lc);
            pos += lc;
        }
        if (le > 0) {
            out[pos++] = static_cast<std::uint8_t>(le == 256 ? 0 : le);
        }
    }
    return apdu;
}

Response exchange(Transport& transport, const CardCapabilities& caps, const Command& command) {
    const std::size_t lc = command.data.size();
    const bool t0 = transport.is_t0();
    const bool extended =
        caps.extended_length && !t0 && (lc > kShortDataMax || caps.max_response_data > 256);
    std::size_t le = 0;
    if (command.expect_response && !(t0 && lc > 0)) {  // T=0 case 4: no Le, the card says 61xx
        le = extended ? std::min<std::size_t>(caps.max_response_data, 65536) : 256;
    }
    if (lc <= kShortDataMax || (extended && lc <= caps.max_command_data)) {
        return send_following(transport, command, le, extended);
    }
    if (!caps.chaining) {
        throw Error(ErrorCategory::device,
                    fmt::format("the command carries {} bytes but the card announces neither "
                                "command chaining nor extended length for more than {}",
                                lc, kShortDataMax));
    }
    // Command chaining: every part but the last has CLA bit 0x10 and must be accepted with 9000.
    std::size_t offset = 0;
    while (lc - offset > kShortDataMax) {
        Command part = command;
        part.cla = static_cast<std::uint8_t>(command.cla | 0x10);
        part.data = command.data.subspan(offset, kShortDataMax);
        part.expect_response = false;
        const Response answer = send_following(transport, part, 0, false);
        if (!answer.sw.ok()) {
            return Response{Secret(), answer.sw};
        }
        offset += kShortDataMax;
    }
    Command last = command;
    last.data = command.data.subspan(offset);
    return send_following(transport, last, le > 256 ? 256 : le, false);
}

}  // namespace smk::card
