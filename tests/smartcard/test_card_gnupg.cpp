// GnuPG writes PRIVATE-DO-3 and `smk card read` reads it. GnuPG 2.2.40 sends
// VERIFY 82 (which DO 0103 needs, on SmartPGP as in the spec) only when the
// card holds a decryption or authentication key; on a keyless card it sends
// VERIFY 81 alone and the write is refused (docs/CARDSIM.md). So the card is
// first given a decryption public key (the state line `do B800 <7F49 template>`
// that GENERATE ASYMMETRIC KEY PAIR in read mode returns), as a card with keys.

#include <doctest/doctest.h>
#include <fmt/core.h>

#include <fstream>
#include <span>
#include <string>

#include "cli/fixtures.hpp"
#include "cli/run.hpp"
#include "smk/share_record.hpp"
#include "support/gnupg_home.hpp"
#include "support/pcsc_stack.hpp"

namespace {

using smk_test::contains;
using smk_test::GnupgHome;  // tests/support/gnupg_home.hpp
using smk_test::PcscStack;
using smk_test::run_smk;
using smk_test::RunResult;

// 7F49 { 81 n (2048 bits), 82 e (65537) }: an RSA public key template. No
// private key exists anywhere; only GnuPG's reading of it matters here.
std::string rsa_public_key_template_hex() {
    std::string n = "C0";
    for (int i = 1; i < 256; ++i) {
        n += fmt::format("{:02X}", (i * 37 + 11) & 0xFF);
    }
    return "7F49820109"
           "81820100" +
           n + "8203010001";
}

std::string percent_escaped(std::span<const std::uint8_t> bytes) {
    std::string text;
    for (const std::uint8_t byte : bytes) {
        text += fmt::format("%{:02X}", byte);
    }
    return text;
}

}  // namespace

TEST_CASE("card gnupg e2e: GnuPG writes PRIVATE-DO-3 through scdaemon and smk card read reads it") {
    PcscStack stack(1);
    const std::string pin = stack.dir() / "pin";
    smk_test::write_file(pin, "123456\n");
    const smk_test::SplitRun split({"--group", "2/3"});
    const std::string mnemonic = split.mnemonic('A', 2);
    const smk::Secret record = smk::card::encode_share_record(mnemonic, "set A share 2");

    // Keyless card: GnuPG sends VERIFY 81 only, the card wants 82: refused.
    {
        GnupgHome home(stack.reader(0));
        const std::string refused = home.agent(
            {"SCD SERIALNO", "SCD SETATTR PRIVATE-DO-3 " + percent_escaped(record.bytes())});
        CHECK_MESSAGE(contains(refused, "ERR"), refused);
    }
    const RunResult empty =
        run_smk({"card", "verify", "--reader", stack.reader(0), "--pin-file", pin});
    CHECK(empty.exit_code == 5);
    CHECK(contains(empty.out, "EMPTY"));

    // The card gets a decryption key (its public part, as the card would return it).
    stack.card_stop(0);
    {
        std::ofstream state(stack.env("SMK_PCSC_STATE_0"), std::ios::app);
        state << "do B800 " << rsa_public_key_template_hex() << "\n";
    }
    stack.card_start(0);

    GnupgHome home(stack.reader(0));
    const std::string status = home.agent({"SCD SERIALNO", "SCD READKEY OPENPGP.2"});
    CHECK_MESSAGE(!contains(status, "ERR"), status);
    const std::string wrote =
        home.agent({"SCD SERIALNO", "SCD SETATTR PRIVATE-DO-3 " + percent_escaped(record.bytes())});
    CHECK_MESSAGE(!contains(wrote, "ERR"), wrote);

    const RunResult read =
        run_smk({"card", "read", "--reader", stack.reader(0), "--pin-file", pin, "--out", "-"});
    INFO("read stderr: " << read.err);
    CHECK(read.exit_code == 0);
    CHECK(read.out == mnemonic + "\n");
    const RunResult verify = run_smk({"card", "verify", "--reader", stack.reader(0), "--pin-file",
                                      pin, "--expect-set", "A", "--expect-index", "2"});
    CHECK_MESSAGE(verify.exit_code == 0, verify.err);
    // What GnuPG sent: VERIFY in mode 82 before the PUT DATA of 0103.
    const std::string log = stack.card_log(0);
    INFO("card log: " << log);
    CHECK(contains(log, "20 00 82"));
}
