// Objects on a token, raw: searching them, reading their attributes (public
// ones as bytes, secret ones into a Secret), destroying them.

#include <fmt/core.h>

#include <cstring>

#include "pkcs11_raw.hpp"
#include "smk/error.hpp"

namespace smk::pkcs11 {

std::vector<CK_OBJECT_HANDLE> find_objects(SessionImpl& session, std::span<CK_ATTRIBUTE> match) {
    check_rv(session.f().C_FindObjectsInit(session.handle, match.data(), match.size()),
             "searching objects", session);
    std::vector<CK_OBJECT_HANDLE> found;
    CK_RV rv = CKR_OK;
    for (;;) {
        CK_OBJECT_HANDLE batch[16];
        CK_ULONG count = 0;
        rv = session.f().C_FindObjects(session.handle, batch, 16, &count);
        if (rv != CKR_OK || count == 0) {
            break;
        }
        found.insert(found.end(), batch, batch + count);
    }
    session.f().C_FindObjectsFinal(session.handle);
    check_rv(rv, "searching objects", session);
    return found;
}

std::optional<std::vector<std::uint8_t>> get_attribute(SessionImpl& session,
                                                       CK_OBJECT_HANDLE object,
                                                       CK_ATTRIBUTE_TYPE type) {
    CK_ATTRIBUTE query{type, nullptr, 0};
    CK_RV rv = session.f().C_GetAttributeValue(session.handle, object, &query, 1);
    if (rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID ||
        query.ulValueLen == CK_UNAVAILABLE_INFORMATION) {
        return std::nullopt;
    }
    check_rv(rv, "reading an attribute", session);
    std::vector<std::uint8_t> value(query.ulValueLen);
    query.pValue = value.data();
    rv = session.f().C_GetAttributeValue(session.handle, object, &query, 1);
    check_rv(rv, "reading an attribute", session);
    value.resize(query.ulValueLen);
    return value;
}

Secret get_secret_attribute(SessionImpl& session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type) {
    CK_ATTRIBUTE query{type, nullptr, 0};
    check_rv(session.f().C_GetAttributeValue(session.handle, object, &query, 1),
             "reading an object's value", session);
    if (query.ulValueLen == CK_UNAVAILABLE_INFORMATION) {
        throw Error(ErrorCategory::device,
                    fmt::format("{} does not reveal an object's value", session.name));
    }
    Secret value(query.ulValueLen);
    query.pValue = value.data();
    check_rv(session.f().C_GetAttributeValue(session.handle, object, &query, 1),
             "reading an object's value", session);
    value.truncate(query.ulValueLen);
    return value;
}

std::optional<bool> get_bool(SessionImpl& session, CK_OBJECT_HANDLE object,
                             CK_ATTRIBUTE_TYPE type) {
    const auto value = get_attribute(session, object, type);
    if (!value || value->size() != sizeof(CK_BBOOL)) {
        return std::nullopt;
    }
    return (*value)[0] != 0;
}

std::optional<CK_ULONG> get_ulong(SessionImpl& session, CK_OBJECT_HANDLE object,
                                  CK_ATTRIBUTE_TYPE type) {
    const auto value = get_attribute(session, object, type);
    if (!value || value->size() != sizeof(CK_ULONG)) {
        return std::nullopt;
    }
    CK_ULONG result = 0;
    std::memcpy(&result, value->data(), sizeof result);
    return result;
}

void destroy_object(SessionImpl& session, CK_OBJECT_HANDLE object) {
    check_rv(session.f().C_DestroyObject(session.handle, object), "destroying an object", session);
}

std::vector<CK_OBJECT_HANDLE> find_secret_keys(SessionImpl& session, std::string_view label) {
    CK_OBJECT_CLASS key_class = CKO_SECRET_KEY;
    CK_ATTRIBUTE match[] = {attribute(CKA_CLASS, key_class), attribute_text(CKA_LABEL, label)};
    return find_objects(session, match);
}

}  // namespace smk::pkcs11
