#include "openpgp_card.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "smk/random.hpp"

namespace smk::cardsim {
namespace {

constexpr std::array<std::uint8_t, 6> kRid = {0xD2, 0x76, 0x00, 0x01, 0x24, 0x01};
constexpr std::size_t kMaxChain = 65535;
constexpr std::size_t kMaxChallenge = 0x0800;

enum Ins : std::uint8_t {
    kSelect = 0xA4,
    kGetData = 0xCA,
    kPutData = 0xDA,
    kVerify = 0x20,
    kChangeReference = 0x24,
    kResetRetry = 0x2C,
    kTerminate = 0xE6,
    kActivate = 0x44,
    kGetChallenge = 0x84,
    kGetResponse = 0xC0,
    kGenerateKeyPair = 0x47,
    kInternalAuthenticate = 0x88,
};

}  // namespace

CardConfig factory_config(const CardProfile& profile) noexcept {
    CardConfig config;
    config.profile = &profile;
    const std::uint16_t size = announced_private_do_size(profile);
    config.private_dos = size > 0;
    if (size > 0) {
        config.private_do_size = size;
    }
    return config;
}

OpenPgpCard::OpenPgpCard(CardConfig config, CardState state, std::filesystem::path state_file)
    : m_config(config), m_state(std::move(state)), m_state_file(std::move(state_file)) {}

std::vector<std::uint8_t> OpenPgpCard::atr() const {
    return {m_config.profile->atr.begin(), m_config.profile->atr.end()};
}

void OpenPgpCard::clear_verification() noexcept {
    m_pw1_cds = false;
    m_pw1_other = false;
    m_pw3 = false;
}

void OpenPgpCard::power_event() noexcept {
    clear_verification();
    m_chain = Secret{};
    m_pending = Secret{};
    m_pending_offset = 0;
}

void OpenPgpCard::save() {
    save_state(m_state_file, m_state);
}

std::vector<std::uint8_t> OpenPgpCard::aid() const {
    const CardProfile& profile = *m_config.profile;
    std::vector<std::uint8_t> out(kRid.begin(), kRid.end());
    out.insert(out.end(), profile.version.begin(), profile.version.end());
    out.push_back(static_cast<std::uint8_t>(profile.manufacturer >> 8));
    out.push_back(static_cast<std::uint8_t>(profile.manufacturer & 0xFF));
    out.insert(out.end(), m_state.serial.begin(), m_state.serial.end());
    out.insert(out.end(), {0x00, 0x00});
    return out;
}

Secret OpenPgpCard::process(std::span<const std::uint8_t> command) {
    const auto parsed = parse_command(command);
    if (!parsed) {
        return finish(status_only(sw::wrong_length), 0);
    }
    CommandApdu apdu = *parsed;
    if ((apdu.cla & 0xE0) != 0x00 || (apdu.cla & 0x0C) != 0) {
        return finish(status_only(sw::cla_not_supported), 0);
    }
    if (apdu.ins != kGetResponse) {
        m_pending = Secret{};
        m_pending_offset = 0;
    }
    const bool chained = (apdu.cla & 0x10) != 0;
    if (chained || !m_chain.empty()) {
        if (!m_chain.empty() && apdu.ins != m_chain_ins) {
            m_chain = Secret{};
            if (!chained) {
                return finish(dispatch(apdu), apdu.ne);
            }
        }
        if (m_chain.size() + apdu.data.size() > kMaxChain) {
            m_chain = Secret{};
            return finish(status_only(sw::wrong_length), 0);
        }
        Secret joined(m_chain.size() + apdu.data.size());
        std::copy(m_chain.bytes().begin(), m_chain.bytes().end(), joined.data());
        std::copy(apdu.data.begin(), apdu.data.end(), joined.data() + m_chain.size());
        if (chained) {
            m_chain = std::move(joined);
            m_chain_ins = apdu.ins;
            return finish(status_only(sw::ok), 0);
        }
        m_chain = Secret{};
        apdu.data = joined.bytes();
        return finish(dispatch(apdu), apdu.ne);
    }
    return finish(dispatch(apdu), apdu.ne);
}

Secret OpenPgpCard::finish(Response response, std::size_t ne) {
    // Long answers to a short Le go out in pieces: 61xx, then GET RESPONSE.
    std::size_t send = response.data.size();
    const bool chunked = response.sw == sw::ok && ne > 0 && send > ne;
    if (chunked) {
        send = ne;
        m_pending = std::move(response.data);
        m_pending_offset = send;
        const std::size_t rest = m_pending.size() - send;
        response.sw = static_cast<std::uint16_t>(0x6100 | (rest > 0xFF ? 0 : rest));
    }
    const std::uint8_t* src = chunked ? m_pending.data() : response.data.data();
    Secret out(send + 2);
    if (send > 0) {
        std::memcpy(out.data(), src, send);
    }
    out.data()[send] = static_cast<std::uint8_t>(response.sw >> 8);
    out.data()[send + 1] = static_cast<std::uint8_t>(response.sw & 0xFF);
    return out;
}

Response OpenPgpCard::dispatch(const CommandApdu& apdu) {
    if (apdu.ins == kSelect) {
        return select(apdu);
    }
    if (apdu.ins == kActivate) {
        return activate_file(apdu);
    }
    if (m_state.terminated) {
        return status_only(sw::conditions_not_satisfied);
    }
    switch (apdu.ins) {
        case kGetData:
            return get_data(apdu);
        case kPutData:
            return is_key_object(apdu.p1p2()) ? put_key_object(apdu) : put_data(apdu);
        case kVerify:
            return verify(apdu);
        case kChangeReference:
            return change_reference_data(apdu);
        case kResetRetry:
            return reset_retry_counter(apdu);
        case kTerminate:
            return terminate_df(apdu);
        case kGetChallenge:
            return get_challenge(apdu);
        case kGenerateKeyPair:
            return generate_key_pair(apdu);
        case kInternalAuthenticate:
            return internal_authenticate(apdu);
        case kGetResponse: {
            if (m_pending.empty() || m_pending_offset >= m_pending.size()) {
                return status_only(sw::conditions_not_satisfied);
            }
            const std::size_t want = apdu.ne == 0 ? 256 : apdu.ne;
            const std::size_t n = std::min(want, m_pending.size() - m_pending_offset);
            Response r = ok_with(m_pending.bytes().subspan(m_pending_offset, n));
            m_pending_offset += n;
            const std::size_t rest = m_pending.size() - m_pending_offset;
            if (rest > 0) {
                r.sw = static_cast<std::uint16_t>(0x6100 | (rest > 0xFF ? 0 : rest));
            } else {
                m_pending = Secret{};
                m_pending_offset = 0;
            }
            return r;
        }
        default:
            return status_only(sw::ins_not_supported);
    }
}

Response OpenPgpCard::select(const CommandApdu& apdu) {
    if (apdu.p1 != 0x04) {
        return status_only(sw::not_found);  // no file system: only selection by AID
    }
    const auto full = aid();
    const bool matches = apdu.data.size() >= kRid.size() && apdu.data.size() <= full.size() &&
                         std::equal(apdu.data.begin(), apdu.data.end(), full.begin());
    if (!matches) {
        return status_only(sw::not_found);
    }
    clear_verification();
    return status_only(m_state.terminated ? sw::terminated_state : sw::ok);
}

Response OpenPgpCard::terminate_df(const CommandApdu& apdu) {
    if (apdu.p1 != 0 || apdu.p2 != 0) {
        return status_only(sw::incorrect_p1p2);
    }
    // OpenPGP card 3.4, 7.2.16: allowed after VERIFY PW3 or when PW3 is blocked.
    if (!m_pw3 && m_state.pw3.tries != 0) {
        return status_only(sw::security_not_satisfied);
    }
    m_state.terminated = true;
    save();
    clear_verification();
    return status_only(sw::ok);
}

Response OpenPgpCard::activate_file(const CommandApdu& apdu) {
    if (apdu.p1 != 0 || apdu.p2 != 0) {
        return status_only(sw::incorrect_p1p2);
    }
    if (m_state.terminated) {
        m_state = CardState::factory(m_state.serial);  // the serial is the card's, it stays
        m_state.pw1_valid_multiple = m_config.profile->pw1_valid_multiple;
        save();
        clear_verification();
    }
    return status_only(sw::ok);
}

Response OpenPgpCard::get_challenge(const CommandApdu& apdu) {
    if (apdu.p1 != 0 || apdu.p2 != 0) {
        return status_only(sw::incorrect_p1p2);
    }
    if (apdu.ne == 0 || apdu.ne > kMaxChallenge) {
        return status_only(sw::wrong_length);
    }
    Response r;
    r.data = Secret(apdu.ne);
    system_random().fill(r.data.bytes());
    return r;
}

}  // namespace smk::cardsim
