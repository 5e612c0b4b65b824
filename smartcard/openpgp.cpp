// The OpenPGP card application: SELECT, AID, C0, C4, VERIFY, CHANGE REFERENCE DATA,
// GET/PUT DATA.

#include "openpgp.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <optional>

#include "smk/error.hpp"

namespace smk::card {
namespace {

constexpr std::array<std::uint8_t, 6> kOpenPgpAid = {0xD2, 0x76, 0x00, 0x01, 0x24, 0x01};
constexpr std::size_t kAidBytes = 16;
constexpr std::uint8_t kPrivateDosFlag = 0x08;  // C0 byte 1

// "user PIN" or "admin PIN", as the error messages and --last-try's help say it.
std::string_view short_pin_name(PinKind kind) noexcept {
    return kind == PinKind::admin ? "admin PIN" : "user PIN";
}

// What to do about a blocked PIN of `kind`.
std::string_view blocked_advice(PinKind kind) noexcept {
    return kind == PinKind::admin
               ? "a blocked admin PIN cannot be unblocked: the card can only be reset to factory "
                 "state (which erases its keys and DOs)"
               : "smk does not unblock PINs during a ceremony: unblock it with the admin PIN "
                 "(RESET RETRY COUNTER, e.g. 'gpg --card-edit', admin, passwd, 2) and run again";
}

unsigned be16(std::span<const std::uint8_t> bytes, std::size_t at) {
    return (static_cast<unsigned>(bytes[at]) << 8) | bytes[at + 1];
}

}  // namespace

std::optional<std::span<const std::uint8_t>> find_tlv(std::span<const std::uint8_t> data,
                                                      unsigned tag) {
    std::size_t pos = 0;
    while (pos < data.size()) {
        const std::size_t tag_start = pos;
        unsigned found = data[pos++];
        const bool constructed = (found & 0x20) != 0;
        if ((found & 0x1F) == 0x1F) {
            while (pos < data.size()) {
                const std::uint8_t b = data[pos++];
                found = (found << 8) | b;
                if ((b & 0x80) == 0) {
                    break;
                }
            }
        }
        if (pos >= data.size() || pos - tag_start > 3) {
            return std::nullopt;
        }
        std::size_t length = data[pos++];
        if (length == 0x81 || length == 0x82) {
            const std::size_t count = length - 0x80;
            length = 0;
            for (std::size_t i = 0; i < count && pos < data.size(); ++i) {
                length = (length << 8) | data[pos++];
            }
        } else if (length > 0x7F) {
            return std::nullopt;
        }
        if (pos + length > data.size()) {
            return std::nullopt;
        }
        const auto value = data.subspan(pos, length);
        if (found == tag) {
            return value;
        }
        if (constructed) {
            if (const auto inner = find_tlv(value, tag)) {
                return inner;
            }
        }
        pos += length;
    }
    return std::nullopt;
}

OpenPgpApp::OpenPgpApp(Transport& transport, std::span<const std::uint8_t> atr, std::string reader)
    : m_transport(transport),
      m_caps(capabilities_from_atr(atr)),
      m_reader(std::move(reader)),
      m_label(fmt::format("the card in \"{}\"", m_reader)) {
    const Command select{0x00, 0xA4, 0x04, 0x00, kOpenPgpAid, true};
    const Response selected = send(select);
    if (!selected.sw.ok()) {
        throw Error(ErrorCategory::device,
                    fmt::format("{} is not an OpenPGP card (SELECT of the OpenPGP application "
                                "answered {}); use an OpenPGP card 3.x",
                                m_label, selected.sw.text()));
    }
    const Secret aid = get_data(0x004F);
    if (aid.size() != kAidBytes ||
        !std::equal(kOpenPgpAid.begin(), kOpenPgpAid.end(), aid.data())) {
        throw Error(ErrorCategory::device,
                    fmt::format("{} answered GET DATA 4F (AID) with {} bytes that are not an "
                                "OpenPGP AID; it is not a usable OpenPGP card",
                                m_label, aid.size()));
    }
    const auto aid_bytes = aid.bytes();
    m_serial = fmt::format("{:04X}:{:02X}{:02X}{:02X}{:02X}", be16(aid_bytes, 8), aid_bytes[10],
                           aid_bytes[11], aid_bytes[12], aid_bytes[13]);
    m_label = fmt::format("card {} in \"{}\"", m_serial, m_reader);

    // Extended Capabilities: directly (C0) or inside the application related data (6E).
    Secret c0 = get_data(0x00C0);
    std::optional<std::span<const std::uint8_t>> caps;
    Secret related;
    if (c0.size() >= 10) {
        caps = c0.bytes();
    } else {
        related = get_data(0x006E);
        caps = find_tlv(related.bytes(), 0xC0);
    }
    if (!caps || caps->size() < 8) {
        throw Error(ErrorCategory::device,
                    fmt::format("{} does not report its Extended Capabilities (C0); it is not a "
                                "usable OpenPGP card 3.x",
                                m_label));
    }
    if (((*caps)[0] & kPrivateDosFlag) != 0) {
        m_private_capacity = be16(*caps, 6);
    }
    if (m_caps.extended_length) {
        read_extended_length_info();
    }
    (void)read_tries();
}

void OpenPgpApp::read_extended_length_info() {
    // 7F66: 02 02 <max command bytes> 02 02 <max response bytes>.
    const Command get{0x00, 0xCA, 0x7F, 0x66, {}, true};
    const Response info = send(get);
    const auto bytes = info.data.bytes();
    if (info.sw.ok() && bytes.size() >= 8 && bytes[0] == 0x02 && bytes[1] == 0x02 &&
        bytes[4] == 0x02 && bytes[5] == 0x02) {
        m_caps.max_command_data = std::max<std::size_t>(255, be16(bytes, 2));
        m_caps.max_response_data = std::max<std::size_t>(256, be16(bytes, 6));
    }
}

Response OpenPgpApp::send(const Command& command) {
    return exchange(m_transport, m_caps, command);
}

void OpenPgpApp::fail(std::string_view doing, StatusWord sw) const {
    throw Error(ErrorCategory::device,
                fmt::format("{}: {} answered {}", doing, m_label, sw.text()));
}

PinTries OpenPgpApp::read_tries() {
    const Secret status = get_data(0x00C4);
    if (status.size() < 7) {
        throw Error(ErrorCategory::device,
                    fmt::format("{} answered GET DATA C4 (PIN status) with {} bytes instead of "
                                "7; it is not a usable OpenPGP card",
                                m_label, status.size()));
    }
    const auto bytes = status.bytes();
    m_pw1_max_length = bytes[1] & 0x7F;
    m_pw3_max_length = bytes[3] & 0x7F;
    m_known_tries = PinTries{bytes[4], bytes[5], bytes[6]};
    return *m_known_tries;
}

PinTries OpenPgpApp::known_tries() {
    return m_known_tries ? *m_known_tries : read_tries();
}

std::size_t OpenPgpApp::max_pin_length(PinKind kind) const noexcept {
    return std::min(kind == PinKind::admin ? m_pw3_max_length : m_pw1_max_length, kMaxPinLength);
}

void OpenPgpApp::check_length(PinKind kind, const Secret& pin, std::size_t max_length,
                              std::string_view which) const {
    // Length first: a PIN the card must reject would cost a try for nothing.
    if (pin.size() < min_pin_length(kind) || pin.size() > max_length) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("the {}{} given has {} characters; the {} of {} has {} to {}; "
                                "nothing was sent to the card",
                                which, short_pin_name(kind), pin.size(), pin_name(kind), m_label,
                                min_pin_length(kind), max_length));
    }
}

void OpenPgpApp::refuse_tries(PinKind kind, unsigned tries, bool allow_last_try) const {
    if (tries == 0) {
        throw Error(ErrorCategory::device,
                    fmt::format("the {} of {} is blocked (0 tries left); {}", pin_name(kind),
                                m_label, blocked_advice(kind)));
    }
    if (tries == 1 && !allow_last_try) {
        throw Error(ErrorCategory::refused,
                    fmt::format("only 1 {} try is left on {}: a wrong PIN now blocks it. "
                                "Nothing was sent to the card; make sure of the PIN and run "
                                "again with --last-try",
                                short_pin_name(kind), m_label));
    }
}

void OpenPgpApp::refuse_wrong_pin(PinKind kind, StatusWord sw, std::string_view outcome) {
    if ((sw.value & 0xFFF0) == 0x63C0 || sw.value == 0x6300) {
        const PinTries now = sw.value == 0x6300 ? read_tries() : PinTries{};
        const unsigned left = sw.value == 0x6300 ? (kind == PinKind::admin ? now.admin : now.user)
                                                 : (sw.value & 0x0FU);
        if (left == 0) {
            throw Error(ErrorCategory::verification,
                        fmt::format("wrong {} for {}: the PIN is now blocked (0 tries left){}; {}",
                                    short_pin_name(kind), m_label, outcome, blocked_advice(kind)));
        }
        throw Error(ErrorCategory::verification,
                    fmt::format("wrong {} for {}: {} {} left{}; smk does not retry by itself. "
                                "Check the {} and run again",
                                short_pin_name(kind), m_label, left, left == 1 ? "try" : "tries",
                                outcome, short_pin_name(kind)));
    }
    if (sw.value == 0x6983) {
        throw Error(ErrorCategory::device,
                    fmt::format("the {} of {} is blocked{}; {}", pin_name(kind), m_label, outcome,
                                blocked_advice(kind)));
    }
}

void OpenPgpApp::verify_pw1(const Secret& pin, bool allow_last_try) {
    check_length(PinKind::user, pin, m_pw1_max_length, "");
    refuse_tries(PinKind::user, known_tries().user, allow_last_try);
    const Command verify{0x00, 0x20, 0x00, 0x82, pin.bytes(), false};
    // Marked before sending: an answer lost on the way may still have verified it.
    m_pins_sent |= 1U << (0x82 - 0x81);
    m_known_tries.reset();
    const Response answer = send(verify);
    if (answer.sw.ok()) {
        return;
    }
    refuse_wrong_pin(PinKind::user, answer.sw, "");
    fail("verifying the user PIN", answer.sw);
}

Secret OpenPgpApp::get_data(std::uint16_t tag) {
    const Command get{
        0x00, 0xCA, static_cast<std::uint8_t>(tag >> 8), static_cast<std::uint8_t>(tag & 0xFF),
        {},   true};
    Response answer = send(get);
    if (answer.sw.ok()) {
        return std::move(answer.data);
    }
    if (answer.sw.value == 0x6A88 || answer.sw.value == 0x6A82) {
        return {};
    }
    if (answer.sw.value == 0x6982) {
        throw Error(ErrorCategory::device,
                    fmt::format("reading DO {:04X}: {} answered {}; the user PIN must be verified "
                                "first",
                                tag, m_label, answer.sw.text()));
    }
    fail(fmt::format("reading DO {:04X}", tag), answer.sw);
}

void OpenPgpApp::put_data(std::uint16_t tag, std::span<const std::uint8_t> data) {
    const Command put{
        0x00, 0xDA, static_cast<std::uint8_t>(tag >> 8), static_cast<std::uint8_t>(tag & 0xFF),
        data, false};
    const Response answer = send(put);
    if (!answer.sw.ok()) {
        fail(fmt::format("writing DO {:04X}", tag), answer.sw);
    }
}

OpenPgpApp::Forgotten OpenPgpApp::forget_verified_pins() noexcept {
    Forgotten result = Forgotten::confirmed;
    for (unsigned reference = 0x81; reference <= 0x83; ++reference) {
        if ((m_pins_sent & (1U << (reference - 0x81))) == 0) {
            continue;
        }
        try {
            const auto ref = static_cast<std::uint8_t>(reference);
            const Command forget{0x00, 0x20, 0xFF, ref, {}, false};
            if (!send(forget).sw.ok()) {
                result = Forgotten::refused;
                continue;
            }
            // Asked, not assumed: a card that reads no P1 (Gnuk before 1.2) takes
            // P1=FF for a status query and answers 9000 with the PIN still
            // verified. The status (VERIFY without data) must no longer be 9000.
            const Command status{0x00, 0x20, 0x00, ref, {}, false};
            if (send(status).sw.ok()) {
                result = Forgotten::refused;
            }
        } catch (...) {
            return Forgotten::card_gone;
        }
    }
    return result;
}

void OpenPgpApp::verify_pw3(const Secret& pin, bool allow_last_try) {
    // The counter as known_tries() gives it, as for PW1: C4 was read when the
    // card was opened (with the length limit) and is read again after any
    // VERIFY or CHANGE REFERENCE DATA, so it is never stale inside the transaction.
    const PinTries tries = known_tries();
    check_length(PinKind::admin, pin, m_pw3_max_length, "");
    refuse_tries(PinKind::admin, tries.admin, allow_last_try);
    const Command verify{0x00, 0x20, 0x00, 0x83, pin.bytes(), false};
    m_pins_sent |= 1U << (0x83 - 0x81);  // before sending, as for PW1
    m_known_tries.reset();
    const Response answer = send(verify);
    if (answer.sw.ok()) {
        return;
    }
    refuse_wrong_pin(PinKind::admin, answer.sw, "");
    fail("verifying the admin PIN", answer.sw);
}

std::vector<std::uint8_t> OpenPgpApp::algorithm_attributes(std::uint8_t tag) {
    const Secret related = get_data(0x006E);
    if (const auto attributes = find_tlv(related.bytes(), tag)) {
        return {attributes->begin(), attributes->end()};
    }
    return {};
}

void OpenPgpApp::change_pin(PinKind kind, const Secret& current, const Secret& next,
                            bool allow_last_try) {
    const bool admin = kind == PinKind::admin;
    const PinTries tries = known_tries();  // also the length limits (C4)
    const std::size_t max_length = max_pin_length(kind);
    // Everything is checked before the card sees a PIN: the rules for the new
    // one, then the length of the current one and the tries, as for a VERIFY.
    if (const auto problem = new_pin_problem(kind, next, max_length)) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("the new {} for {} {}; nothing was sent to the card. Choose "
                                "another ({})",
                                pin_name(kind), m_label, *problem, new_pin_rules(kind)));
    }
    if (constant_time_equal(current.bytes(), next.bytes())) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("the new {} for {} is the current one; nothing was sent to the "
                                "card. Choose another",
                                pin_name(kind), m_label));
    }
    check_length(kind, current, admin ? m_pw3_max_length : m_pw1_max_length, "current ");
    refuse_tries(kind, admin ? tries.admin : tries.user, allow_last_try);

    Secret data(current.size() + next.size());
    std::copy(current.bytes().begin(), current.bytes().end(), data.data());
    std::copy(next.bytes().begin(), next.bytes().end(), data.data() + current.size());
    // PW1 is changed through reference 81 (spec 3.4, 7.2.3) and checked in mode
    // 82; a card may keep either verified after the change, so both are
    // forgotten. Marked before sending, as for VERIFY.
    const std::uint8_t reference = admin ? 0x83 : 0x81;
    const std::uint8_t check_mode = admin ? 0x83 : 0x82;
    m_pins_sent |= admin ? (1U << (0x83 - 0x81)) : ((1U << 0) | (1U << (0x82 - 0x81)));
    m_known_tries.reset();
    const Command change{0x00, 0x24, 0x00, reference, data.bytes(), false};
    const Response answer = send(change);
    if (!answer.sw.ok()) {
        refuse_wrong_pin(kind, answer.sw, "; the PIN was not changed");
        if (answer.sw.value == 0x6A80 || answer.sw.value == 0x6700) {
            throw Error(ErrorCategory::device,
                        fmt::format("{} refused the new {} (CHANGE REFERENCE DATA answered {}) "
                                    "after accepting the current one, so it should still have "
                                    "the current PIN; the card has rules of its own (length, "
                                    "characters, or a KDF-hashed PIN smk does not do): check "
                                    "with 'smk card verify', then choose another PIN or use the "
                                    "card maker's tool",
                                    m_label, pin_name(kind), answer.sw.text()));
        }
        fail(fmt::format("changing the {}", pin_name(kind)), answer.sw);
    }
    // Self-check while the holder is still at the table: the card must now take
    // the new PIN. It costs no try when it does (a right PIN resets the counter),
    // and one try when the card stored something else, which is then known at
    // once instead of at the next ceremony.
    const Command verify{0x00, 0x20, 0x00, check_mode, next.bytes(), false};
    Response check;
    try {
        check = send(verify);
    } catch (const Error& error) {
        throw Error(error.category(),
                    fmt::format("{}. {} answered 9000 to the change of its {}, but the check "
                                "that it takes the new one did not complete: try the new PIN "
                                "with 'smk card verify' (or 'smk card keygen' for the admin "
                                "PIN) before the card leaves the room",
                                error.what(), m_label, pin_name(kind)));
    }
    if (!check.sw.ok()) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} answered 9000 to the change of its {} but does not take the "
                                "new one (VERIFY answered {}): the card's {} is now unknown; do "
                                "not issue this card ({})",
                                m_label, pin_name(kind), check.sw.text(), short_pin_name(kind),
                                blocked_advice(kind)));
    }
}

bool OpenPgpApp::key_present(std::uint8_t crt) {
    const std::size_t slot = crt == 0xB6 ? 0 : (crt == 0xB8 ? 1 : 2);
    const Secret related = get_data(0x006E);
    if (const auto fingerprints = find_tlv(related.bytes(), 0xC5);
        fingerprints && fingerprints->size() >= 60) {
        const auto fpr = fingerprints->subspan(slot * 20, 20);
        if (std::any_of(fpr.begin(), fpr.end(), [](std::uint8_t b) { return b != 0; })) {
            return true;
        }
    }
    if (const auto info = find_tlv(related.bytes(), 0xDE)) {
        for (std::size_t i = 0; i + 1 < info->size(); i += 2) {
            if ((*info)[i] == slot + 1 && (*info)[i + 1] != 0) {
                return true;
            }
        }
    }
    return !read_public_key(crt).empty();
}

std::vector<std::uint8_t> OpenPgpApp::read_public_key(std::uint8_t crt) {
    const std::array<std::uint8_t, 2> crt_data = {crt, 0x00};
    const Command read{0x00, 0x47, 0x81, 0x00, crt_data, true};
    const Response answer = send(read);
    if (answer.sw.ok()) {
        return {answer.data.bytes().begin(), answer.data.bytes().end()};
    }
    // No key in the slot: 6A88 here, other codes on some cards (GnuPG notes Yubikeys).
    if (answer.sw.value == 0x6A88 || answer.sw.value == 0x6A80 || answer.sw.value == 0x6A82 ||
        answer.sw.value == 0x6984) {
        return {};
    }
    fail(fmt::format("reading the public key of key slot {:02X}", crt), answer.sw);
}

std::vector<std::uint8_t> OpenPgpApp::generate_key(std::uint8_t crt) {
    const std::array<std::uint8_t, 2> crt_data = {crt, 0x00};
    const Command generate{0x00, 0x47, 0x80, 0x00, crt_data, true};
    const Response answer = send(generate);
    if (answer.sw.ok()) {
        return {answer.data.bytes().begin(), answer.data.bytes().end()};
    }
    if (answer.sw.value == 0x6A81 || answer.sw.value == 0x6D00) {
        throw Error(ErrorCategory::device,
                    fmt::format("{} cannot generate a key in slot {:02X} (it answered {}); use "
                                "an OpenPGP card 3.x that generates RSA keys",
                                m_label, crt, answer.sw.text()));
    }
    fail(fmt::format("generating the key of key slot {:02X}", crt), answer.sw);
}

std::vector<std::uint8_t> OpenPgpApp::internal_authenticate(std::span<const std::uint8_t> data) {
    const Command authenticate{0x00, 0x88, 0x00, 0x00, data, true};
    const Response answer = send(authenticate);
    if (answer.sw.ok()) {
        return {answer.data.bytes().begin(), answer.data.bytes().end()};
    }
    if (answer.sw.value == 0x6A88) {
        throw Error(ErrorCategory::device,
                    fmt::format("{} has no authentication key to answer with (INTERNAL "
                                "AUTHENTICATE answered {}); generate one at issuance ('smk card "
                                "keygen')",
                                m_label, answer.sw.text()));
    }
    fail("answering the attestation challenge (INTERNAL AUTHENTICATE)", answer.sw);
}

}  // namespace smk::card
