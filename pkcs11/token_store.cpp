// The token share store as a ShareStore (smk/share_store.hpp): the module, the
// session on the token found by its label, and the TokenShareStore on it.

#include <fmt/core.h>

#include "smk/error.hpp"
#include "smk/pkcs11.hpp"

namespace smk::pkcs11 {

TokenStore::TokenStore(const std::string& module_path, std::string_view label)
    : m_module(module_path), m_session(m_module, label) {}

const std::string& TokenStore::name() const noexcept {
    return m_session.name();
}

std::vector<std::pair<std::string, std::string>> TokenStore::ids() const {
    return {{"token", m_session.token().label}, {"serial", m_session.token().serial}};
}

void TokenStore::refuse_last_try(bool allow_last_try) const {
    m_session.refuse_final_try(allow_last_try);
}

void TokenStore::unlock(const Secret& pin, bool allow_last_try) {
    refuse_last_try(allow_last_try);
    m_session.login(pin);
}

card::StoredShare TokenStore::read_share() {
    return TokenShareStore(m_session).read_share();
}

void TokenStore::write_record(std::span<const std::uint8_t> record, bool overwrite) {
    TokenShareStore(m_session).write_record(record, overwrite);
}

void TokenStore::wipe() {
    TokenShareStore(m_session).wipe();
}

std::string TokenStore::wiped_text() const {
    return fmt::format("wiped the smk data object of {}; none is left", name());
}

}  // namespace smk::pkcs11
