// [cards] attest and [[issued.card_key]] in the ceremony plan: each card's
// authentication key as the issued plan records it, read back and checked (one
// RSA public key in PEM whose DER has the SHA-256 given), and the errors naming
// the field path. Unit: no card, no daemon.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "ceremony/ceremony_test_util.hpp"
#include "ceremony/plan_test_util.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/error.hpp"

namespace {

namespace cer = smk::ceremony;
using smk_test::replaced;

// An RSA-2048 public key (made with `openssl genpkey`) and the SHA-256 of its DER.
const std::string kPem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAo4uSTvszbg10ExwKBFh8\n"
    "BdwVTBkI0SAt+X4LzFce2A4+GgqDJjQYj1VLrl1UnrUnVFuvz3s05Vm961G7aiEf\n"
    "HZrci/VwG8V3RNXefa5YFsw2tOQmQquKBVyf4sw7Yy/XK85k4hNsRWmhL+HscwON\n"
    "2hoXn/mGs4sEUsqBltMK22KycT/rDQNVQAYvGvomJfcSdkthbUPFmwgbOQVFV8uR\n"
    "DoUj4wCDI5RlqdeEmj0cbSITtm3nOYdO6SXx94XiYeq2Veqrrh7EolCaHbKmHqAf\n"
    "V+0SKQexms8oCq1t693WpXbcmeaooTfisj1FqdDBiAdJL+cvNMOcObzg0cAXXPkJ\n"
    "KQIDAQAB\n"
    "-----END PUBLIC KEY-----\n";
const std::string kPemSha256 = "79e3c411843040c9a5105042bfcb2a7ae639b85f8b882dcb33308cbe004d1e50";

std::string issued_with(const std::string& card_keys) {
    return smk_test::example_plan_text() +
           "# ---- written by smk ceremony; do not edit below this line ----\n[issued]\n"
           "identifier = 1234\nkcv = \"a1b2c3\"\n" +
           card_keys;
}

std::string card_key(int holder, const std::string& set, const std::string& sha256,
                     const std::string& pem) {
    return "\n[[issued.card_key]]\nholder = " + std::to_string(holder) + "\nset = \"" + set +
           "\"\nsha256 = \"" + sha256 + "\"\npublic_key = '''\n" + pem + "'''\n";
}

}  // namespace

TEST_CASE("plan card keys: attest is on by default and the example names the admin PIN file") {
    const auto plan = cer::parse_plan(smk_test::example_plan_text(), smk_test::kPlanFile);
    CHECK(plan.card_attest);
    CHECK(plan.card_admin_pin_file.empty());
    const auto off = cer::parse_plan(
        replaced(smk_test::example_plan_text(), "attest = true\n", "attest = false\n"),
        smk_test::kPlanFile);
    CHECK_FALSE(off.card_attest);
    const auto with_file = cer::parse_plan(
        replaced(smk_test::example_plan_text(), "# admin_pin_file = ", "admin_pin_file = "),
        smk_test::kPlanFile);
    CHECK(with_file.card_admin_pin_file == "/run/ceremony/card-admin-pin");
    smk_test::check_plan_rejected(
        replaced(smk_test::example_plan_text(), "attest = true\n", "attest = \"yes\"\n"),
        "cards.attest", "");
}

TEST_CASE("plan card keys: a recorded key reads back and is written back the same") {
    const auto plan =
        cer::parse_plan(issued_with(card_key(3, "B", kPemSha256, kPem)), smk_test::kPlanFile);
    CHECK(plan.holders[2].cards[1].auth_key_pem == kPem);
    CHECK(plan.holders[2].cards[1].auth_key_sha256 == kPemSha256);
    CHECK(plan.holders[2].cards[0].auth_key_pem.empty());
}

TEST_CASE("plan card keys: a wrong digest or key or place is an error naming the field") {
    std::string other_sha = kPemSha256;
    other_sha[0] = other_sha[0] == '0' ? '1' : '0';
    smk_test::check_plan_rejected(issued_with(card_key(1, "A", other_sha, kPem)),
                                  "issued.card_key[0]",
                                  "the public key's SHA-256 is " + kPemSha256);
    smk_test::check_plan_rejected(issued_with(card_key(1, "A", kPemSha256, "not a key\n")),
                                  "issued.card_key[0]", "public_key");
    smk_test::check_plan_rejected(issued_with(card_key(9, "A", kPemSha256, kPem)),
                                  "issued.card_key[0].holder", "no holder 9");
    smk_test::check_plan_rejected(issued_with(card_key(1, "C", kPemSha256, kPem)),
                                  "issued.card_key[0].set", "has no card of set C");
    smk_test::check_plan_rejected(
        issued_with(card_key(1, "A", kPemSha256, kPem) + card_key(1, "A", kPemSha256, kPem)),
        "issued.card_key[1]", "a second key for this card");
}
