// On-card attestation end to end: `smk card keygen`, `public-key` and `attest`
// as subprocesses against private pcscd + smk-cardsim stacks; every answer is
// also checked by OpenSSL's command line tool (an independent verifier), and
// GnuPG's scdaemon reads and uses the key smk had the card generate.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/fixtures.hpp"
#include "cli/run.hpp"
#include "smartcard/gnupg_card.hpp"
#include "support/gnupg_home.hpp"
#include "support/pcsc_stack.hpp"

namespace {

using smk_test::contains;
using smk_test::openssl;
using smk_test::openssl_verifies;
using smk_test::PcscStack;
using smk_test::run_smk;
using smk_test::RunResult;

std::string write_in(const PcscStack& stack, const std::string& name, const std::string& text) {
    const std::string path = stack.dir() / name;
    smk_test::write_file(path, text);
    return path;
}

// `smk card keygen` with the factory admin PIN; the public key's path.
std::string keygen(const PcscStack& stack, int card, const std::string& name) {
    const std::string admin = write_in(stack, "admin-" + name, "12345678\n");
    const std::string pem = stack.dir() / name;
    const RunResult r = run_smk({"card", "keygen", "--reader", stack.reader(card),
                                 "--admin-pin-file", admin, "--public-key-out", pem});
    INFO("keygen stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(
        contains(r.err, "generated an RSA-2048 authentication key on card " + stack.serial(card)));
    return pem;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
        ++n;
    }
    return n;
}

struct Answer {
    RunResult run;
    std::string message;
    std::string signature;
};

Answer attest(const PcscStack& stack, int card, const std::string& key, const std::string& tag,
              std::vector<std::string> extra = {}) {
    const std::string pin = write_in(stack, "pin", "123456\n");
    Answer a;
    a.message = stack.dir() / ("attest-" + tag + ".msg");
    a.signature = stack.dir() / ("attest-" + tag + ".sig");
    std::vector<std::string> args = {
        "card", "attest",        "--reader", stack.reader(card), "--pin-file", pin, "--public-key",
        key,    "--message-out", a.message,  "--signature-out",  a.signature};
    args.insert(args.end(), extra.begin(), extra.end());
    a.run = run_smk(args);
    return a;
}

}  // namespace

TEST_CASE("card attest e2e: keygen then attest checked by openssl - the share stays untouched") {
    PcscStack stack(1);
    const smk_test::SplitRun split;
    const std::string pin = write_in(stack, "user-pin", "123456\n");
    const RunResult write = run_smk({"card", "write", "--reader", stack.reader(0), "--pin-file",
                                     pin, split.share_file('A', 2)});
    REQUIRE_MESSAGE(write.exit_code == 0, write.err);

    const std::string pem = keygen(stack, 0, "card0.pem");
    const auto text = openssl({"pkey", "-pubin", "-in", pem, "-noout", "-text"});
    CHECK(text.shell_status() == 0);
    CHECK(contains(text.out, "2048 bit"));
    // The card reports the same key without a PIN.
    const std::string again = stack.dir() / "again.pem";
    const RunResult shown =
        run_smk({"card", "public-key", "--reader", stack.reader(0), "--out", again});
    REQUIRE_MESSAGE(shown.exit_code == 0, shown.err);
    CHECK(smk_test::read_file(again) == smk_test::read_file(pem));

    const Answer a = attest(stack, 0, pem, "ok", {"--context", "issuance plan test-1"});
    INFO("attest stderr: " << a.run.err);
    REQUIRE(a.run.exit_code == 0);
    CHECK(contains(a.run.out, "attestation VERIFIED: card " + stack.serial(0)));
    CHECK(contains(a.run.out, "openssl dgst -sha256 -verify"));
    const std::string message = smk_test::read_file(a.message);
    const std::string head =
        "smk-attest-v1\ncard: " + stack.serial(0) + "\ncontext: issuance plan test-1\nchallenge: ";
    REQUIRE(message.rfind(head, 0) == 0);
    CHECK(message.size() == head.size() + 64 + 1);
    CHECK(message.back() == '\n');
    CHECK(smk_test::read_file(a.signature).size() == 256);
    CHECK(openssl_verifies(pem, a.signature, a.message));
    // pkeyutl on the digest, as the format document shows.
    const std::string digest = stack.dir() / "attest.sha256";
    REQUIRE(openssl({"dgst", "-sha256", "-binary", "-out", digest, a.message}).shell_status() == 0);
    CHECK(openssl({"pkeyutl", "-verify", "-pubin", "-inkey", pem, "-in", digest, "-sigfile",
                   a.signature, "-pkeyopt", "digest:sha256"})
              .shell_status() == 0);

    // A changed message or signature does not verify.
    std::string changed = message;
    changed[head.size()] = changed[head.size()] == '0' ? '1' : '0';
    const std::string changed_msg = write_in(stack, "changed.msg", changed);
    CHECK_FALSE(openssl_verifies(pem, a.signature, changed_msg));
    std::string sig = smk_test::read_file(a.signature);
    sig[100] = static_cast<char>(sig[100] ^ 0x01);
    const std::string changed_sig = write_in(stack, "changed.sig", sig);
    CHECK_FALSE(openssl_verifies(pem, changed_sig, a.message));

    // A verifier's own challenge is the one signed; the answer to another
    // challenge is not an answer to this one.
    const std::string mine = std::string(62, 'a') + "01";
    const Answer b = attest(stack, 0, pem, "mine", {"--challenge", mine, "--json"});
    REQUIRE_MESSAGE(b.run.exit_code == 0, b.run.err);
    const auto json = nlohmann::json::parse(b.run.out);
    CHECK(json.at("verified") == true);
    CHECK(json.at("card") == stack.serial(0));
    CHECK(json.at("challenge") == mine);
    CHECK(smk_test::read_file(b.message) ==
          "smk-attest-v1\ncard: " + stack.serial(0) + "\nchallenge: " + mine + "\n");
    CHECK(openssl_verifies(pem, b.signature, b.message));
    CHECK_FALSE(openssl_verifies(pem, a.signature, b.message));

    // No PIN stays verified after smk lets go of the card: VERIFY P1=FF after
    // each attestation, and after the key generation for the admin PIN.
    CHECK(count_of(stack.card_log(0), "00 20 FF 82") >= 2);
    CHECK(count_of(stack.card_log(0), "00 20 FF 83") == 1);

    // The share in DO 0103 is still there, unchanged.
    const RunResult read =
        run_smk({"card", "read", "--reader", stack.reader(0), "--pin-file", pin, "--out", "-"});
    REQUIRE_MESSAGE(read.exit_code == 0, read.err);
    CHECK(read.out == split.mnemonic('A', 2) + "\n");
}

TEST_CASE("card attest e2e: a card from another issuance is refused with exit 5 naming it") {
    PcscStack stack(2);
    const std::string pem0 = keygen(stack, 0, "card0.pem");
    const std::string pem1 = keygen(stack, 1, "card1.pem");
    CHECK(smk_test::read_file(pem0) != smk_test::read_file(pem1));

    // Card 1 answers, but the plan says card 0's key.
    const Answer wrong = attest(stack, 1, pem0, "wrong");
    INFO("stderr: " << wrong.run.err);
    CHECK(wrong.run.exit_code == 5);
    CHECK(contains(wrong.run.err, "attestation FAILED for card " + stack.serial(1)));
    CHECK(contains(wrong.run.err, "another issuance"));
    CHECK_FALSE(contains(wrong.run.out, "VERIFIED"));
    // The evidence is kept, and openssl agrees: not card 0's key, but card 1's.
    CHECK_FALSE(openssl_verifies(pem0, wrong.signature, wrong.message));
    CHECK(openssl_verifies(pem1, wrong.signature, wrong.message));

    // A card without an authentication key cannot answer at all.
    PcscStack blank(1);
    const std::string pin = write_in(blank, "pin", "123456\n");
    const RunResult none = run_smk(
        {"card", "attest", "--reader", blank.reader(0), "--pin-file", pin, "--public-key", pem0});
    CHECK(none.exit_code == 8);
    CHECK(contains(none.err, "card " + blank.serial(0)));
    CHECK(contains(none.err, "no authentication key"));
    const RunResult no_key = run_smk(
        {"card", "public-key", "--reader", blank.reader(0), "--out", blank.dir() / "none.pem"});
    CHECK(no_key.exit_code == 5);

    // Options are checked before the card is touched.
    const RunResult half = run_smk({"card", "attest", "--reader", stack.reader(0), "--pin-file",
                                    pin, "--public-key", pem0, "--message-out", stack.dir() / "m"});
    CHECK(half.exit_code == 2);
    const RunResult bad_challenge =
        run_smk({"card", "attest", "--reader", stack.reader(0), "--pin-file", pin, "--public-key",
                 pem0, "--challenge", "abcd"});
    CHECK(bad_challenge.exit_code == 3);
    const RunResult not_a_key = run_smk(
        {"card", "attest", "--reader", stack.reader(0), "--pin-file", pin, "--public-key", pin});
    CHECK(not_a_key.exit_code == 3);
    CHECK(contains(not_a_key.err, "is not a public key"));
}

TEST_CASE("card keygen e2e: an existing key is kept unless --overwrite-key - a wrong admin PIN") {
    PcscStack stack(1);
    const std::string pem = keygen(stack, 0, "first.pem");
    const std::string admin = write_in(stack, "admin", "12345678\n");
    const std::string second = stack.dir() / "second.pem";

    const RunResult refused = run_smk({"card", "keygen", "--reader", stack.reader(0),
                                       "--admin-pin-file", admin, "--public-key-out", second});
    CHECK(refused.exit_code == 7);
    CHECK(contains(refused.err, "card " + stack.serial(0) + " in"));
    CHECK(contains(refused.err, "already holds an authentication key"));
    CHECK(contains(refused.err, "--overwrite-key"));
    CHECK_FALSE(std::filesystem::exists(second));
    // Nothing was sent for the refusal: one generation and one admin VERIFY in the log.
    CHECK(count_of(stack.card_log(0), "00 47 80 00") == 1);
    CHECK(count_of(stack.card_log(0), "00 20 00 83 (9 bytes)") == 1);

    // A wrong admin PIN: refused by the card, one try spent, the key unchanged.
    const std::string wrong = write_in(stack, "wrong-admin", "87654321\n");
    const RunResult bad =
        run_smk({"card", "keygen", "--reader", stack.reader(0), "--admin-pin-file", wrong,
                 "--overwrite-key", "--public-key-out", second});
    CHECK(bad.exit_code == 5);
    CHECK(contains(bad.err, "wrong admin PIN for card " + stack.serial(0)));
    CHECK(contains(bad.err, "2 tries left"));
    CHECK_FALSE(std::filesystem::exists(second));
    const std::string short_pin = write_in(stack, "short-admin", "1234\n");
    const RunResult too_short =
        run_smk({"card", "keygen", "--reader", stack.reader(0), "--admin-pin-file", short_pin,
                 "--overwrite-key", "--public-key-out", second});
    CHECK(too_short.exit_code == 3);
    CHECK(contains(too_short.err, "nothing was sent to the card"));
    const Answer still = attest(stack, 0, pem, "still");
    CHECK_MESSAGE(still.run.exit_code == 0, still.run.err);

    // An existing output file is refused before the card is touched.
    const RunResult exists =
        run_smk({"card", "keygen", "--reader", stack.reader(0), "--admin-pin-file", admin,
                 "--overwrite-key", "--public-key-out", pem});
    CHECK(exists.exit_code == 7);

    // With --overwrite-key: a new key; the old public key no longer attests.
    const RunResult replaced =
        run_smk({"card", "keygen", "--reader", stack.reader(0), "--admin-pin-file", admin,
                 "--overwrite-key", "--public-key-out", second, "--json"});
    REQUIRE_MESSAGE(replaced.exit_code == 0, replaced.err);
    const auto json = nlohmann::json::parse(replaced.err);
    CHECK(json.at("card") == stack.serial(0));
    CHECK(json.at("bits") == 2048);
    CHECK(smk_test::read_file(second) != smk_test::read_file(pem));
    const Answer old_key = attest(stack, 0, pem, "old");
    CHECK(old_key.run.exit_code == 5);
    CHECK(contains(old_key.run.err, "its key was replaced"));
    const Answer new_key = attest(stack, 0, second, "new");
    CHECK_MESSAGE(new_key.run.exit_code == 0, new_key.run.err);
    CHECK(openssl_verifies(second, new_key.signature, new_key.message));

    // The admin PIN try counter is back to 3 after the right PIN.
    const RunResult list = run_smk({"card", "list", "--json"});
    REQUIRE(list.exit_code == 0);
    CHECK(nlohmann::json::parse(list.out)[0].at("pin_tries").at("admin") == 3);
}

TEST_CASE("card attest gnupg e2e: GnuPG reads and uses the authentication key smk generated") {
    PcscStack stack(1);
    const std::string pem = keygen(stack, 0, "card0.pem");
    smk_test::GnupgHome home(stack.reader(0));

    // scdaemon reads the key (GENERATE ASYMMETRIC KEY PAIR, read mode) and
    // gpg --card-status shows the fingerprint smk wrote.
    const std::string readkey = home.agent({"SCD SERIALNO", "SCD READKEY OPENPGP.3"});
    CHECK_MESSAGE(!contains(readkey, "ERR"), readkey);
    CHECK(contains(readkey, "rsa"));
    const auto status = smk_test::gpg_card_status(home);
    INFO("gpg --card-status: " << status.out << status.err);
    CHECK(status.shell_status() == 0);
    const auto auth_key = smk_test::card_status_auth_key(status.out);
    CHECK(auth_key.has_value());
    if (auth_key) {
        CHECK_FALSE(contains(*auth_key, "[none]"));
    }

    // scdaemon signs with it (PKAUTH = INTERNAL AUTHENTICATE of a DigestInfo of
    // SHA-256), and openssl checks that signature against smk's PEM.
    const std::string message = write_in(stack, "gpg.msg", "signed through scdaemon\n");
    const auto signed_by_gpg = smk_test::scdaemon_pkauth(home, message);
    CHECK_MESSAGE(!contains(signed_by_gpg.agent_output, "ERR"), signed_by_gpg.agent_output);
    CHECK(smk_test::read_file(signed_by_gpg.signature).size() == 256);
    CHECK(openssl_verifies(pem, signed_by_gpg.signature, message));
}
