// The token share store: the card share record as a private CKO_DATA object
// (application "smk") on a PKCS#11 token. Replacing a record writes the new
// object first and destroys the old one only after the new one reads back right.

#include <fmt/core.h>

#include <string>
#include <vector>

#include "pkcs11_raw.hpp"
#include "smk/error.hpp"
#include "smk/pkcs11.hpp"
#include "smk/share_record.hpp"

namespace smk::pkcs11 {
namespace {

std::vector<CK_OBJECT_HANDLE> smk_objects(SessionImpl& session) {
    CK_OBJECT_CLASS data_class = CKO_DATA;
    CK_ATTRIBUTE match[] = {attribute(CKA_CLASS, data_class),
                            attribute_text(CKA_APPLICATION, kShareApplication)};
    return find_objects(session, match);
}

std::string several_text(const SessionImpl& session, std::size_t count) {
    return fmt::format(
        "{} holds {} smk data objects where one is expected; wipe the token "
        "(smk card wipe) and write the share again",
        session.name, count);
}

}  // namespace

card::StoredShare TokenShareStore::read_share() {
    auto& s = raw(m_session);
    const auto objects = smk_objects(s);
    card::StoredShare stored;
    if (objects.empty()) {
        return stored;
    }
    if (objects.size() > 1) {
        stored.state = card::StoredState::garbage;
        stored.problem = several_text(s, objects.size());
        return stored;
    }
    const Secret value = get_secret_attribute(s, objects.front(), CKA_VALUE);
    stored.bytes = value.size();
    try {
        stored.record = card::decode_share_record(value.bytes(), s.name);
        stored.state = card::StoredState::valid;
    } catch (const Error& error) {
        stored.state = card::StoredState::garbage;
        stored.problem = error.what();
    }
    return stored;
}

Secret TokenShareStore::read_raw() {
    auto& s = raw(m_session);
    const auto objects = smk_objects(s);
    if (objects.empty()) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} holds no smk data object", s.name));
    }
    if (objects.size() > 1) {
        throw Error(ErrorCategory::verification, several_text(s, objects.size()));
    }
    return get_secret_attribute(s, objects.front(), CKA_VALUE);
}

void TokenShareStore::write_record(std::span<const std::uint8_t> record, bool overwrite) {
    auto& s = raw(m_session);
    const auto old_objects = smk_objects(s);
    if (!old_objects.empty() && !overwrite) {
        throw Error(ErrorCategory::refused,
                    fmt::format("{} already holds {} smk data object(s); nothing was written. "
                                "Give --overwrite to replace it",
                                s.name, old_objects.size()));
    }
    CK_OBJECT_CLASS data_class = CKO_DATA;
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE object_template[] = {
        attribute(CKA_CLASS, data_class),
        attribute(CKA_TOKEN, yes),
        attribute(CKA_PRIVATE, yes),
        attribute_text(CKA_LABEL, kShareObjectLabel),
        attribute_text(CKA_APPLICATION, kShareApplication),
        attribute_bytes(CKA_VALUE, record),
    };
    CK_OBJECT_HANDLE created = CK_INVALID_HANDLE;
    check_rv(s.f().C_CreateObject(s.handle, object_template, std::size(object_template), &created),
             "writing the share object", s);
    bool same = false;
    try {
        const Secret back = get_secret_attribute(s, created, CKA_VALUE);
        same = constant_time_equal(back.bytes(), record);
    } catch (const Error&) {
        same = false;
    }
    if (!same) {
        // The new object is not trusted; the old one (if any) is left as it was.
        s.f().C_DestroyObject(s.handle, created);
        throw Error(
            ErrorCategory::verification,
            fmt::format("the share object written to {} reads back different; it was "
                        "removed{}. Check the token and write again",
                        s.name, old_objects.empty() ? "" : " and the previous object kept"));
    }
    for (const CK_OBJECT_HANDLE old : old_objects) {
        destroy_object(s, old);
    }
    const auto now = smk_objects(s);
    if (now.size() != 1 || now.front() != created) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} holds {} smk data objects after the write, not one; run "
                                "smk card verify",
                                s.name, now.size()));
    }
}

void TokenShareStore::wipe() {
    auto& s = raw(m_session);
    for (const CK_OBJECT_HANDLE object : smk_objects(s)) {
        destroy_object(s, object);
    }
    const auto left = smk_objects(s);
    if (!left.empty()) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} still holds {} smk data object(s) after the wipe", s.name,
                                left.size()));
    }
}

}  // namespace smk::pkcs11
