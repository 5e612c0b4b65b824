// Every card command on every card profile (issue 14, item 2): smk-cardsim
// answers as a YubiKey 5, a Nitrokey 3, SmartPGP, pico-openpgp 4.6 or Gnuk
// (docs/CARDSIM.md, "Card profiles"), and the built smk lists, writes, reads,
// verifies and wipes a share on each card that has private DOs; on Gnuk, which
// has none, it refuses before any PIN is tried and names the PKCS#11 store.
// On every profile, Gnuk included (it has an authentication key slot), smk
// generates the authentication key and the card attests, checked by openssl.
// GnuPG's `gpg --card-status` still reads every profile, and scdaemon signs
// with the key smk generated.

#include <doctest/doctest.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/fixtures.hpp"
#include "cli/run.hpp"
#include "smartcard/gnupg_card.hpp"
#include "support/gnupg_home.hpp"
#include "support/pcsc_stack.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace {

using smk_test::contains;
using smk_test::GnupgHome;
using smk_test::openssl;
using smk_test::openssl_verifies;
using smk_test::PcscStack;
using smk_test::run_smk;
using smk_test::RunResult;
using smk_test::TempDir;

struct Profile {
    std::string name;              // --profile
    std::string manufacturer;      // AID bytes 9-10, as smk and GnuPG print them
    std::string version_hex;       // AID bytes 7-8
    std::string version;           // as GnuPG prints it
    std::size_t private_do_bytes;  // C0 bytes 7-8 (0: no private DOs)
    std::string gnupg_name;        // GnuPG's manufacturer name where it has one, else empty
};

std::string pin_file(const PcscStack& stack) {
    const std::string path = stack.dir() / "pin";
    smk_test::write_file(path, "123456\n");
    return path;
}

// "0006:5AC00000": how smk names the card in reader 0.
std::string smk_serial(const PcscStack& stack, const Profile& profile) {
    return profile.manufacturer + ":" + stack.env("SMK_PCSC_SERIAL_0");
}

// The `smk card list --json` entry of the card in reader 0 (an odd number of
// cards leaves the second reader of the vpcd pair empty; it is listed too).
nlohmann::json listed_card(const PcscStack& stack) {
    const RunResult list = run_smk({"card", "list", "--json"});
    INFO("list stderr: " << list.err);
    REQUIRE(list.exit_code == 0);
    for (const auto& entry : nlohmann::json::parse(list.out)) {
        if (entry.at("reader") == stack.reader(0)) {
            return entry;
        }
    }
    FAIL("reader " << stack.reader(0) << " is not in 'smk card list': " << list.out);
    return {};
}

// What the card answered (status and length, "9000 (256 bytes)") to each
// APDU whose header is `header`, in the order of its log.
std::vector<std::string> answers_to(const std::string& log, const std::string& header) {
    std::vector<std::string> answers;
    for (const auto& line : smk_test::lines_of(log)) {
        const auto at = line.find("]: " + header + " (");
        const auto arrow = line.find(" -> ");
        if (at != std::string::npos && arrow != std::string::npos) {
            answers.push_back(line.substr(arrow + 4));
        }
    }
    return answers;
}

// `smk card keygen` (admin PIN), `card public-key` (no PIN) and `card attest`
// (user PIN) on the card in reader 0; the files smk writes are checked by
// openssl. Returns the public key's path.
std::string check_keygen_and_attest(const PcscStack& stack, const Profile& profile) {
    const std::string serial = smk_serial(stack, profile);
    const std::string reader = stack.reader(0);
    const std::string admin = stack.dir() / "admin-pin";
    smk_test::write_file(admin, "12345678\n");
    const std::string pem = stack.dir() / "auth.pem";
    const RunResult keygen = run_smk(
        {"card", "keygen", "--reader", reader, "--admin-pin-file", admin, "--public-key-out", pem});
    INFO("keygen stderr: " << keygen.err);
    REQUIRE(keygen.exit_code == 0);
    CHECK(contains(keygen.err, "generated an RSA-2048 authentication key on card " + serial));
    const auto text = openssl({"pkey", "-pubin", "-in", pem, "-noout", "-text"});
    CHECK(text.shell_status() == 0);
    CHECK(contains(text.out, "2048 bit"));
    const std::string shown = stack.dir() / "shown.pem";
    const RunResult reported = run_smk({"card", "public-key", "--reader", reader, "--out", shown});
    REQUIRE_MESSAGE(reported.exit_code == 0, reported.err);
    CHECK(smk_test::read_file(shown) == smk_test::read_file(pem));

    const std::string message = stack.dir() / "attest.msg";
    const std::string signature = stack.dir() / "attest.sig";
    const RunResult attest =
        run_smk({"card", "attest", "--reader", reader, "--pin-file", pin_file(stack),
                 "--public-key", pem, "--context", "profile " + profile.name, "--message-out",
                 message, "--signature-out", signature});
    INFO("attest stderr: " << attest.err);
    REQUIRE(attest.exit_code == 0);
    CHECK(contains(attest.out, "attestation VERIFIED: card " + serial));
    CHECK(smk_test::read_file(message).rfind(
              "smk-attest-v1\ncard: " + serial + "\ncontext: profile " + profile.name + "\n", 0) ==
          0);
    CHECK(smk_test::read_file(signature).size() == 256);
    CHECK(openssl_verifies(pem, signature, message));
    // The card generated (after PW3) and signed (after PW1 in mode 82), and smk
    // told it to forget both PINs. A card without extended length sends the
    // 270-byte key as 256 bytes, 61 0E and GET RESPONSE.
    const std::string log = stack.card_log(0);
    INFO("card log: " << log);
    const auto generated = answers_to(log, "00 47 80 00");
    REQUIRE(generated.size() == 1);
    CHECK((generated[0] == "9000 (270 bytes)" || generated[0] == "610E (256 bytes)"));
    // VERIFY 83 with the PIN, then (after P1=FF) its status query: not verified.
    const auto admin_verifies = answers_to(log, "00 20 00 83");
    REQUIRE(admin_verifies.size() == 2);
    CHECK(admin_verifies[0] == "9000 (0 bytes)");
    CHECK(admin_verifies[1].rfind("63C", 0) == 0);
    CHECK(answers_to(log, "00 88 00 00") == std::vector<std::string>{"9000 (256 bytes)"});
    CHECK(answers_to(log, "00 20 FF 83") == std::vector<std::string>{"9000 (0 bytes)"});
    CHECK_FALSE(answers_to(log, "00 20 FF 82").empty());
    return pem;
}

// `gpg --card-status` through scdaemon (PC/SC, the stack's pcscd): the
// Application ID carries version, manufacturer and serial whatever names this
// GnuPG knows; the key attributes (C1-C3) read as RSA 2048 and the
// authentication key smk generated is there. scdaemon signs with it (PKAUTH:
// INTERNAL AUTHENTICATE of a SHA-256 DigestInfo), and openssl checks that
// signature against smk's public key.
void check_gnupg_reads(const PcscStack& stack, const Profile& profile, const std::string& pem) {
    const GnupgHome home(stack.reader(0));
    const smk_test::ProcessResult status = smk_test::gpg_card_status(home);
    INFO("gpg --card-status: " << status.out << status.err);
    REQUIRE(status.shell_status() == 0);
    const std::string serial = stack.env("SMK_PCSC_SERIAL_0");
    CHECK(contains(status.out, "Application ID ...: D27600012401" + profile.version_hex +
                                   profile.manufacturer + serial + "0000"));
    CHECK(contains(status.out, "Version ..........: " + profile.version));
    CHECK(contains(status.out, "Serial number ....: " + serial));
    if (!profile.gnupg_name.empty()) {
        CHECK(contains(status.out, "Manufacturer .....: " + profile.gnupg_name));
    }
    CHECK(contains(status.out, "PIN retry counter : 3 "));
    CHECK(contains(status.out, "Key attributes ...: rsa2048 rsa2048 rsa2048"));
    const auto auth_key = smk_test::card_status_auth_key(status.out);
    CHECK(auth_key.has_value());
    if (auth_key) {
        CHECK_FALSE(contains(*auth_key, "[none]"));
    }

    const std::string message = stack.dir() / "gpg.msg";
    smk_test::write_file(message, "signed by scdaemon on " + profile.name + "\n");
    const auto signed_by_gpg = smk_test::scdaemon_pkauth(home, message);
    CHECK_MESSAGE(!contains(signed_by_gpg.agent_output, "ERR"), signed_by_gpg.agent_output);
    CHECK(openssl_verifies(pem, signed_by_gpg.signature, message));
}

// list, write, read, verify, wipe with the smk CLI, then GnuPG.
void exercise(const Profile& profile) {
    PcscStack stack(1, {{0, "--profile " + profile.name}});
    const smk_test::SplitRun split;
    const std::string pin = pin_file(stack);
    const std::string serial = smk_serial(stack, profile);
    const std::string reader = stack.reader(0);

    const auto listed = listed_card(stack);
    CHECK(listed.at("card") == serial);
    CHECK(listed.at("private_do_bytes") == profile.private_do_bytes);
    CHECK(listed.at("pin_tries").at("user") == 3);
    CHECK(listed.at("share").at("state") == "unknown");

    const RunResult write =
        run_smk({"card", "write", "--reader", reader, "--pin-file", pin, split.share_file('B', 2)});
    INFO("write stderr: " << write.err);
    REQUIRE(write.exit_code == 0);
    INFO("write stdout: " << write.out);
    CHECK(contains(write.out, "wrote set B #2"));
    CHECK(contains(write.out, "card " + serial));
    CHECK(contains(write.out, "read it back: OK"));

    const RunResult read =
        run_smk({"card", "read", "--reader", reader, "--pin-file", pin, "--out", "-"});
    INFO("read stderr: " << read.err);
    REQUIRE(read.exit_code == 0);
    CHECK(read.out == split.mnemonic('B', 2) + "\n");

    const RunResult verify = run_smk({"card", "verify", "--reader", reader, "--pin-file", pin,
                                      "--expect-identifier", std::to_string(split.identifier()),
                                      "--expect-set", "B", "--expect-index", "2", "--json"});
    INFO("verify stderr: " << verify.err);
    REQUIRE(verify.exit_code == 0);
    const auto verified = nlohmann::json::parse(verify.out);
    CHECK(verified.at("state") == "valid");
    CHECK(verified.at("expectations_met") == true);

    // The authentication key next to the share: the share stays as it was.
    const std::string pem = check_keygen_and_attest(stack, profile);
    const RunResult again =
        run_smk({"card", "read", "--reader", reader, "--pin-file", pin, "--out", "-"});
    CHECK(again.out == split.mnemonic('B', 2) + "\n");

    const RunResult wipe =
        run_smk({"card", "wipe", "--reader", reader, "--pin-file", pin, "--yes"});
    INFO("wipe stderr: " << wipe.err);
    REQUIRE(wipe.exit_code == 0);
    CHECK(contains(wipe.out, "reads back empty"));
    const RunResult empty =
        run_smk({"card", "verify", "--reader", reader, "--pin-file", pin, "--json"});
    CHECK(empty.exit_code == 5);
    CHECK(nlohmann::json::parse(empty.out).at("state") == "empty");

    check_gnupg_reads(stack, profile, pem);
}

}  // namespace

TEST_CASE("card profiles e2e: yubikey5 through list write read verify keygen attest wipe and gpg") {
    exercise({"yubikey5", "0006", "0304", "3.4", 255, "Yubico"});
}

TEST_CASE(
    "card profiles e2e: nitrokey3 through list write read verify keygen attest wipe and gpg") {
    // GnuPG 2.2.40 has no name for 000F (later versions say "Nitrokey").
    exercise({"nitrokey3", "000F", "0304", "3.4", 4096, ""});
}

TEST_CASE("card profiles e2e: smartpgp through list write read verify keygen attest wipe and gpg") {
    exercise({"smartpgp", "AFAF", "0304", "3.4", 255, ""});
}

TEST_CASE(
    "card profiles e2e: pico-openpgp-4.6 through list write read verify keygen attest wipe and "
    "gpg") {
    exercise({"pico-openpgp-4.6", "FFFE", "0304", "3.4", 2048, "unmanaged S/N range"});
}

TEST_CASE(
    "card profiles e2e: gnuk has no private DOs - write is refused before the PIN with the "
    "PKCS#11 store named - keygen and attest work") {
    const Profile gnuk{"gnuk", "F517", "0200", "2.0", 0, "FSIJ"};
    PcscStack stack(1, {{0, "--profile gnuk"}});
    const smk_test::SplitRun split;
    const std::string pin = pin_file(stack);
    const std::string serial = smk_serial(stack, gnuk);
    const std::string reader = stack.reader(0);

    const auto listed = listed_card(stack);
    CHECK(listed.at("card") == serial);
    CHECK(listed.at("private_do_bytes") == 0);
    CHECK(listed.at("share").at("state") == "unsupported");
    const RunResult text = run_smk({"card", "list"});
    CHECK(contains(text.out, "share: none possible (no private DOs; use a PKCS#11 token)"));

    const RunResult write =
        run_smk({"card", "write", "--reader", reader, "--pin-file", pin, split.share_file('A', 1)});
    INFO("write stderr: " << write.err);
    CHECK(write.exit_code == 8);  // device
    CHECK(contains(write.err, "card " + serial));
    CHECK(contains(write.err, "has no private-use data objects"));
    CHECK(contains(write.err, "PKCS#11 token instead (smk card write --pkcs11-module"));
    // Refused before anything reached the card: no VERIFY, no PUT DATA.
    const std::string log = stack.card_log(0);
    CHECK_FALSE(contains(log, "00 20 00 82 (6 bytes)"));
    CHECK_FALSE(contains(log, "00 DA "));

    // Read, verify and wipe refuse the same way, before the PIN is sent.
    for (const std::string command : {"read", "verify", "wipe"}) {
        std::vector<std::string> args{"card", command, "--reader", reader, "--pin-file", pin};
        if (command == "read") {
            args.insert(args.end(), {"--out", "-"});
        } else if (command == "wipe") {
            args.push_back("--yes");
        }
        const RunResult refused = run_smk(args);
        INFO(command << " stderr: " << refused.err);
        CHECK(refused.exit_code == 8);
        CHECK(refused.out.empty());
        CHECK(contains(refused.err, "has no private-use data objects"));
        CHECK(contains(refused.err, "--pkcs11-module SO --token LABEL"));
    }
    CHECK_FALSE(contains(stack.card_log(0), "00 20 00 82 (6 bytes)"));

    // The authentication key needs no private DO: keygen and attest work on Gnuk.
    const std::string pem = check_keygen_and_attest(stack, gnuk);
    check_gnupg_reads(stack, gnuk, pem);
}

TEST_CASE(
    "card profiles e2e: nitrokey3 - smk reads a full 4096-byte DO 0103 over short APDUs and "
    "overwrites it") {
    // The Nitrokey 3 ATR announces neither chaining nor extended length, so smk
    // asks with Le = 256 and the card sends the rest through 61xx + GET RESPONSE.
    PcscStack stack(1, {{0, "--profile nitrokey3"}});
    const smk_test::SplitRun split;
    const std::string pin = pin_file(stack);
    const std::string reader = stack.reader(0);
    stack.card_stop(0);
    {
        std::ofstream state(stack.env("SMK_PCSC_STATE_0"), std::ios::app);
        state << "do 0103 " << std::string(2 * 4096, 'E') << "\n";  // 4096 bytes of EE
    }
    stack.card_start(0);

    const RunResult verify =
        run_smk({"card", "verify", "--reader", reader, "--pin-file", pin, "--json"});
    INFO("verify stderr: " << verify.err);
    CHECK(verify.exit_code == 5);
    const auto report = nlohmann::json::parse(verify.out);
    CHECK(report.at("state") == "garbage");
    CHECK(report.at("bytes") == 4096);

    const RunResult refused =
        run_smk({"card", "write", "--reader", reader, "--pin-file", pin, split.share_file('A', 3)});
    CHECK(refused.exit_code == 7);
    CHECK(contains(refused.err, "already holds 4096 bytes that are not a valid share record"));

    const RunResult overwrite = run_smk({"card", "write", "--reader", reader, "--pin-file", pin,
                                         "--overwrite", split.share_file('A', 3)});
    INFO("overwrite stderr: " << overwrite.err);
    REQUIRE(overwrite.exit_code == 0);
    const RunResult read =
        run_smk({"card", "read", "--reader", reader, "--pin-file", pin, "--out", "-"});
    CHECK(read.out == split.mnemonic('A', 3) + "\n");
    // Read in pieces: the card log shows GET RESPONSE after the 4096-byte GET DATA.
    CHECK(contains(stack.card_log(0), "00 C0 00 00"));
}

TEST_CASE(
    "card profiles: smk-cardsim refuses an unknown profile and --private-do-size on gnuk before "
    "making a card") {
    const TempDir dir;
    const std::string state = (dir.path() / "card.state").string();
    const auto cardsim = [&](std::vector<std::string> extra) {
        std::vector<std::string> argv = {SMK_CARDSIM_BINARY, "--port", "1", "--state", state};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return smk_test::run_process(smk_test::Command(std::move(argv)));
    };
    const smk_test::ProcessResult unknown = cardsim({"--profile", "yubikey4"});
    CHECK(unknown.shell_status() == 2);
    CHECK(contains(unknown.err, "yubikey4 not in {generic,yubikey5,nitrokey3,smartpgp,gnuk,"));
    const smk_test::ProcessResult size = cardsim({"--profile", "gnuk", "--private-do-size", "64"});
    CHECK(size.shell_status() == 2);
    CHECK(contains(size.err, "--private-do-size does not apply to --profile gnuk"));
    CHECK_FALSE(std::filesystem::exists(state));
}
