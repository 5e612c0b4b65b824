// Keys leave only under the SMK (issue 12, item 2): the SMK installed with CKA_TRUSTED
// (the security officer's part in a public session object, copied by the user into a
// private token key), keys with CKA_WRAP_WITH_TRUSTED backed up under it and under
// nothing else, the flag carried under the MAC and set again on restore, and a token
// that does not know CKA_TRUSTED refused with nothing installed. Real SoftHSM2 tokens;
// the token's own refusal of a wrap under an untrusted key is checked with raw PKCS#11.

#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "cli/fixtures.hpp"
#include "hsm_keys.hpp"
#include "key_pair_tools.hpp"
#include "smk/hex.hpp"
#include "smk/hsm.hpp"
#include "token_raw.hpp"

namespace {

using smk::ErrorCategory;
using namespace smk_test;
namespace fs = std::filesystem;

smk::Secret pin_secret(const std::string& pin) {
    return smk::Secret::copy_of({reinterpret_cast<const std::uint8_t*>(pin.data()), pin.size()});
}

smk::Kcv install_trusted(OpenToken& t, const std::string& so_pin = kSoPin) {
    const auto so = pin_secret(so_pin);
    const auto user = pin_secret(kPin);
    const smk::hsm::TrustedLogin login{so, user};
    return smk::hsm::install_smk(t.session, smk::from_hex_secret(kSecretHex, "test SMK"),
                                 {"smk", {}, false}, std::nullopt, &login);
}

void install_untrusted(OpenToken& t, const std::string& label = "smk") {
    (void)smk::hsm::install_smk(t.session, smk::from_hex_secret(kSecretHex, "test SMK"),
                                {label, {}, false});
}

// What another process without the user PIN sees on the token: pkcs11-tool
// --list-objects without --login lists the public objects only.
std::string public_objects(const std::string& token) {
    const auto r = run_process(Command(
        {"pkcs11-tool", "--module", kSoftHsmModule, "--token-label", token, "--list-objects"}));
    INFO("pkcs11-tool --list-objects: " << r.out << r.err);
    REQUIRE(r.shell_status() == 0);
    return r.out;
}

// C_WrapKey of `key` under `wrapping` with CKM_AES_KEY_WRAP_PAD: the token's own verdict.
CK_RV raw_wrap(smk::pkcs11::SessionImpl& s, CK_OBJECT_HANDLE wrapping, CK_OBJECT_HANDLE key) {
    CK_MECHANISM mechanism{smk::hsm::kAesKeyWrapPad, nullptr, 0};
    CK_ULONG length = 0;
    return s.f().C_WrapKey(s.handle, &mechanism, wrapping, key, nullptr, &length);
}

// An extractable AES key that may wrap, to stand for "anything else" a key could leave under.
CK_OBJECT_HANDLE other_wrapping_key(smk::pkcs11::SessionImpl& s) {
    CK_MECHANISM generate{CKM_AES_KEY_GEN, nullptr, 0};
    CK_ULONG length = 32;
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE key_template[] = {
        smk::pkcs11::attribute(CKA_VALUE_LEN, length),   smk::pkcs11::attribute(CKA_TOKEN, yes),
        smk::pkcs11::attribute(CKA_PRIVATE, yes),        smk::pkcs11::attribute(CKA_WRAP, yes),
        smk::pkcs11::attribute_text(CKA_LABEL, "other"),
    };
    CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
    REQUIRE(s.f().C_GenerateKey(s.handle, &generate, key_template, std::size(key_template), &key) ==
            CKR_OK);
    return key;
}

std::vector<std::string> install_args(const SoftHsm& hsm, const std::string& module,
                                      const std::vector<std::string>& shares) {
    std::vector<std::string> args = {
        "hsm",        "install",       "--pkcs11-module", module,    "--token",
        "facility-1", "--pin-file",    hsm.pin_file(),    "--label", "smk",
        "--trusted",  "--so-pin-file", hsm.so_pin_file()};
    args.insert(args.end(), shares.begin(), shares.begin() + 5);
    return args;
}

}  // namespace

TEST_CASE("a trusted SMK is a private token key with CKA_TRUSTED, and its KCV is the SMK's") {
    SoftHsm hsm({"facility-1:123456"});
    OpenToken t("facility-1");
    const smk::Kcv kcv = install_trusted(t);
    CHECK(smk::kcv_hex(kcv) ==
          smk::kcv_hex(smk::key_check_value(smk::from_hex_secret(kSecretHex, "test SMK").bytes())));
    CHECK(smk::hsm::is_trusted(t.session, "smk"));
    auto& s = t.raw();
    const auto keys = smk::pkcs11::find_secret_keys(s, "smk");
    REQUIRE(keys.size() == 1);  // the SO's session object is gone
    CHECK(smk::pkcs11::get_bool(s, keys[0], CKA_PRIVATE) == true);
    CHECK(smk::pkcs11::get_bool(s, keys[0], CKA_TOKEN) == true);
    CHECK(smk::pkcs11::get_bool(s, keys[0], CKA_SENSITIVE) == true);
    CHECK(smk::pkcs11::get_bool(s, keys[0], CKA_EXTRACTABLE) == false);
    // Nobody without the user PIN sees it: no public object of that label is left.
    CHECK_FALSE(contains(public_objects("facility-1"), "label:      smk"));
    const auto with_login = pkcs11_tool("facility-1", {"--list-objects"});
    CHECK(contains(with_login.out, "label:      smk"));  // the same tool sees it with the PIN
    // GnuTLS's p11tool, a client we did not write, shows the flags (pkcs11-tool does not).
    Command p11tool({"p11tool", "--provider", kSoftHsmModule, "--list-all", "--login",
                     "pkcs11:token=facility-1"});
    p11tool.env = {"GNUTLS_PIN=" + kPin};
    const auto listed = run_process(p11tool);
    INFO("p11tool: " << listed.out << listed.err);
    REQUIRE(listed.shell_status() == 0);
    CHECK(contains(listed.out,
                   "Label: smk\n\tFlags: CKA_WRAP/UNWRAP; CKA_PRIVATE; CKA_TRUSTED; "
                   "CKA_SENSITIVE;"));
    // The user is logged in again: the session goes on working.
    CHECK(smk::hsm::kcv_in_token(t.session, "smk") == kcv);
    // An SMK installed the plain way is not trusted.
    install_untrusted(t, "smk-plain");
    CHECK_FALSE(smk::hsm::is_trusted(t.session, "smk-plain"));
}

TEST_CASE("the up-front check takes every step with a throwaway key and leaves nothing behind") {
    SoftHsm hsm({"facility-1:123456"});
    OpenToken t("facility-1");
    const auto so = pin_secret(kSoPin);
    const auto user = pin_secret(kPin);
    smk::hsm::check_trusted_support(t.session, {so, user});
    CHECK(smk::hsm::detail::find_keys_labelled(t.raw(), std::string(smk::hsm::kTrustedCheckLabel))
              .empty());
    CHECK_FALSE(contains(pkcs11_tool("facility-1", {"--list-objects"}).out, "throwaway"));
    (void)generate_app_key(t.raw(), "app-1");  // the user is logged in again
    // A wrong SO PIN: verification, and the user still logged in.
    const auto wrong = pin_secret("87654321");
    CHECK(error_category([&] {
              smk::hsm::check_trusted_support(t.session, {wrong, user});
          }) == ErrorCategory::verification);
    CHECK(smk::pkcs11::find_secret_keys(t.raw(), "app-1").size() == 1);
}

TEST_CASE("a wrong SO PIN installs nothing and leaves the user logged in") {
    SoftHsm hsm({"facility-1:123456"});
    OpenToken t("facility-1");
    std::string message;
    CHECK(error_category([&] { (void)install_trusted(t, "87654321"); }, &message) ==
          ErrorCategory::verification);
    CHECK(smk_test::contains(message, "wrong security officer (SO) PIN"));
    CHECK(smk::pkcs11::find_secret_keys(t.raw(), "smk").empty());
    CHECK_FALSE(contains(public_objects("facility-1"), "smk"));
    (void)generate_app_key(t.raw(), "app-1");  // a private object: the user is logged in
}

TEST_CASE(
    "smk hsm install --trusted: the receipt says trusted, and a token without CKA_TRUSTED "
    "is refused with nothing installed") {
    SoftHsm hsm({"facility-1:123456"});
    const SplitRun split;
    const auto shares = split.set_files('A');

    // Each step a token may refuse (the test module in front of SoftHSM2 refuses it):
    // exit 7 naming the step and the token's answer, nothing installed.
    for (const auto& [refusal, step, answer] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
             {"SMK_SHIM_NO_SO=1", "refused the security officer's login", "CKR_USER_TYPE_INVALID"},
             {"SMK_SHIM_NO_TRUSTED=1", "creating a key with CKA_TRUSTED",
              "CKR_ATTRIBUTE_TYPE_INVALID"},
             {"SMK_SHIM_NO_COPY=1", "copying the trusted key into a private token key",
              "CKR_FUNCTION_NOT_SUPPORTED"}}) {
        Command command = smk_command(install_args(hsm, SMK_TOKEN_SHIM, shares));
        command.env = {"SMK_SHIM_MODULE=" + kSoftHsmModule, refusal};
        const auto refused = as_run_result(run_process(command));
        INFO(refusal << ": " << refused.err);
        CHECK(refused.exit_code == 7);
        CHECK(contains(refused.err, step));
        CHECK(contains(refused.err, answer));
        CHECK(contains(refused.err, "othing was "));
        CHECK(keys_labelled("facility-1", "smk") == 0);
    }

    const auto made = run_smk(install_args(hsm, kSoftHsmModule, shares));
    INFO("install: " << made.err);
    REQUIRE(made.exit_code == 0);
    CHECK(contains(made.out, "trusted (CKA_TRUSTED)"));
    OpenToken t("facility-1");
    CHECK(smk::hsm::is_trusted(t.session, "smk"));

    // The SO PIN is read only with --trusted.
    auto plain = install_args(hsm, kSoftHsmModule, shares);
    std::erase(plain, "--trusted");
    const auto lone = run_smk(plain);
    CHECK(lone.exit_code == 2);
    CHECK(contains(lone.err, "--so-pin-file"));
}

TEST_CASE(
    "a key with CKA_WRAP_WITH_TRUSTED leaves only under the trusted SMK, and keeps the "
    "flag when restored") {
    SoftHsm hsm({"facility-1:123456", "facility-2:123456"});
    const std::string backup = hsm.dir() / "keys.smkwrap";
    {
        OpenToken a("facility-1");
        install_untrusted(a, "smk-plain");
        (void)install_trusted(a);
        const CK_OBJECT_HANDLE key = generate_app_key(a.raw(), "ksk", true, true);
        // The token itself refuses it under anything that is not trusted.
        CHECK(raw_wrap(a.raw(), other_wrapping_key(a.raw()), key) == CKR_KEY_NOT_WRAPPABLE);
        // So does smk under an untrusted SMK, naming the key, with nothing written.
        std::string message;
        CHECK(error_category(
                  [&] { (void)smk::hsm::wrap_keys(a.session, "smk-plain", {"ksk"}, backup); },
                  &message) == ErrorCategory::refused);
        CHECK(contains(message, "only under a trusted key"));
        CHECK(contains(message, "\"ksk\""));
        CHECK_FALSE(fs::exists(backup));
        const auto summary = smk::hsm::wrap_keys(a.session, "smk", {"ksk"}, backup);
        REQUIRE(summary.keys.size() == 1);
        CHECK(summary.keys[0].wrap_with_trusted);
    }
    const auto json = nlohmann::json::parse(read_file(backup));
    CHECK(json.at("version") == 3);
    CHECK(json.at("keys")[0].at("wrap_with_trusted") == true);

    OpenToken b("facility-2");
    install_untrusted(b);
    const auto restored = smk::hsm::unwrap_keys(b.session, "smk", backup);
    REQUIRE(restored.keys.size() == 1);
    CHECK(restored.keys[0].wrap_with_trusted);
    const auto keys = smk::pkcs11::find_secret_keys(b.raw(), "ksk");
    REQUIRE(keys.size() == 1);
    CHECK(smk::pkcs11::get_bool(b.raw(), keys[0], CKA_WRAP_WITH_TRUSTED) == true);
    // At facility 2 the SMK is not trusted: the restored key cannot leave under it either.
    CHECK(raw_wrap(b.raw(), smk::pkcs11::find_secret_keys(b.raw(), "smk").at(0), keys[0]) ==
          CKR_KEY_NOT_WRAPPABLE);
}

TEST_CASE("turning wrap_with_trusted off in a backup is refused by its MAC, nothing restored") {
    SoftHsm hsm({"facility-1:123456", "facility-2:123456"});
    const std::string backup = hsm.dir() / "keys.smkwrap";
    {
        OpenToken a("facility-1");
        (void)install_trusted(a);
        (void)generate_app_key(a.raw(), "ksk", true, true);
        (void)smk::hsm::wrap_keys(a.session, "smk", {"ksk"}, backup);
    }
    auto json = nlohmann::json::parse(read_file(backup));
    json["keys"][0]["wrap_with_trusted"] = false;
    write_file(backup, json.dump(2) + "\n");
    rehash_backup(backup);
    OpenToken b("facility-2");
    install_untrusted(b);
    std::string message;
    CHECK(error_category([&] { (void)smk::hsm::unwrap_keys(b.session, "smk", backup); },
                         &message) == ErrorCategory::verification);
    CHECK(contains(message, "MAC"));
    CHECK(smk::pkcs11::find_secret_keys(b.raw(), "ksk").empty());
}

TEST_CASE(
    "a version 2 backup (no wrap_with_trusted) still restores, and version 2 with the "
    "field is refused") {
    SoftHsm hsm({"facility-1:123456", "facility-2:123456"});
    const std::string backup = hsm.dir() / "keys.smkwrap";
    OpenToken a("facility-1");
    install_untrusted(a);
    (void)generate_app_key(a.raw(), "app-1");
    (void)smk::hsm::wrap_keys(a.session, "smk", {"app-1"}, backup);
    auto json = nlohmann::json::parse(read_file(backup));
    json["version"] = 2;
    SUBCASE("without the field: restored") {
        json["keys"][0].erase("wrap_with_trusted");
        write_file(backup, json.dump(2) + "\n");
        remac_backup(backup, a.raw(), "smk");
        OpenToken b("facility-2");
        install_untrusted(b);
        const auto restored = smk::hsm::unwrap_keys(b.session, "smk", backup);
        REQUIRE(restored.keys.size() == 1);
        CHECK_FALSE(restored.keys[0].wrap_with_trusted);
    }
    SUBCASE("with the field: not a version 2 file") {
        write_file(backup, json.dump(2) + "\n");
        remac_backup(backup, a.raw(), "smk");
        std::string message;
        CHECK(error_category([&] { (void)smk::hsm::read_backup(backup); }, &message) ==
              ErrorCategory::invalid_input);
        CHECK(contains(message, "version 2 does not have"));
    }
}

TEST_CASE(
    "backup --wrap-with-trusted: refused under an untrusted SMK with nothing changed, and "
    "a token that will not set the flag on an existing key is named") {
    SoftHsm hsm({"facility-1:123456"});
    const std::string backup = hsm.dir() / "keys.smkwrap";
    OpenToken a("facility-1");
    install_untrusted(a, "smk-plain");
    (void)install_trusted(a);
    const CK_OBJECT_HANDLE key = generate_app_key(a.raw(), "app-1");
    const smk::hsm::WrapOptions only_trusted{true};

    std::string message;
    CHECK(error_category(
              [&] {
                  (void)smk::hsm::wrap_keys(a.session, "smk-plain", {"app-1"}, backup,
                                            only_trusted);
              },
              &message) == ErrorCategory::refused);
    CHECK(contains(message, "is not trusted"));
    CHECK(smk::pkcs11::get_bool(a.raw(), key, CKA_WRAP_WITH_TRUSTED) == false);
    CHECK_FALSE(fs::exists(backup));

    // What this token does when asked to set the flag on an existing key (SoftHSM2 2.6.1:
    // CKR_ATTRIBUTE_READ_ONLY; later versions set it), measured on another key.
    const CK_OBJECT_HANDLE probe = generate_app_key(a.raw(), "probe");
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE set[] = {smk::pkcs11::attribute(CKA_WRAP_WITH_TRUSTED, yes)};
    const CK_RV token_says = a.raw().f().C_SetAttributeValue(a.raw().handle, probe, set, 1);
    if (token_says == CKR_OK) {
        const auto summary = smk::hsm::wrap_keys(a.session, "smk", {"app-1"}, backup, only_trusted);
        CHECK(summary.keys.at(0).wrap_with_trusted);
        CHECK(smk::pkcs11::get_bool(a.raw(), key, CKA_WRAP_WITH_TRUSTED) == true);
    } else {
        CHECK(error_category(
                  [&] {
                      (void)smk::hsm::wrap_keys(a.session, "smk", {"app-1"}, backup, only_trusted);
                  },
                  &message) == ErrorCategory::refused);
        CHECK(
            contains(message, "will not set CKA_WRAP_WITH_TRUSTED on the existing key \"app-1\""));
        CHECK(contains(message, std::string(smk::pkcs11::rv_name(token_says))));
        CHECK_FALSE(fs::exists(backup));
    }
    // Through the test module that answers as SoftHSM2 2.6.1 does, whatever this token
    // does: refused naming the key, nothing written, the key unchanged.
    {
        const CK_OBJECT_HANDLE fresh = generate_app_key(a.raw(), "app-2");
        const std::string shimmed = hsm.dir() / "shim.smkwrap";
        Command command =
            smk_command({"hsm", "backup", "--pkcs11-module", SMK_TOKEN_SHIM, "--token",
                         "facility-1", "--pin-file", hsm.pin_file(), "--wrap-with", "smk", "--key",
                         "app-2", "--out", shimmed, "--wrap-with-trusted"});
        command.env = {"SMK_SHIM_MODULE=" + kSoftHsmModule, "SMK_SHIM_NO_SET_WRAP_WITH_TRUSTED=1"};
        const auto r = as_run_result(run_process(command));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 7);
        CHECK(contains(r.err,
                       "will not set CKA_WRAP_WITH_TRUSTED on the existing key \"app-2\" "
                       "(CKR_ATTRIBUTE_READ_ONLY"));
        CHECK_FALSE(fs::exists(shimmed));
        CHECK(smk::pkcs11::get_bool(a.raw(), fresh, CKA_WRAP_WITH_TRUSTED) == false);
    }
    // A key made with the flag needs no change and is backed up.
    (void)generate_app_key(a.raw(), "ksk", true, true);
    const std::string second = hsm.dir() / "ksk.smkwrap";
    const auto summary = smk::hsm::wrap_keys(a.session, "smk", {"ksk"}, second, only_trusted);
    CHECK(summary.keys.at(0).wrap_with_trusted);
}
