// On-card attestation in the ceremony (issue 14 item 4): at issuance every card
// generates its authentication key and the issued plan records the public key;
// `smk ceremony inventory` has each card sign a fresh challenge and checks the
// answer against the plan, and anyone checks it again from the transcript and
// the plan with jq, python3's tomllib and openssl, as docs/CEREMONY.md says.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "ceremony/ceremony_rig.hpp"
#include "ceremony/ceremony_test_util.hpp"
#include "cli/run.hpp"
#include "support/process.hpp"

namespace {

namespace fs = std::filesystem;
using smk_test::run_smk;

std::size_t count(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
        ++n;
    }
    return n;
}

}  // namespace

TEST_CASE("attestation: issue records each card's key and inventory checks it as openssl does") {
    smk_test::CeremonyRig rig;
    const auto issue = run_smk({"ceremony", "issue", rig.plan(), "--batch"});
    INFO("issue stderr: " << issue.err);
    REQUIRE(issue.exit_code == 0);
    const std::string issued =
        smk_test::issued_plan_of(fs::path(rig.plan()).parent_path().string());
    REQUIRE_FALSE(issued.empty());
    const std::string plan_text = smk_test::slurp(issued);
    CHECK(count(plan_text, "[[issued.card_key]]") == 14);
    CHECK(count(smk_test::slurp(rig.transcript()), "\"step\":\"card-key-generated\"") == 14);

    // The plan's key of holder 1's set A card is the key the card reports.
    const auto pem = smk_test::run_shell(
        "python3 -c 'import sys, tomllib; p = tomllib.load(open(sys.argv[1], \"rb\")); "
        "[print(k[\"public_key\"], end=\"\") for k in p[\"issued\"][\"card_key\"] "
        "if k[\"holder\"] == 1 and k[\"set\"] == \"A\"]' '" +
        issued + "' > '" + rig.path("key.pem") + "'");
    REQUIRE(pem.shell_status() == 0);
    const auto from_card =
        run_smk({"card", "public-key", "--reader", rig.cards().reader(0), "--out", "-"});
    REQUIRE(from_card.exit_code == 0);
    CHECK(from_card.out == smk_test::slurp(rig.path("key.pem")));

    const auto inventory =
        run_smk({"ceremony", "inventory", issued, "--batch", "--attest-only", "--holder", "1"});
    INFO("inventory stderr: " << inventory.err);
    REQUIRE(inventory.exit_code == 0);
    CHECK(count(inventory.out, "attested: OK") == 2);
    CHECK(inventory.out.find("2 card(s) present, each proving itself with the key issued to it "
                             "(shares not read)") != std::string::npos);
    // The shares were not read: no GET DATA 0103 in the card's log since the issue.
    const std::string log = rig.cards().card_log(0);
    const std::size_t last_write = log.rfind("00 DA 01 03");
    REQUIRE(last_write != std::string::npos);
    const std::size_t attest = log.find("00 88 00 00", last_write);
    REQUIRE(attest != std::string::npos);
    CHECK(log.find("00 CA 01 03", attest) == std::string::npos);

    // The docs' check, with tools smk did not write: the message and signature from the
    // transcript (jq), the key from the plan (tomllib above), the verdict from openssl.
    const std::string t = rig.transcript();
    const std::string select =
        "select(.step == \"card-attested\" and .items.card == \"" + rig.cards().serial(0) + "\")";
    const auto check = smk_test::run_shell(
        "cd '" + rig.path("") + "' && jq -j '" + select + " | .results.message' '" + t +
        "' > msg && jq -j '" + select + " | .results.signature_base64' '" + t +
        "' | openssl base64 -d -A > sig && openssl dgst -sha256 -verify key.pem -signature sig "
        "msg && printf 'x' >> msg && ! openssl dgst -sha256 -verify key.pem -signature sig msg");
    INFO("openssl: " << check.out << check.err);
    CHECK(check.shell_status() == 0);
    CHECK(check.out.find("Verified OK") != std::string::npos);
    CHECK(smk_test::slurp(rig.path("msg")).find("context: inventory of share set ") !=
          std::string::npos);

    // A card whose key is not the one issued (a new key on it: a card of another
    // issuance as far as the plan can tell) is a finding naming it; exit 5.
    const auto rekey =
        run_smk({"card", "keygen", "--reader", rig.cards().reader(7), "--admin-pin-file",
                 rig.card_admin_pin(), "--overwrite-key", "--public-key-out", rig.path("new.pem")});
    INFO("keygen stderr: " << rekey.err);
    REQUIRE(rekey.exit_code == 0);
    const auto found =
        run_smk({"ceremony", "inventory", issued, "--batch", "--attest-only", "--holder", "1"});
    INFO("second inventory stderr: " << found.err);
    CHECK(found.exit_code == 5);
    CHECK(found.err.find("holder 1 set B card " + rig.cards().serial(7) + ": attestation FAILED") !=
          std::string::npos);
    CHECK(found.err.find("not the expected one") != std::string::npos);
    CHECK(smk_test::slurp(t).find("\"attestation\":\"FAILED\"") != std::string::npos);
}

TEST_CASE("attestation: issue refuses a card holding a key and needs an admin PIN source") {
    smk_test::CeremonyRig rig;
    // Card 3 got a key before its issuance (with its factory admin PIN): refused
    // before the SMK exists.
    smk_test::spit(rig.path("factory-admin.pin"), "12345678\n");
    const auto keygen =
        run_smk({"card", "keygen", "--reader", rig.cards().reader(3), "--admin-pin-file",
                 rig.path("factory-admin.pin"), "--public-key-out", rig.path("old.pem")});
    REQUIRE(keygen.exit_code == 0);
    const auto refused = run_smk({"ceremony", "issue", rig.plan(), "--batch"});
    INFO("issue stderr: " << refused.err);
    CHECK(refused.exit_code == 7);
    CHECK(refused.err.find("card " + rig.cards().serial(3)) != std::string::npos);
    CHECK(refused.err.find("already holds an authentication key") != std::string::npos);
    CHECK(refused.err.find("factory-reset") != std::string::npos);
    CHECK(refused.err.find("No card was written") != std::string::npos);
    CHECK(rig.token_kcv("hsm-one").exit_code != 0);                         // no SMK installed
    CHECK(count(smk_test::slurp(rig.transcript()), "smk-generated") == 0);  // none made
    const std::size_t generated = count(smk_test::slurp(rig.transcript()), "smk-generated");
    // Card 3 is replaced by a new one: a card with a key is not new.
    rig.pull(3);
    fs::remove(rig.cards().env("SMK_PCSC_STATE_3"));
    rig.insert(3);

    // Without an admin PIN source in batch mode: usage, before the SMK is generated.
    const std::string no_admin = smk_test::replaced(
        rig.plan_text(), "admin_pin_file = \"" + rig.card_admin_pin() + "\"\n", "");
    smk_test::spit(rig.plan(), no_admin);
    const auto usage = run_smk({"ceremony", "issue", rig.plan(), "--batch"});
    INFO("issue stderr: " << usage.err);
    CHECK(usage.exit_code == 2);
    CHECK(usage.err.find("[cards] admin_pin_file") != std::string::npos);
    CHECK(usage.err.find("needs a terminal") != std::string::npos);
    CHECK(count(smk_test::slurp(rig.transcript()), "smk-generated") == generated);

    // attest = false: issued without keys; the plan records none, and --attest-only says why.
    smk_test::spit(rig.plan(),
                   smk_test::replaced(rig.plan_text(), "[cards]\n", "[cards]\nattest = false\n"));
    const auto plain = run_smk({"ceremony", "issue", rig.plan(), "--batch"});
    INFO("issue stderr: " << plain.err);
    REQUIRE(plain.exit_code == 0);
    const std::string issued =
        smk_test::issued_plan_of(fs::path(rig.plan()).parent_path().string());
    REQUIRE_FALSE(issued.empty());
    CHECK(smk_test::slurp(issued).find("[[issued.card_key]]") == std::string::npos);
    const auto attest_only = run_smk({"ceremony", "inventory", issued, "--batch", "--attest-only"});
    CHECK(attest_only.exit_code == 2);
    CHECK(attest_only.err.find("records no authentication key for holder 1 set A") !=
          std::string::npos);
}
