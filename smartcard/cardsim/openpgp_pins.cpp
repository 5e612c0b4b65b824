// VERIFY, CHANGE REFERENCE DATA and RESET RETRY COUNTER with real retry
// counters (OpenPGP card 3.4, 7.2.2-7.2.4). A counter is decremented and saved
// before the answer, so pulling the card cannot buy extra tries.
#include <algorithm>

#include "openpgp_card.hpp"

namespace smk::cardsim {
namespace {

constexpr std::size_t kMinPw1 = 6;
constexpr std::size_t kMinPw3 = 8;
constexpr std::size_t kMinRc = 8;
constexpr std::size_t kMaxPin = 127;

std::uint16_t retries_status(std::uint8_t tries) {
    return static_cast<std::uint16_t>(sw::retries_left_base | tries);
}

}  // namespace

std::uint16_t OpenPgpCard::check_pin(PinState& pin, std::span<const std::uint8_t> candidate) {
    if (pin.tries == 0) {
        return sw::auth_blocked;
    }
    if (!pin.value.empty() && constant_time_equal(pin.value.bytes(), candidate)) {
        if (pin.tries != kMaxTries) {
            pin.tries = kMaxTries;
            save();
        }
        return sw::ok;
    }
    --pin.tries;
    save();
    return retries_status(pin.tries);
}

Response OpenPgpCard::verify(const CommandApdu& apdu) {
    const bool reads_p1 = !(m_config.verify_reset_ignored && apdu.p1 == 0xFF);
    if (apdu.p1 == 0xFF && reads_p1) {  // 3.4: reset the access status of the referenced PIN
        if (!m_config.verify_reset) {
            return status_only(sw::incorrect_p1p2);  // a 2.x card: the PIN stays verified
        }
        if (!apdu.data.empty()) {
            return status_only(sw::wrong_length);
        }
        if (apdu.p2 == 0x81) {
            m_pw1_cds = false;
        } else if (apdu.p2 == 0x82) {
            m_pw1_other = false;
        } else if (apdu.p2 == 0x83) {
            m_pw3 = false;
        } else {
            return status_only(sw::incorrect_p1p2);
        }
        return status_only(sw::ok);
    }
    if ((reads_p1 && apdu.p1 != 0x00) || apdu.p2 < 0x81 || apdu.p2 > 0x83) {
        return status_only(sw::incorrect_p1p2);
    }
    PinState& pin = apdu.p2 == 0x83 ? m_state.pw3 : m_state.pw1;
    bool& flag = apdu.p2 == 0x81 ? m_pw1_cds : (apdu.p2 == 0x82 ? m_pw1_other : m_pw3);
    if (apdu.data.empty()) {  // status query: no counter change
        if (flag) {
            return status_only(sw::ok);
        }
        return status_only(pin.tries == 0 ? sw::auth_blocked : retries_status(pin.tries));
    }
    flag = false;
    const std::uint16_t result = check_pin(pin, apdu.data);
    flag = result == sw::ok;
    return status_only(result);
}

Response OpenPgpCard::change_reference_data(const CommandApdu& apdu) {
    if (apdu.p1 != 0x00 || (apdu.p2 != 0x81 && apdu.p2 != 0x83)) {
        return status_only(sw::incorrect_p1p2);
    }
    PinState& pin = apdu.p2 == 0x83 ? m_state.pw3 : m_state.pw1;
    const std::size_t min_new = apdu.p2 == 0x83 ? kMinPw3 : kMinPw1;
    // The data is old PIN || new PIN; the card knows how long the old one is.
    const std::size_t old_len = pin.value.size();
    const auto old_part = apdu.data.first(std::min(old_len, apdu.data.size()));
    const std::uint16_t result = check_pin(pin, old_part);
    if (result != sw::ok) {
        if (apdu.p2 == 0x83) {
            m_pw3 = false;
        } else {
            m_pw1_cds = m_pw1_other = false;
        }
        return status_only(result);
    }
    const auto new_part = apdu.data.subspan(old_part.size());
    if (new_part.size() < min_new || new_part.size() > kMaxPin) {
        return status_only(sw::wrong_data);
    }
    pin.value = Secret::copy_of(new_part);
    pin.tries = kMaxTries;
    save();
    return status_only(sw::ok);
}

Response OpenPgpCard::reset_retry_counter(const CommandApdu& apdu) {
    if (apdu.p2 != 0x81 || (apdu.p1 != 0x00 && apdu.p1 != 0x02)) {
        return status_only(sw::incorrect_p1p2);
    }
    std::span<const std::uint8_t> new_pin = apdu.data;
    if (apdu.p1 == 0x02) {  // authorised by a previous VERIFY PW3
        if (!m_pw3) {
            return status_only(sw::security_not_satisfied);
        }
    } else {  // data is resetting code || new PW1
        if (m_state.rc.value.empty()) {
            return status_only(sw::security_not_satisfied);
        }
        const std::size_t rc_len = m_state.rc.value.size();
        const auto rc_part = apdu.data.first(std::min(rc_len, apdu.data.size()));
        const std::uint16_t result = check_pin(m_state.rc, rc_part);
        if (result != sw::ok) {
            return status_only(result);
        }
        new_pin = apdu.data.subspan(rc_part.size());
    }
    if (new_pin.size() < kMinPw1 || new_pin.size() > kMaxPin) {
        return status_only(sw::wrong_data);
    }
    m_state.pw1.value = Secret::copy_of(new_pin);
    m_state.pw1.tries = kMaxTries;
    save();
    return status_only(sw::ok);
}

// Used by PUT DATA D3 (openpgp_data.cpp): set or clear the resetting code.
std::uint16_t set_resetting_code(PinState& rc, std::span<const std::uint8_t> value) {
    if (value.empty()) {
        rc.value = Secret{};
        rc.tries = 0;
        return sw::ok;
    }
    if (value.size() < kMinRc || value.size() > kMaxPin) {
        return sw::wrong_data;
    }
    rc.value = Secret::copy_of(value);
    rc.tries = kMaxTries;
    return sw::ok;
}

}  // namespace smk::cardsim
