#pragma once
// Raw PKCS#11 on a token of the SoftHSM2 fixture (softhsm.hpp): a logged-in
// session, and the attributes and operations smk itself never uses, through the
// internal pkcs11/pkcs11_raw.hpp (the PKCS#11 suite builds with pkcs11/ included).

#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backup_file.hpp"
#include "pkcs11_raw.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "support/softhsm.hpp"

namespace smk_test {

// A logged-in session on a token of the SoftHSM2 of the current test case.
struct OpenToken {
    smk::pkcs11::Module module{kSoftHsmModule};
    smk::pkcs11::Session session;

    explicit OpenToken(const std::string& label, const std::string& pin = kPin)
        : session(module, label) {
        const auto secret =
            smk::Secret::copy_of({reinterpret_cast<const std::uint8_t*>(pin.data()), pin.size()});
        session.login(secret);
    }
    [[nodiscard]] smk::pkcs11::SessionImpl& raw() { return smk::pkcs11::raw(session); }
};

// The category of the smk::Error `f` throws (fails if it throws none).
template <typename F>
smk::ErrorCategory error_category(F&& f, std::string* message = nullptr) {
    try {
        f();
    } catch (const smk::Error& error) {
        if (message != nullptr) {
            *message = error.what();
        }
        return error.category();
    }
    FAIL("no smk::Error was thrown");
    return smk::ErrorCategory::internal;
}

// Rewrites a backup's FILE.sha256sum for its current content (as an attacker or a
// careless copy could), so the checks after the checksum are reached.
inline void rehash_backup(const std::string& file) {
    const std::filesystem::path path(file);
    Command command({"sha256sum", path.filename().string()});
    command.cwd = path.parent_path();
    const auto r = run_process(command);
    REQUIRE(r.shell_status() == 0);
    write_file(file + ".sha256sum", r.out);
}

// Recomputes a backup's MAC under the token's secret key `label` (as an insider at a
// token holding an SMK could), then its .sha256sum: so the checks after the MAC are
// reached with an edited file.
inline void remac_backup(const std::string& file, smk::pkcs11::SessionImpl& s,
                         const std::string& label) {
    auto json = nlohmann::json::parse(read_file(file));
    json.erase("mac");
    const std::string text = std::string(smk::hsm::detail::kMacDomain) + json.dump();
    std::vector<std::uint8_t> data(text.begin(), text.end());
    const auto keys = smk::pkcs11::find_secret_keys(s, label);
    REQUIRE(keys.size() == 1);
    CK_MECHANISM cmac{CKM_AES_CMAC, nullptr, 0};
    REQUIRE(s.f().C_SignInit(s.handle, &cmac, keys[0]) == CKR_OK);
    std::vector<std::uint8_t> mac(16);
    CK_ULONG length = mac.size();
    REQUIRE(s.f().C_Sign(s.handle, data.data(), data.size(), mac.data(), &length) == CKR_OK);
    json["mac"] = {{"mechanism", "CKM_AES_CMAC"}, {"value", smk::to_hex(mac)}};
    write_file(file, json.dump(2) + "\n");
    rehash_backup(file);
}

// AES-ECB of one block with a token key (what two copies of a key must agree on).
inline std::vector<std::uint8_t> encrypt_block(smk::pkcs11::SessionImpl& s, CK_OBJECT_HANDLE key) {
    CK_MECHANISM ecb{CKM_AES_ECB, nullptr, 0};
    REQUIRE(s.f().C_EncryptInit(s.handle, &ecb, key) == CKR_OK);
    std::vector<std::uint8_t> block = {'s', 'm', 'k', ' ', 't', 'e', 's', 't',
                                       ' ', 'b', 'l', 'o', 'c', 'k', '!', '!'};
    std::vector<std::uint8_t> out(16);
    CK_ULONG length = out.size();
    REQUIRE(s.f().C_Encrypt(s.handle, block.data(), block.size(), out.data(), &length) == CKR_OK);
    REQUIRE(length == 16);
    return out;
}

// An application key made in the token: AES-256, extractable (so it can be backed up).
// With `wrap_with_trusted`, CKA_WRAP_WITH_TRUSTED is in the generation template.
inline CK_OBJECT_HANDLE generate_app_key(smk::pkcs11::SessionImpl& s, const std::string& label,
                                         bool extractable = true, bool wrap_with_trusted = false) {
    CK_MECHANISM generate{CKM_AES_KEY_GEN, nullptr, 0};
    CK_ULONG length = 32;
    CK_BBOOL yes = CK_TRUE;
    CK_BBOOL no = CK_FALSE;
    CK_BBOOL can_extract = extractable ? CK_TRUE : CK_FALSE;
    CK_BBOOL only_trusted = wrap_with_trusted ? CK_TRUE : CK_FALSE;
    std::vector<std::uint8_t> id = {0xA1, 0x02};
    CK_ATTRIBUTE key_template[] = {
        smk::pkcs11::attribute(CKA_VALUE_LEN, length),
        smk::pkcs11::attribute(CKA_TOKEN, yes),
        smk::pkcs11::attribute(CKA_PRIVATE, yes),
        smk::pkcs11::attribute(CKA_SENSITIVE, yes),
        smk::pkcs11::attribute(CKA_EXTRACTABLE, can_extract),
        smk::pkcs11::attribute(CKA_ENCRYPT, yes),
        smk::pkcs11::attribute(CKA_DECRYPT, yes),
        smk::pkcs11::attribute(CKA_WRAP, no),
        smk::pkcs11::attribute(CKA_UNWRAP, no),
        smk::pkcs11::attribute_text(CKA_LABEL, label),
        smk::pkcs11::attribute_bytes(CKA_ID, id),
        smk::pkcs11::attribute(CKA_WRAP_WITH_TRUSTED, only_trusted),
    };
    CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
    REQUIRE(s.f().C_GenerateKey(s.handle, &generate, key_template, std::size(key_template), &key) ==
            CKR_OK);
    return key;
}

}  // namespace smk_test
