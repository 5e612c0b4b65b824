// smk ceremony backup-keys (phase 1), end to end: the real binary against the rig's
// SoftHSM2 tokens. The SMK is installed into hsm-one (WELLINGTON) directly and the
// issued plan written for it, so no card is needed; the keys are made by OpenSC's
// pkcs11-tool, and what smk wrote is checked with coreutils, openssl and a restore
// into hsm-two.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "ceremony/ceremony_rig.hpp"
#include "ceremony/ceremony_test_util.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/ceremony/transcript.hpp"
#include "smk/hex.hpp"
#include "smk/hsm.hpp"
#include "smk/kcv.hpp"
#include "smk/pkcs11.hpp"

namespace {

namespace fs = std::filesystem;
namespace cer = smk::ceremony;
using smk_test::run_smk;

using smk_test::contains;

// Test setup only: fixed commands on temp paths.
smk_test::ProcessResult sh(const std::string& command) {
    return smk_test::run_shell(command);
}

const std::string kSmkHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

// The SMK into `token` as the rig's plan's key ("SMK", id 01); its KCV (hex).
std::string install_smk(const std::string& token) {
    smk::pkcs11::Module module(smk_test::kSoftHsmModule);
    smk::pkcs11::Session session(module, token);
    const std::string pin = "246810";
    session.login(
        smk::Secret::copy_of({reinterpret_cast<const std::uint8_t*>(pin.data()), pin.size()}));
    const smk::Secret smk_key = smk::from_hex_secret(kSmkHex, "test SMK");
    return smk::kcv_hex(smk::hsm::install_smk(session, smk_key, {"SMK", {0x01}, false}));
}

// pkcs11-tool (OpenSC) makes a key in `token`.
void make_key(const std::string& token, const std::string& what) {
    const auto made = sh("pkcs11-tool --module " + smk_test::kSoftHsmModule + " --token-label " +
                         token + " --login --pin 246810 " + what + " 2>&1");
    REQUIRE_MESSAGE(made.shell_status() == 0, what << ": " << made.out);
}

// The rig's plan with a backup tree and [application_keys], issued for SMK `kcv`.
std::string issued_plan(smk_test::CeremonyRig& rig, const std::string& kcv,
                        const std::string& labels) {
    std::string text = rig.plan_text();
    text += "\n[backup]\nsource = \"" + rig.path("tree") + "/\"\n";
    text += "\n[application_keys]\nfacility = \"WELLINGTON\"\nlabels = " + labels +
            "\nbackup = \"hsm-backup/application-keys.smkwrap\"\n";
    cer::Plan plan = cer::parse_plan(text, rig.path("keys.toml"));
    plan.identifier = 1234;
    plan.kcv = kcv;
    const fs::path out = rig.path("keys-id01234.toml");
    fs::remove(out);
    cer::write_issued_plan(plan, out);
    return out.string();
}

std::size_t steps(const std::string& transcript, const std::string& step) {
    std::size_t n = 0;
    for (const auto& line : smk::transcript::read_file(transcript)) {
        n += line.flow == "backup-keys" && line.step == step ? 1U : 0U;
    }
    return n;
}

}  // namespace

TEST_CASE(
    "cli: backup-keys checks the SMK, the keys and the outputs first, backs up, reads back, "
    "prints the SHA-256 three ways, exports each public key, and what it wrote restores") {
    smk_test::CeremonyRig rig;
    const fs::path tree = rig.path("tree");
    fs::create_directories(tree / "hsm-backup");
    const fs::path backup = tree / "hsm-backup" / "application-keys.smkwrap";
    const fs::path public_key = tree / "hsm-backup" / "KSK.public.der";
    // The issued plan keys-id01234.toml keeps its origin's transcript, keys.transcript.jsonl.
    const std::string transcript = rig.path("keys.transcript.jsonl");
    make_key("hsm-one",
             "--keypairgen --key-type rsa:2048 --label KSK --id 4b53 --usage-sign "
             "--extractable");
    make_key("hsm-one", "--keygen --key-type aes:32 --label app-1 --id a1 --extractable");

    // Before the SMK is in the token: refused, nothing written.
    const std::string kcv =
        smk::kcv_hex(smk::key_check_value(smk::from_hex_secret(kSmkHex, "test SMK").bytes()));
    std::string plan = issued_plan(rig, kcv, "[\"KSK\", \"app-1\"]");
    {
        const auto r = run_smk({"ceremony", "backup-keys", plan});
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 7);
        CHECK(contains(r.err, "holds no key labelled \"SMK\""));
        CHECK_FALSE(fs::exists(backup));
    }
    CHECK(install_smk("hsm-one") == kcv);

    // A planned key the token does not hold: named, nothing written.
    {
        const auto r =
            run_smk({"ceremony", "backup-keys", issued_plan(rig, kcv, "[\"KSK\", \"app-2\"]")});
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(contains(r.err, "holds no key labelled \"app-2\", planned in [application_keys]"));
        CHECK_FALSE(fs::exists(backup));
        CHECK(steps(transcript, "application-key-missing") == 1);
    }
    plan = issued_plan(rig, kcv, "[\"KSK\", \"app-1\"]");  // the same file, as planned again
    // The plan before issuance: refused.
    {
        std::string text = rig.plan_text();
        text += "\n[backup]\nsource = \"" + tree.string() +
                "/\"\n\n[application_keys]\nfacility = \"WELLINGTON\"\nlabels = [\"KSK\"]\n"
                "backup = \"hsm-backup/application-keys.smkwrap\"\n";
        smk_test::spit(rig.path("unissued.toml"), text);
        const auto r = run_smk({"ceremony", "backup-keys", rig.path("unissued.toml")});
        CHECK(r.exit_code == 2);
        CHECK(contains(r.err, "has no [issued] identifier and KCV"));
    }
    // A dry run checks it all and writes nothing.
    {
        const auto r = run_smk({"ceremony", "backup-keys", plan, "--dry-run"});
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(
            contains(r.out, "holds the SMK (KCV " + kcv + ") and the 2 planned key(s) KSK app-1"));
        CHECK_FALSE(fs::exists(backup));
    }

    const auto r = run_smk({"ceremony", "backup-keys", plan});
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(
        r.out, "application keys backed up at WELLINGTON from hsm-one under the SMK (KCV " + kcv +
                   "): KSK (private RSA 2048) app-1 (secret AES)"));
    // The three forms, each as an independent tool prints it.
    const auto summed = sh("cd '" + backup.parent_path().string() +
                           "' && sha256sum -c application-keys.smkwrap.sha256sum");
    CHECK_MESSAGE(summed.shell_status() == 0, summed.out << summed.err);
    const auto hex = sh("sha256sum '" + backup.string() + "'");
    REQUIRE(hex.shell_status() == 0);
    const std::string sha256 = hex.out.substr(0, 64);
    CHECK(contains(r.out, "  sha256sum  " + sha256));
    const auto colon = sh("openssl dgst -sha256 -c '" + backup.string() + "'");
    REQUIRE(colon.shell_status() == 0);
    CHECK(contains(r.out, "  openssl    " + colon.out.substr(0, colon.out.size() - 1)));
    CHECK(contains(r.out, "read from the device with O_DIRECT"));
    CHECK(contains(r.out, "application_backup_sha256): " + sha256));
    // The public key: openssl reads it, and its SHA-256 is the one printed and recorded.
    const auto pkey =
        sh("openssl pkey -pubin -inform DER -in '" + public_key.string() + "' -noout -text");
    CHECK_MESSAGE(pkey.shell_status() == 0, pkey.err);
    CHECK(contains(pkey.out, "Public-Key: (2048 bit)"));
    const auto der_sum = sh("sha256sum '" + public_key.string() + "'");
    REQUIRE(der_sum.shell_status() == 0);
    CHECK(contains(r.out, "public key KSK: " + public_key.string() + "\n    SHA-256 " +
                              der_sum.out.substr(0, 64)));
    CHECK_FALSE(fs::exists(tree / "hsm-backup" / "app-1.public.der"));  // a secret key
    // The transcript records the digest in all three forms.
    bool recorded = false;
    for (const auto& line : smk::transcript::read_file(transcript)) {
        if (line.step != "application-keys-backed-up") {
            continue;
        }
        for (const auto& [name, value] : line.results) {
            recorded = recorded || (name == "sha256_openssl" && contains(colon.out, value));
        }
        CHECK(line.digests.at(0).second == sha256);
    }
    CHECK(recorded);
    CHECK(steps(transcript, "public-key-exported") == 1);

    // Proven restorable: into hsm-two under the same SMK, with the SHA-256 as recorded.
    CHECK(install_smk("hsm-two") == kcv);
    const auto restored =
        run_smk({"hsm", "restore-backup", "--pkcs11-module", smk_test::kSoftHsmModule, "--token",
                 "hsm-two", "--pin-file", rig.token_pin(), "--unwrap-with", "SMK",
                 "--expect-sha256", sha256, backup.string()});
    INFO("restore-backup: " << restored.out << restored.err);
    CHECK(restored.exit_code == 0);

    // A second run would overwrite: refused, the backup as it was.
    const std::string before = smk_test::slurp(backup);
    const auto again = run_smk({"ceremony", "backup-keys", plan});
    CHECK(again.exit_code == 7);
    CHECK(contains(again.err, backup.string()));
    CHECK(smk_test::slurp(backup) == before);
    CHECK(run_smk({"transcript", "verify", transcript}).exit_code == 0);
}
