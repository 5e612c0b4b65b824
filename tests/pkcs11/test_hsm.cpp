// The SMK in a token and wrapped key backups through the library, on private
// SoftHSM2 tokens: two tokens stand for the HSMs of two facilities.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "cli/fixtures.hpp"
#include "smk/hex.hpp"
#include "smk/hsm.hpp"
#include "token_raw.hpp"

namespace {

using smk::ErrorCategory;
using namespace smk_test;

smk::Secret key_of(const std::string& hex) {
    return smk::from_hex_secret(hex, "test key");
}

smk::Kcv software_kcv(const std::string& hex) {
    return smk::key_check_value(key_of(hex).bytes());
}

std::string sha256sum_line(const std::string& file, const TempDir& /*dir*/) {
    const auto r = run_process(Command({"sha256sum", file}));
    REQUIRE(r.shell_status() == 0);
    return r.out + r.err;
}

}  // namespace

TEST_CASE("install puts the SMK in the token and its in-token KCV equals the software KCV") {
    SoftHsm hsm({"hsm-a:123456"});
    OpenToken token("hsm-a");
    const smk::Kcv expected = software_kcv(kSecretHex);
    const smk::Kcv kcv = smk::hsm::install_smk(token.session, key_of(kSecretHex),
                                               {"smk", {0x01, 0x02}, false}, expected);
    CHECK(kcv == expected);
    CHECK(smk::kcv_hex(kcv) == kcv_of(kSecretHex));
    CHECK(smk::hsm::kcv_in_token(token.session, "smk") == expected);
    auto& s = token.raw();
    const auto keys = smk::pkcs11::find_secret_keys(s, "smk");
    REQUIRE(keys.size() == 1);
    CHECK(smk::pkcs11::get_ulong(s, keys[0], CKA_KEY_TYPE) == CKK_AES);
    CHECK(smk::pkcs11::get_attribute(s, keys[0], CKA_ID) == std::vector<std::uint8_t>{1, 2});
}

TEST_CASE("the installed SMK key is sensitive and not extractable") {
    SoftHsm hsm({"hsm-a:123456"});
    OpenToken token("hsm-a");
    (void)smk::hsm::install_smk(token.session, key_of(kSecretHex), {"smk", {}, false});
    auto& s = token.raw();
    const auto keys = smk::pkcs11::find_secret_keys(s, "smk");
    REQUIRE(keys.size() == 1);
    const CK_OBJECT_HANDLE key = keys[0];
    CHECK(smk::pkcs11::get_bool(s, key, CKA_TOKEN) == true);
    CHECK(smk::pkcs11::get_bool(s, key, CKA_PRIVATE) == true);
    CHECK(smk::pkcs11::get_bool(s, key, CKA_SENSITIVE) == true);
    CHECK(smk::pkcs11::get_bool(s, key, CKA_EXTRACTABLE) == false);
    CHECK(smk::pkcs11::get_bool(s, key, CKA_ENCRYPT) == true);
    CHECK(smk::pkcs11::get_bool(s, key, CKA_DECRYPT) == true);
    CHECK(smk::pkcs11::get_bool(s, key, CKA_WRAP) == true);
    CHECK(smk::pkcs11::get_bool(s, key, CKA_UNWRAP) == true);
    // Sign and verify: the MAC of a key backup (CKM_AES_CMAC).
    CHECK(smk::pkcs11::get_bool(s, key, CKA_SIGN) == true);
    CHECK(smk::pkcs11::get_bool(s, key, CKA_VERIFY) == true);
    CHECK(smk::pkcs11::get_bool(s, key, CKA_DERIVE) == false);
    // The value itself never leaves the token.
    std::uint8_t buffer[64];
    CK_ATTRIBUTE value{CKA_VALUE, buffer, sizeof buffer};
    CHECK(s.f().C_GetAttributeValue(s.handle, key, &value, 1) == CKR_ATTRIBUTE_SENSITIVE);
    CHECK(value.ulValueLen == CK_UNAVAILABLE_INFORMATION);
}

TEST_CASE("install refuses an existing label and replace swaps the key") {
    SoftHsm hsm({"hsm-a:123456"});
    OpenToken token("hsm-a");
    (void)smk::hsm::install_smk(token.session, key_of(kSecretHex), {"smk", {}, false});
    std::string message;
    CHECK(error_category(
              [&] {
                  (void)smk::hsm::install_smk(token.session, key_of(kOtherSecretHex),
                                              {"smk", {}, false});
              },
              &message) == ErrorCategory::refused);
    CHECK(message.find("--replace") != std::string::npos);
    CHECK(smk::hsm::kcv_in_token(token.session, "smk") == software_kcv(kSecretHex));

    (void)smk::hsm::install_smk(token.session, key_of(kOtherSecretHex), {"smk", {}, true});
    CHECK(smk::pkcs11::find_secret_keys(token.raw(), "smk").size() == 1);
    CHECK(smk::hsm::kcv_in_token(token.session, "smk") == software_kcv(kOtherSecretHex));
}

TEST_CASE("install with a wrong expected KCV installs nothing") {
    SoftHsm hsm({"hsm-a:123456"});
    OpenToken token("hsm-a");
    const smk::Kcv wrong = software_kcv(kOtherSecretHex);
    CHECK(error_category([&] {
              (void)smk::hsm::install_smk(token.session, key_of(kSecretHex), {"smk", {}, false},
                                          wrong);
          }) == ErrorCategory::verification);
    CHECK(smk::pkcs11::find_secret_keys(token.raw(), "smk").empty());
    CHECK(error_category([&] { (void)smk::hsm::kcv_in_token(token.session, "smk"); }) ==
          ErrorCategory::usage);
}

TEST_CASE("wrap on token A and unwrap on token B gives keys that encrypt identically") {
    SoftHsm hsm({"facility-1:123456", "facility-2:123456"});
    const std::string backup = hsm.dir() / "keys.smkwrap";
    std::vector<std::uint8_t> cipher1;
    std::vector<std::uint8_t> cipher2;
    {
        OpenToken a("facility-1");
        (void)smk::hsm::install_smk(a.session, key_of(kSecretHex), {"smk", {}, false});
        cipher1 = encrypt_block(a.raw(), generate_app_key(a.raw(), "app-1"));
        cipher2 = encrypt_block(a.raw(), generate_app_key(a.raw(), "app-2"));
        const auto summary = smk::hsm::wrap_keys(a.session, "smk", {"app-1", "app-2"}, backup);
        CHECK(summary.keys.size() == 2);
        CHECK(summary.wrapping_kcv_hex == kcv_of(kSecretHex));
        REQUIRE(summary.keys[0].kcv_hex.has_value());
        CHECK(summary.keys[0].key_type == "AES");
        CHECK(summary.keys[0].id_hex == "a102");
    }
    // The files: sha256sum -c accepts the checksum file, and the backup is the documented JSON.
    Command check({"sha256sum", "-c", "keys.smkwrap.sha256sum"});
    check.cwd = hsm.dir().path();
    CHECK(run_process(check).shell_status() == 0);
    CHECK(read_file(backup + ".sha256sum") ==
          sha256sum_line(backup, hsm.dir()).substr(0, 64) + "  keys.smkwrap\n");
    const auto json = nlohmann::json::parse(read_file(backup));
    CHECK(json.at("format") == "smk-wrapped-keys");
    CHECK(json.at("version") == 3);
    CHECK(json.at("mechanism") == "CKM_AES_KEY_WRAP_PAD");
    CHECK(json.at("keys").size() == 2);
    CHECK(json.at("keys")[0].at("wrapped").get<std::string>().size() == 2 * 40);
    CHECK(file_mode(backup) == 0600U);

    OpenToken b("facility-2");
    (void)smk::hsm::install_smk(b.session, key_of(kSecretHex), {"smk", {}, false});
    const auto restored = smk::hsm::unwrap_keys(b.session, "smk", backup);
    CHECK(restored.keys.size() == 2);
    auto& s = b.raw();
    const auto k1 = smk::pkcs11::find_secret_keys(s, "app-1");
    const auto k2 = smk::pkcs11::find_secret_keys(s, "app-2");
    REQUIRE(k1.size() == 1);
    REQUIRE(k2.size() == 1);
    CHECK(encrypt_block(s, k1[0]) == cipher1);
    CHECK(encrypt_block(s, k2[0]) == cipher2);
    CHECK(cipher1 != cipher2);
    CHECK(smk::pkcs11::get_bool(s, k1[0], CKA_SENSITIVE) == true);
    CHECK(smk::pkcs11::get_bool(s, k1[0], CKA_PRIVATE) == true);
    CHECK(smk::pkcs11::get_bool(s, k1[0], CKA_WRAP) == false);
    CHECK(smk::pkcs11::get_attribute(s, k1[0], CKA_ID) == std::vector<std::uint8_t>{0xA1, 0x02});

    // Restoring again is refused (labels exist) unless replace, which keeps one key per label.
    CHECK(error_category([&] { (void)smk::hsm::unwrap_keys(b.session, "smk", backup); }) ==
          ErrorCategory::refused);
    smk::hsm::UnwrapOptions replace;
    replace.replace = true;
    (void)smk::hsm::unwrap_keys(b.session, "smk", backup, replace);
    const auto again = smk::pkcs11::find_secret_keys(s, "app-1");
    REQUIRE(again.size() == 1);
    CHECK(encrypt_block(s, again[0]) == cipher1);
}

TEST_CASE("a corrupted backup file is refused by its sha256sum and restores nothing") {
    SoftHsm hsm({"facility-1:123456", "facility-2:123456"});
    const std::string backup = hsm.dir() / "keys.smkwrap";
    {
        OpenToken a("facility-1");
        (void)smk::hsm::install_smk(a.session, key_of(kSecretHex), {"smk", {}, false});
        (void)generate_app_key(a.raw(), "app-1");
        (void)smk::hsm::wrap_keys(a.session, "smk", {"app-1"}, backup);
        // Writing over an existing backup is refused.
        CHECK(error_category([&] {
                  (void)smk::hsm::wrap_keys(a.session, "smk", {"app-1"}, backup);
              }) == ErrorCategory::refused);
    }
    std::string text = read_file(backup);
    const auto at = text.find("\"wrapped\": \"") + 14;
    text[at] = text[at] == '0' ? '1' : '0';
    fs::permissions(backup, fs::perms::owner_write, fs::perm_options::add);
    write_file(backup, text);

    OpenToken b("facility-2");
    (void)smk::hsm::install_smk(b.session, key_of(kSecretHex), {"smk", {}, false});
    std::string message;
    CHECK(error_category([&] { (void)smk::hsm::unwrap_keys(b.session, "smk", backup); },
                         &message) == ErrorCategory::verification);
    CHECK(message.find("does not match") != std::string::npos);
    CHECK(message.find(".sha256sum") != std::string::npos);
    CHECK(smk::pkcs11::find_secret_keys(b.raw(), "app-1").empty());

    // Without its .sha256sum a backup is not trusted either.
    fs::remove(backup + ".sha256sum");
    CHECK(error_category([&] { (void)smk::hsm::unwrap_keys(b.session, "smk", backup); }) ==
          ErrorCategory::verification);
}

TEST_CASE("unwrap under a different SMK fails cleanly and leaves no key") {
    SoftHsm hsm({"facility-1:123456", "facility-2:123456"});
    const std::string backup = hsm.dir() / "keys.smkwrap";
    {
        OpenToken a("facility-1");
        (void)smk::hsm::install_smk(a.session, key_of(kSecretHex), {"smk", {}, false});
        (void)generate_app_key(a.raw(), "app-1");
        (void)generate_app_key(a.raw(), "app-2");
        (void)smk::hsm::wrap_keys(a.session, "smk", {"app-1", "app-2"}, backup);
    }
    OpenToken b("facility-2");
    (void)smk::hsm::install_smk(b.session, key_of(kOtherSecretHex), {"smk", {}, false});
    std::string message;
    CHECK(error_category([&] { (void)smk::hsm::unwrap_keys(b.session, "smk", backup); },
                         &message) == ErrorCategory::verification);
    CHECK(message.find("install the right SMK") != std::string::npos);
    CHECK(smk::pkcs11::find_secret_keys(b.raw(), "app-1").empty());

    // Past the KCV check (the recorded KCV edited to the wrong SMK's), the MAC made
    // under the right SMK fails.
    auto json = nlohmann::json::parse(read_file(backup));
    json["wrapping_key"]["kcv"] = kcv_of(kOtherSecretHex);
    fs::permissions(backup, fs::perms::owner_write, fs::perm_options::add);
    write_file(backup, json.dump(2) + "\n");
    fs::remove(backup + ".sha256sum");
    rehash_backup(backup);
    CHECK(error_category([&] { (void)smk::hsm::unwrap_keys(b.session, "smk", backup); },
                         &message) == ErrorCategory::verification);
    CHECK(message.find("the MAC of") != std::string::npos);
    CHECK(message.find("made under another SMK") != std::string::npos);
    CHECK(smk::pkcs11::find_secret_keys(b.raw(), "app-1").empty());
    // Past the MAC too (made again under the wrong SMK), the token's own unwrap
    // fails; no object may be left behind.
    remac_backup(backup, b.raw(), "smk");
    CHECK(error_category([&] { (void)smk::hsm::unwrap_keys(b.session, "smk", backup); },
                         &message) == ErrorCategory::verification);
    INFO(message);
    CHECK(message.find("unwrapping key \"app-1\"") != std::string::npos);
    CHECK(smk::pkcs11::find_secret_keys(b.raw(), "app-1").empty());
    CHECK(smk::pkcs11::find_secret_keys(b.raw(), "app-2").empty());
}

TEST_CASE("a restore that fails on its second key removes the first") {
    SoftHsm hsm({"facility-1:123456", "facility-2:123456"});
    const std::string backup = hsm.dir() / "keys.smkwrap";
    {
        OpenToken a("facility-1");
        (void)smk::hsm::install_smk(a.session, key_of(kSecretHex), {"smk", {}, false});
        (void)generate_app_key(a.raw(), "app-1");
        (void)generate_app_key(a.raw(), "app-2");
        (void)smk::hsm::wrap_keys(a.session, "smk", {"app-1", "app-2"}, backup);
    }
    auto json = nlohmann::json::parse(read_file(backup));
    std::string wrapped = json["keys"][1]["wrapped"].get<std::string>();
    wrapped[10] = wrapped[10] == 'f' ? 'e' : 'f';
    json["keys"][1]["wrapped"] = wrapped;
    fs::permissions(backup, fs::perms::owner_write, fs::perm_options::add);
    write_file(backup, json.dump(2) + "\n");
    fs::remove(backup + ".sha256sum");
    rehash_backup(backup);

    OpenToken b("facility-2");
    (void)smk::hsm::install_smk(b.session, key_of(kSecretHex), {"smk", {}, false});
    std::string message;
    CHECK(error_category([&] { (void)smk::hsm::unwrap_keys(b.session, "smk", backup); },
                         &message) == ErrorCategory::verification);
    CHECK(message.find("the MAC of") != std::string::npos);
    // Past the MAC (made again under the SMK), the second key's unwrap fails.
    remac_backup(backup, b.raw(), "smk");
    CHECK(error_category([&] { (void)smk::hsm::unwrap_keys(b.session, "smk", backup); },
                         &message) == ErrorCategory::verification);
    CHECK(message.find("\"app-2\"") != std::string::npos);
    CHECK(smk::pkcs11::find_secret_keys(b.raw(), "app-1").empty());
    CHECK(smk::pkcs11::find_secret_keys(b.raw(), "app-2").empty());
    // Every secret key left is the SMK.
    CK_OBJECT_CLASS secret = CKO_SECRET_KEY;
    CK_ATTRIBUTE match[] = {smk::pkcs11::attribute(CKA_CLASS, secret)};
    CHECK(smk::pkcs11::find_objects(b.raw(), match).size() == 1);
}

TEST_CASE("backing up a key that is not extractable is refused and writes nothing") {
    SoftHsm hsm({"facility-1:123456"});
    const std::string backup = hsm.dir() / "keys.smkwrap";
    OpenToken a("facility-1");
    (void)smk::hsm::install_smk(a.session, key_of(kSecretHex), {"smk", {}, false});
    (void)generate_app_key(a.raw(), "app-1");
    (void)generate_app_key(a.raw(), "locked", false);
    std::string message;
    CHECK(error_category(
              [&] {
                  (void)smk::hsm::wrap_keys(a.session, "smk", {"app-1", "locked"}, backup);
              },
              &message) == ErrorCategory::refused);
    CHECK(message.find("not extractable") != std::string::npos);
    CHECK_FALSE(fs::exists(backup));
    CHECK_FALSE(fs::exists(backup + ".sha256sum"));
    // The SMK itself cannot be wrapped out, nor a key that does not exist.
    CHECK(error_category([&] { (void)smk::hsm::wrap_keys(a.session, "smk", {"smk"}, backup); }) ==
          ErrorCategory::usage);
    CHECK(error_category([&] { (void)smk::hsm::wrap_keys(a.session, "smk", {"nope"}, backup); }) ==
          ErrorCategory::usage);
    CHECK_FALSE(fs::exists(backup));
}

TEST_CASE("parse_kcv takes six hex digits only") {
    CHECK(smk::hsm::parse_kcv("A1b2C3", "--expect") == smk::Kcv{0xa1, 0xb2, 0xc3});
    CHECK(error_category([] { (void)smk::hsm::parse_kcv("a1b2c", "--expect"); }) ==
          ErrorCategory::usage);
    CHECK(error_category([] { (void)smk::hsm::parse_kcv("a1b2cz", "--expect"); }) ==
          ErrorCategory::usage);
}
