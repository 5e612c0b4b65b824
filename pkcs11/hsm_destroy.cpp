// Key destruction (KMP 5.6): a key and its public half destroyed, proved gone by
// searching the token, and the backup files that still hold it named by SHA-256.

#include <fmt/core.h>

#include <string>
#include <vector>

#include "backup_file.hpp"
#include "hsm_keys.hpp"
#include "pkcs11_raw.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/hsm.hpp"

namespace smk::hsm {

using pkcs11::attribute;
using pkcs11::attribute_bytes;
using pkcs11::attribute_text;

namespace {

std::vector<CK_OBJECT_HANDLE> objects_of_class(pkcs11::SessionImpl& s, CK_OBJECT_CLASS key_class,
                                               std::string_view label) {
    CK_ATTRIBUTE match[] = {attribute(CKA_CLASS, key_class), attribute_text(CKA_LABEL, label)};
    return pkcs11::find_objects(s, match);
}

}  // namespace

DestroyReport destroy_key(pkcs11::Session& session, std::string_view label,
                          const std::vector<std::filesystem::path>& backups) {
    auto& s = pkcs11::raw(session);
    const auto secret = objects_of_class(s, CKO_SECRET_KEY, label);
    const auto private_keys = objects_of_class(s, CKO_PRIVATE_KEY, label);
    const auto public_keys = objects_of_class(s, CKO_PUBLIC_KEY, label);
    if (secret.size() + private_keys.size() != 1) {
        throw Error(ErrorCategory::usage,
                    fmt::format("{} holds {} secret and private keys labelled \"{}\"; destroying "
                                "needs a label that names exactly one key. Nothing was destroyed",
                                s.name, secret.size() + private_keys.size(), label));
    }
    const CK_OBJECT_HANDLE key = secret.empty() ? private_keys.front() : secret.front();
    DestroyReport report;
    report.label = label;
    const auto id = pkcs11::get_attribute(s, key, CKA_ID).value_or(std::vector<std::uint8_t>{});
    report.id_hex = to_hex(id);
    report.key_class = secret.empty() ? "private" : "secret";
    report.key_type =
        detail::key_type_name(pkcs11::get_ulong(s, key, CKA_KEY_TYPE).value_or(0xFFFFFFFFUL));

    // Every backup named is read and parsed before anything is destroyed.
    for (const auto& file : backups) {
        const std::string sha256 = check_backup_file(file);
        const auto parsed = detail::parse_backup(detail::read_small_file(file, "backup"), file);
        bool holds = false;
        for (const auto& entry : parsed.keys) {
            holds = holds || (entry.info.label == label && entry.id == id);
        }
        if (holds) {
            report.backups_holding.push_back({file, sha256});
        } else {
            report.backups_without.push_back(file);
        }
    }

    std::vector<CK_OBJECT_HANDLE> doomed = {key};
    doomed.insert(doomed.end(), public_keys.begin(), public_keys.end());
    for (const CK_OBJECT_HANDLE object : doomed) {
        pkcs11::destroy_object(s, object);
        ++report.objects_destroyed;
    }

    // Proof: nothing of that label, and (when it had one) nothing of that id, is left.
    std::size_t left = detail::find_keys_labelled(s, label).size();
    if (!id.empty()) {
        CK_ATTRIBUTE by_id[] = {attribute_bytes(CKA_ID, id)};
        left += pkcs11::find_objects(s, by_id).size();
    }
    if (left != 0) {
        throw Error(ErrorCategory::device,
                    fmt::format("{} still shows {} object(s) labelled \"{}\" or with id {} after "
                                "they were destroyed; the key is NOT proved gone. Check the token "
                                "with pkcs11-tool --list-objects",
                                s.name, left, label, report.id_hex.empty() ? "-" : report.id_hex));
    }
    return report;
}

}  // namespace smk::hsm
