// GET DATA and PUT DATA (OpenPGP card 3.4, 4.4 and 7.2.6-7.2.8): the
// application related data 6E that GnuPG reads first, cardholder data, and the
// private-use DOs 0101-0104 the smk share store writes, with their access rules
// and the maximum length announced in Extended Capabilities (C0).
// What differs between real cards (5F52, C0, C4, 7F66, 7F74, who opens 0103)
// comes from the card's profile (profiles.hpp).
#include <array>

#include "openpgp_card.hpp"

namespace smk::cardsim {
namespace {

constexpr std::uint8_t kPrivateDosFlag = 0x08;  // C0 byte 1

// Access rule for one writable data object.
enum class Access { always, pw1, pw3, never };

struct ObjectRule {
    std::uint16_t tag;
    Access read;
    Access write;
    std::size_t fixed_max;  // 0: the announced private/special DO size
};

constexpr std::array<ObjectRule, 9> kRules = {{
    {0x0101, Access::always, Access::pw1, 0},
    {0x0102, Access::always, Access::pw3, 0},
    {0x0103, Access::pw1, Access::pw1, 0},
    {0x0104, Access::pw3, Access::pw3, 0},
    {0x005B, Access::always, Access::pw3, 39},  // name
    {0x005E, Access::always, Access::pw3, 0},   // login data
    {0x5F2D, Access::always, Access::pw3, 8},   // language preference
    {0x5F35, Access::always, Access::pw3, 1},   // salutation
    {0x5F50, Access::always, Access::pw3, 0},   // URL
}};

const ObjectRule* rule_for(std::uint16_t tag) {
    for (const auto& rule : kRules) {
        if (rule.tag == tag) {
            return &rule;
        }
    }
    return nullptr;
}

bool is_private(std::uint16_t tag) {
    return tag >= 0x0101 && tag <= 0x0104;
}

}  // namespace

std::vector<std::uint8_t> OpenPgpCard::simple_object(std::uint16_t tag, bool& found) const {
    found = true;
    const CardProfile& profile = *m_config.profile;
    std::vector<std::uint8_t> out;
    switch (tag) {
        case 0x004F:
            return aid();
        case 0x5F52:
            return {profile.historical_bytes.begin(), profile.historical_bytes.end()};
        case 0x7F66:  // extended length information: max command and response APDU
            found = !profile.extended_length_info.empty();
            return {profile.extended_length_info.begin(), profile.extended_length_info.end()};
        case 0x7F74:  // general feature management (button, display, keypad)
            found = !profile.general_feature_management.empty();
            return {profile.general_feature_management.begin(),
                    profile.general_feature_management.end()};
        case 0x00C0: {  // extended capabilities: the profile's, with the options applied
            out.assign(profile.extended_capabilities.begin(), profile.extended_capabilities.end());
            out[0] = static_cast<std::uint8_t>((out[0] & ~kPrivateDosFlag) |
                                               (m_config.private_dos ? kPrivateDosFlag : 0));
            if (profile.c0_layout_v3) {  // bytes 7-8: max special DO length
                out[6] = static_cast<std::uint8_t>(m_config.private_do_size >> 8);
                out[7] = static_cast<std::uint8_t>(m_config.private_do_size & 0xFF);
            }
            return out;
        }
        case 0x00C1:
        case 0x00C2:
        case 0x00C3:  // algorithm attributes: RSA 2048 as the profile's card announces it
            return {profile.algorithm_attributes.begin(), profile.algorithm_attributes.end()};
        case 0x00C4:
            return {static_cast<std::uint8_t>(m_state.pw1_valid_multiple ? 1 : 0),
                    profile.max_pin_length,
                    profile.max_pin_length,
                    profile.max_pin_length,
                    m_state.pw1.tries,
                    m_state.rc.value.empty() ? profile.unset_rc_tries : m_state.rc.tries,
                    m_state.pw3.tries};
        case 0x00C5:  // fingerprints, generation times, key information: openpgp_keys.cpp
        case 0x00CD:
        case 0x00DE:
            return key_objects(tag);
        case 0x00C6:  // CA fingerprints: none
            return std::vector<std::uint8_t>(60, 0);
        case 0x0093:  // digital signature counter
            return {0x00, 0x00, 0x00};
        default:
            found = false;
            return out;
    }
}

std::vector<std::uint8_t> OpenPgpCard::application_related_data() const {
    bool found = false;
    std::vector<std::uint8_t> discretionary;
    for (const std::uint16_t tag : std::array<std::uint16_t, 9>{
             0x00C0, 0x00C1, 0x00C2, 0x00C3, 0x00C4, 0x00C5, 0x00C6, 0x00CD, 0x00DE}) {
        append_tlv(discretionary, tag, simple_object(tag, found));
    }
    std::vector<std::uint8_t> body;
    for (const std::uint16_t tag : std::array<std::uint16_t, 4>{0x004F, 0x5F52, 0x7F66, 0x7F74}) {
        const auto value = simple_object(tag, found);
        const bool left_out = tag == 0x7F66 && !m_config.profile->extended_length_info_in_6e;
        if (found && !left_out) {
            append_tlv(body, tag, value);
        }
    }
    append_tlv(body, 0x0073, discretionary);
    std::vector<std::uint8_t> out;
    append_tlv(out, 0x006E, body);
    return out;
}

bool OpenPgpCard::private_do_pw1_satisfied() const noexcept {
    return m_pw1_other ||
           (m_pw3 && m_config.profile->private_do_access == PrivateDoAccess::pw1_mode_82_or_pw3);
}

Response OpenPgpCard::get_data(const CommandApdu& apdu) {
    const std::uint16_t tag = apdu.p1p2();
    if (is_private(tag) && !m_config.private_dos) {
        return status_only(sw::data_not_found);
    }
    if (const ObjectRule* rule = rule_for(tag)) {
        if ((rule->read == Access::pw1 && !private_do_pw1_satisfied()) ||
            (rule->read == Access::pw3 && !m_pw3)) {
            return status_only(sw::security_not_satisfied);
        }
        const auto it = m_state.objects.find(tag);
        return it == m_state.objects.end() ? status_only(sw::ok) : ok_with(it->second.bytes());
    }
    bool found = false;
    std::vector<std::uint8_t> value;
    if (tag == 0x006E) {
        return ok_with(application_related_data());
    }
    if (tag == 0x0065) {  // cardholder related data
        std::vector<std::uint8_t> body;
        for (const std::uint16_t child : std::array<std::uint16_t, 3>{0x005B, 0x5F2D, 0x5F35}) {
            const auto it = m_state.objects.find(child);
            append_tlv(
                body, child,
                it == m_state.objects.end() ? std::span<const std::uint8_t>{} : it->second.bytes());
        }
        append_tlv(value, 0x0065, body);
        return ok_with(value);
    }
    if (tag == 0x007A) {  // security support template
        append_tlv(value, 0x007A, simple_object(0x0093, found));
        return ok_with(value);
    }
    if (tag == 0x7F21) {  // cardholder certificate: none
        return status_only(sw::ok);
    }
    if (tag == 0x00C0 && !m_config.profile->c0_alone) {
        return status_only(sw::data_not_found);  // only inside 6E on this card
    }
    value = simple_object(tag, found);
    if (!found) {
        return status_only(sw::data_not_found);
    }
    if (tag == 0x7F66 && m_config.profile->extended_length_info_tagged) {
        std::vector<std::uint8_t> tagged;
        append_tlv(tagged, tag, value);
        return ok_with(tagged);
    }
    return ok_with(value);
}

Response OpenPgpCard::put_data(const CommandApdu& apdu) {
    const std::uint16_t tag = apdu.p1p2();
    if (is_private(tag) && !m_config.private_dos) {
        return status_only(sw::data_not_found);
    }
    if (tag == 0x00C4) {  // PW1 validity for PSO:CDS
        if (!m_pw3) {
            return status_only(sw::security_not_satisfied);
        }
        if (apdu.data.size() != 1 || apdu.data[0] > 1) {
            return status_only(sw::wrong_data);
        }
        m_state.pw1_valid_multiple = apdu.data[0] == 1;
        save();
        return status_only(sw::ok);
    }
    if (tag == 0x00D3) {  // resetting code
        if (!m_pw3) {
            return status_only(sw::security_not_satisfied);
        }
        const std::uint16_t result = set_resetting_code(m_state.rc, apdu.data);
        if (result == sw::ok) {
            save();
        }
        return status_only(result);
    }
    const ObjectRule* rule = rule_for(tag);
    if (rule == nullptr) {
        return status_only(sw::data_not_found);
    }
    if ((rule->write == Access::pw1 && !private_do_pw1_satisfied()) ||
        (rule->write == Access::pw3 && !m_pw3)) {
        return status_only(sw::security_not_satisfied);
    }
    const std::size_t max = rule->fixed_max != 0 ? rule->fixed_max : m_config.private_do_size;
    if (apdu.data.size() > max) {
        return status_only(sw::wrong_length);
    }
    if (apdu.data.empty()) {
        m_state.objects.erase(tag);
    } else {
        m_state.objects.insert_or_assign(tag, Secret::copy_of(apdu.data));
    }
    save();
    return status_only(sw::ok);
}

}  // namespace smk::cardsim
