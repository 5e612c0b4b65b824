// A trusted SMK in the ceremony ([key] trusted, [application_keys] wrap_with_trusted):
// issue and restore check every token before anything irreversible and install the SMK
// with CKA_TRUSTED; a token that cannot hold it, or that holds the SMK without it, is
// refused and recorded; backup-keys marks the keys so that they leave the HSM under
// the trusted SMK alone. The rig's pcscd, cards and SoftHSM2 tokens (SO PIN 12345678,
// scripts/softhsm-env.sh's default); raw PKCS#11 (tests/pkcs11/token_raw.hpp) makes a
// key with CKA_WRAP_WITH_TRUSTED, which pkcs11-tool cannot.

#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ceremony/ceremony_rig.hpp"
#include "ceremony/ceremony_test_util.hpp"
#include "pkcs11/token_raw.hpp"
#include "smk/ceremony/flows.hpp"
#include "smk/ceremony/journal.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/ceremony/transcript.hpp"
#include "smk/error.hpp"
#include "smk/hsm.hpp"
#include "smk/kcv.hpp"

namespace {

namespace cer = smk::ceremony;
namespace fs = std::filesystem;
using smk_test::contains;

using smk_test::CapturedOutput;

const std::string kSmkHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

// The rig's plan with [key] trusted and each token's SO PIN in a file.
std::string trusted_plan_text(const smk_test::CeremonyRig& rig) {
    smk_test::spit(rig.path("so.pin"), "12345678\n");
    std::string text =
        smk_test::replaced(rig.plan_text(), "id = \"01\"\n", "id = \"01\"\ntrusted = true\n");
    const std::string token_pin = "pin_file = \"" + rig.token_pin() + "\" }";
    const std::string with_so =
        "pin_file = \"" + rig.token_pin() + "\", so_pin_file = \"" + rig.path("so.pin") + "\" }";
    return smk_test::replaced(smk_test::replaced(text, token_pin, with_so), token_pin, with_so);
}

// `text` written as an issued plan for the test SMK (identifier 1234), no card needed.
std::string issued(const smk_test::CeremonyRig& rig, const std::string& text,
                   const std::string& name) {
    cer::Plan plan = cer::parse_plan(text, rig.path(name + ".toml"));
    plan.identifier = 1234;
    plan.kcv =
        smk::kcv_hex(smk::key_check_value(smk::from_hex_secret(kSmkHex, "test SMK").bytes()));
    const fs::path out = rig.path(name + "-id01234.toml");
    fs::remove(out);
    cer::write_issued_plan(plan, out);
    return out.string();
}

// The test SMK into `token` as the plan's key, trusted or not.
void install_smk(const std::string& token, bool trusted) {
    smk_test::OpenToken t(token, "246810");
    const smk::Secret so =
        smk::Secret::copy_of({reinterpret_cast<const std::uint8_t*>("12345678"), 8});
    const smk::Secret user =
        smk::Secret::copy_of({reinterpret_cast<const std::uint8_t*>("246810"), 6});
    const smk::hsm::TrustedLogin login{so, user};
    (void)smk::hsm::install_smk(t.session, smk::from_hex_secret(kSmkHex, "test SMK"),
                                {"SMK", {0x01}, false}, std::nullopt, trusted ? &login : nullptr);
}

bool smk_trusted(const std::string& token) {
    smk_test::OpenToken t(token, "246810");
    return smk::hsm::is_trusted(t.session, "SMK");
}

using smk_test::steps;

// The position of the first line of `step` in `flow` (the transcript's order).
std::size_t first_at(const std::string& transcript, const std::string& flow,
                     const std::string& step) {
    std::size_t at = 0;
    for (const auto& line : smk::transcript::read_file(transcript)) {
        if (line.flow == flow && line.step == step) {
            return at;
        }
        ++at;
    }
    FAIL("no " << step << " in " << flow);
    return at;
}

// The result `name` of the last line of `step` in `flow`.
std::string last_result(const std::string& transcript, const std::string& flow,
                        const std::string& step, const std::string& name) {
    std::string value;
    for (const auto& line : smk::transcript::read_file(transcript)) {
        if (line.flow == flow && line.step == step) {
            for (const auto& [key, v] : line.results) {
                value = key == name ? v : value;
            }
        }
    }
    return value;
}

}  // namespace

TEST_CASE(
    "flows: [key] trusted - issue and restore check each token first and install the SMK "
    "with CKA_TRUSTED at both facilities") {
    smk_test::CeremonyRig rig;
    smk_test::spit(rig.plan(), trusted_plan_text(rig));
    cer::CeremonyOptions options;
    options.plan = rig.plan();
    options.card_mode = cer::CardMode::batch;
    options.plan_out = rig.path("issued.toml");
    CapturedOutput issue;
    cer::issue(options, issue);
    CHECK(smk_trusted("hsm-one"));
    CHECK(steps(rig.transcript(), "issue", "token-trusted-checked") == 1);
    // Checked before the SMK was made and before any card was written.
    CHECK(first_at(rig.transcript(), "issue", "token-trusted-checked") <
          first_at(rig.transcript(), "issue", "smk-generated"));
    CHECK(first_at(rig.transcript(), "issue", "token-trusted-checked") <
          first_at(rig.transcript(), "issue", "card-written"));
    CHECK(last_result(rig.transcript(), "issue", "hsm-installed", "trusted") == "yes");

    cer::CeremonyOptions restore_options;
    restore_options.plan = rig.path("issued.toml");
    restore_options.transcript = rig.transcript();
    restore_options.facility = "AUCKLAND";
    restore_options.card_mode = cer::CardMode::batch;
    CapturedOutput restore;
    cer::restore(restore_options, restore);
    CHECK(smk_trusted("hsm-two"));
    CHECK(steps(rig.transcript(), "restore", "token-trusted-checked") == 1);
    CHECK(first_at(rig.transcript(), "restore", "token-trusted-checked") <
          first_at(rig.transcript(), "restore", "card-read"));
    CHECK(last_result(rig.transcript(), "restore", "hsm-installed", "trusted") == "yes");
    std::string kcv;
    for (const auto& line : issue.results) {
        if (line.find("KCV WELLINGTON hsm-one: ") != std::string::npos) {
            kcv = line.substr(line.size() - 6);
        }
    }
    REQUIRE(kcv.size() == 6);
    CHECK(contains(rig.token_kcv("hsm-two").out, kcv));
    CHECK(smk::transcript::verify_file(rig.transcript()).ok());
}

TEST_CASE(
    "cli: [key] trusted - a token that cannot hold a trusted SMK, or holds the SMK without "
    "it, is refused before any card is read") {
    smk_test::CeremonyRig rig;
    const std::string plan = issued(rig, trusted_plan_text(rig), "trusted");
    const std::string softhsm_line = "name = \"AUCKLAND\"\nmodule = \"" + smk_test::kSoftHsmModule;
    const std::string shim_line = "name = \"AUCKLAND\"\nmodule = \"" + std::string(SMK_TOKEN_SHIM);
    const std::string shim_plan = rig.path("shim.toml");
    smk_test::spit(shim_plan, smk_test::replaced(smk_test::slurp(plan), softhsm_line, shim_line));
    const std::vector<std::string> args = {"ceremony", "restore",      "--facility",    "AUCKLAND",
                                           "--batch",  "--transcript", rig.transcript()};

    // AUCKLAND's HSM does not know CKA_TRUSTED (the test module refuses it).
    auto shim_args = args;
    shim_args.push_back(shim_plan);
    smk_test::Command command = smk_test::smk_command(shim_args);
    command.env = {"SMK_SHIM_MODULE=" + smk_test::kSoftHsmModule, "SMK_SHIM_NO_TRUSTED=1"};
    const auto refused = smk_test::as_run_result(smk_test::run_process(command));
    INFO("stderr: " << refused.err);
    CHECK(refused.exit_code == 7);
    CHECK(contains(refused.err, "cannot hold a trusted SMK"));
    CHECK(contains(refused.err, "CKR_ATTRIBUTE_TYPE_INVALID"));
    CHECK(steps(rig.transcript(), "restore", "token-trusted-unsupported") == 1);
    CHECK(steps(rig.transcript(), "restore", "card-read") == 0);
    CHECK(rig.token_kcv("hsm-two").exit_code != 0);

    // AUCKLAND's HSM holds the SMK, but not as a trusted key.
    install_smk("hsm-two", false);
    auto plain_args = args;
    plain_args.push_back(plan);
    const auto untrusted = smk_test::run_smk(plain_args);
    INFO("stderr: " << untrusted.err);
    CHECK(untrusted.exit_code == 7);
    CHECK(contains(untrusted.err, "without CKA_TRUSTED"));
    CHECK(steps(rig.transcript(), "restore", "token-smk-untrusted") == 1);
    CHECK(steps(rig.transcript(), "restore", "card-read") == 0);
    CHECK(smk::transcript::verify_file(rig.transcript()).ok());
}

TEST_CASE(
    "cli: backup-keys with wrap_with_trusted - keys leave under the trusted SMK alone, and "
    "a key the token will not mark is named with nothing written") {
    smk_test::CeremonyRig rig;
    const fs::path tree = rig.path("tree");
    fs::create_directories(tree / "hsm-backup");
    const fs::path backup = tree / "hsm-backup" / "application-keys.smkwrap";
    const std::string transcript = rig.path("keys.transcript.jsonl");
    const auto plan_for = [&](const std::string& labels) {
        std::string text = trusted_plan_text(rig);
        text += "\n[backup]\nsource = \"" + tree.string() + "/\"\n";
        text += "\n[application_keys]\nfacility = \"WELLINGTON\"\nlabels = " + labels +
                "\nbackup = \"hsm-backup/application-keys.smkwrap\"\nwrap_with_trusted = true\n";
        return issued(rig, text, "keys");
    };
    install_smk("hsm-one", true);
    CK_RV set_on_existing = CKR_OK;
    {
        smk_test::OpenToken t("hsm-one", "246810");
        (void)smk_test::generate_app_key(t.raw(), "marked", true, true);
        const CK_OBJECT_HANDLE plain = smk_test::generate_app_key(t.raw(), "plain");
        (void)smk_test::generate_app_key(t.raw(), "probe");
        // What this token answers when asked to mark an existing key (SoftHSM2 2.6.1:
        // CKR_ATTRIBUTE_READ_ONLY), measured on "probe".
        const auto probe = smk::pkcs11::find_secret_keys(t.raw(), "probe");
        REQUIRE(probe.size() == 1);
        CK_BBOOL yes = CK_TRUE;
        CK_ATTRIBUTE set[] = {smk::pkcs11::attribute(CKA_WRAP_WITH_TRUSTED, yes)};
        set_on_existing = t.raw().f().C_SetAttributeValue(t.raw().handle, probe[0], set, 1);
        CHECK(smk::pkcs11::get_bool(t.raw(), plain, CKA_WRAP_WITH_TRUSTED) == false);
    }
    if (set_on_existing != CKR_OK) {
        const auto r = smk_test::run_smk({"ceremony", "backup-keys", plan_for("[\"plain\"]")});
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 7);
        CHECK(contains(r.err, "will not set CKA_WRAP_WITH_TRUSTED on the existing key \"plain\""));
        CHECK_FALSE(fs::exists(backup));
    }
    const auto made = smk_test::run_smk({"ceremony", "backup-keys", plan_for("[\"marked\"]")});
    INFO("stderr: " << made.err);
    REQUIRE(made.exit_code == 0);
    CHECK(contains(made.out, "marked (secret AES, wrap-with-trusted)"));
    const auto json = nlohmann::json::parse(smk_test::slurp(backup));
    CHECK(json.at("keys")[0].at("wrap_with_trusted") == true);
    CHECK(steps(transcript, "backup-keys", "token-smk-trusted") >= 1);
    CHECK(last_result(transcript, "backup-keys", "application-keys-backed-up",
                      "wrap_with_trusted") == "marked");
}
