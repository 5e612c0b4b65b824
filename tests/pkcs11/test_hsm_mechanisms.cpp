// A token that lacks a mechanism smk needs, shown by a PKCS#11 module that hides
// it in front of SoftHSM2 (tests/pkcs11/shim/token_shim.cpp): `smk hsm backup`
// and `smk hsm restore-backup` refuse it up front, naming the mechanism, with
// nothing written to the disk or the token.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "cli/fixtures.hpp"
#include "hsm_keys.hpp"
#include "smk/hex.hpp"
#include "smk/hsm.hpp"
#include "token_raw.hpp"

namespace {

using namespace smk_test;
namespace fs = std::filesystem;

void install_smk(const std::string& token) {
    OpenToken t(token);
    (void)smk::hsm::install_smk(t.session, smk::from_hex_secret(kSecretHex, "test SMK"),
                                {"smk", {}, false});
}

// `smk ARGS` with the module in front of SoftHSM2 hiding the mechanisms `hide`.
RunResult run_smk_hiding(const std::string& hide, std::vector<std::string> args) {
    Command command = smk_command(std::move(args));
    command.env = {"SMK_SHIM_MODULE=" + kSoftHsmModule, "SMK_SHIM_HIDE=" + hide};
    return as_run_result(run_process(command));
}

}  // namespace

TEST_CASE(
    "a token without CKM_AES_KEY_WRAP_PAD or CKM_AES_CMAC is refused up front, nothing "
    "written") {
    SoftHsm hsm({"facility-1:123456", "facility-2:123456"});
    install_smk("facility-1");
    install_smk("facility-2");
    {
        OpenToken a("facility-1");
        (void)generate_app_key(a.raw(), "app-1");
    }
    const std::string backup = hsm.dir() / "keys.smkwrap";
    const std::vector<std::string> backup_args = {
        "hsm",        "backup",     "--pkcs11-module", SMK_TOKEN_SHIM, "--token",
        "facility-1", "--pin-file", hsm.pin_file(),    "--wrap-with",  "smk",
        "--key",      "app-1",      "--out",           backup};

    // Without the wrapping mechanism (0x210A) and without the MAC's (0x108A).
    for (const auto& [hide, name] : std::vector<std::pair<std::string, std::string>>{
             {"0x210A", "CKM_AES_KEY_WRAP_PAD"}, {"0x108A", "CKM_AES_CMAC"}}) {
        const auto refused = run_smk_hiding(hide, backup_args);
        INFO("backup: " << refused.err);
        CHECK(refused.exit_code == 7);
        CHECK(contains(refused.err, "does not offer " + name));
        CHECK(contains(refused.err, "nothing was changed or written"));
        CHECK_FALSE(fs::exists(backup));
        CHECK_FALSE(fs::exists(backup + ".sha256sum"));
    }
    // The module hiding nothing passes everything through: the backup is made.
    const auto made = run_smk_hiding("", backup_args);
    INFO("backup: " << made.err);
    REQUIRE(made.exit_code == 0);

    const std::vector<std::string> restore_args = {
        "hsm",        "restore-backup", "--pkcs11-module", SMK_TOKEN_SHIM, "--token", "facility-2",
        "--pin-file", hsm.pin_file(),   "--unwrap-with",   "smk",          backup};
    for (const auto& [hide, name] : std::vector<std::pair<std::string, std::string>>{
             {"0x210A", "CKM_AES_KEY_WRAP_PAD"}, {"0x108A", "CKM_AES_CMAC"}}) {
        const auto refused = run_smk_hiding(hide, restore_args);
        INFO("restore-backup: " << refused.err);
        CHECK(refused.exit_code == 7);
        CHECK(contains(refused.err, "does not offer " + name));
        OpenToken b("facility-2");
        CHECK(smk::pkcs11::find_secret_keys(b.raw(), "app-1").empty());
    }
    const auto restored = run_smk_hiding("", restore_args);
    INFO("restore-backup: " << restored.err);
    CHECK(restored.exit_code == 0);
    OpenToken b("facility-2");
    CHECK(smk::pkcs11::find_secret_keys(b.raw(), "app-1").size() == 1);
}
