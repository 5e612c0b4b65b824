// The share store: one share record in DO 0103 of an OpenPGP card, with the
// write rules (no silent overwrite, read back and compare).

#include <fmt/core.h>

#include "attest.hpp"
#include "open_card.hpp"
#include "openpgp.hpp"
#include "smk/card.hpp"
#include "smk/error.hpp"

namespace smk::card {

struct ShareStore::Impl : OpenCard {
    using OpenCard::OpenCard;
};

namespace {

// A failure in the middle of a write leaves the DO in an unknown state: say so.
[[noreturn]] void write_interrupted(const Error& error, const std::string& label) {
    throw Error(error.category(),
                fmt::format("{}. The write to {} may or may not have happened: run 'smk card "
                            "verify' to see whether the card holds the old record, the new one "
                            "or nothing",
                            error.what(), label));
}

}  // namespace

std::string pkcs11_store_hint() {
    return "store the share on a PKCS#11 token instead (smk card write --pkcs11-module SO "
           "--token LABEL), or use an OpenPGP card with larger private DOs";
}

ShareStore::ShareStore(const std::string& reader) : m_impl(std::make_unique<Impl>(reader)) {}
ShareStore::~ShareStore() = default;
ShareStore::ShareStore(ShareStore&&) noexcept = default;
ShareStore& ShareStore::operator=(ShareStore&&) noexcept = default;

const std::string& ShareStore::label() const noexcept {
    return m_impl->app.label();
}
const std::string& ShareStore::serial() const noexcept {
    return m_impl->app.serial();
}
std::size_t ShareStore::capacity() const noexcept {
    return m_impl->app.private_do_capacity();
}
PinTries ShareStore::tries() {
    return m_impl->app.read_tries();
}

void ShareStore::require_private_dos() const {
    if (m_impl->app.private_do_capacity() == 0) {
        throw Error(ErrorCategory::device,
                    fmt::format("{} has no private-use data objects (Extended Capabilities C0), "
                                "so it cannot hold a share; {}",
                                label(), pkcs11_store_hint()));
    }
}

void ShareStore::require_capacity(std::size_t record_bytes) const {
    require_private_dos();
    const std::size_t capacity = m_impl->app.private_do_capacity();
    if (capacity < record_bytes) {
        throw Error(ErrorCategory::device,
                    fmt::format("{} allows at most {} bytes in a private-use data object, and "
                                "the share record needs {}; {}",
                                label(), capacity, record_bytes, pkcs11_store_hint()));
    }
}

std::vector<std::pair<std::string, std::string>> ShareStore::ids() const {
    return {{"card", serial()}, {"reader", label()}};
}

std::string ShareStore::wiped_text() const {
    return fmt::format("wiped DO 0103 of {}; it reads back empty", label());
}

void ShareStore::verify_pin(const Secret& pin, bool allow_last_try) {
    m_impl->app.verify_pw1(pin, allow_last_try);
}

std::size_t ShareStore::max_pin_length(PinKind kind) const noexcept {
    return m_impl->app.max_pin_length(kind);
}

void ShareStore::change_pin(PinKind kind, const Secret& current, const Secret& next,
                            bool allow_last_try) {
    m_impl->app.change_pin(kind, current, next, allow_last_try);
}

Secret ShareStore::read_raw() {
    // Such a card answers GET DATA 0103 with "not found", which would read as
    // an empty DO: say what the card is instead.
    require_private_dos();
    return m_impl->app.get_data(kSharePrivateDo);
}

StoredShare ShareStore::read_share() {
    StoredShare stored;
    Secret raw = read_raw();
    stored.bytes = raw.size();
    if (raw.empty()) {
        return stored;
    }
    try {
        stored.record = decode_share_record(raw.bytes(), label() + " DO 0103");
        stored.state = StoredState::valid;
    } catch (const Error& error) {
        if (error.category() != ErrorCategory::invalid_input) {
            throw;
        }
        stored.state = StoredState::garbage;
        stored.problem = error.what();
    }
    return stored;
}

void ShareStore::write_record(std::span<const std::uint8_t> record, bool overwrite) {
    require_capacity(record.size());
    const StoredShare current = read_share();
    if (current.state != StoredState::empty && !overwrite) {
        const std::string holds =
            current.state == StoredState::valid
                ? fmt::format("a share record ({} #{}, identifier {})",
                              slip39::group_name(current.record->info.group_index),
                              current.record->info.member_index + 1,
                              current.record->info.identifier)
                : fmt::format("{} bytes that are not a valid share record", current.bytes);
        throw Error(ErrorCategory::refused,
                    fmt::format("{} already holds {} in DO 0103; nothing was written. To "
                                "replace it, run again with --overwrite",
                                label(), holds));
    }
    try {
        m_impl->app.put_data(kSharePrivateDo, record);
    } catch (const Error& error) {
        write_interrupted(error, label());
    }
    Secret back;
    try {
        back = read_raw();
    } catch (const Error& error) {
        write_interrupted(error, label());
    }
    if (!constant_time_equal(back.bytes(), record)) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} DO 0103 reads back differently from what was written "
                                "({} bytes written, {} read); the card is not trustworthy for "
                                "this share: run 'smk card verify', then use another card",
                                label(), record.size(), back.size()));
    }
}

void ShareStore::wipe() {
    require_private_dos();
    try {
        m_impl->app.put_data(kSharePrivateDo, {});
    } catch (const Error& error) {
        write_interrupted(error, label());
    }
    const Secret back = read_raw();
    if (!back.empty()) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} DO 0103 still holds {} bytes after the wipe; use another "
                                "card",
                                label(), back.size()));
    }
}

std::optional<PublicKey> ShareStore::auth_public_key() {
    return card::auth_public_key(m_impl->app);
}

PublicKey ShareStore::generate_auth_key(const Secret& admin_pin, bool overwrite,
                                        bool allow_last_try) {
    return card::generate_auth_key(m_impl->app, admin_pin, overwrite, allow_last_try);
}

Attestation ShareStore::attest(std::string_view context, const Challenge& challenge) {
    Attestation result = attestation_request(m_impl->app, context, challenge);
    answer_attestation(m_impl->app, result);
    return result;
}

}  // namespace smk::card
