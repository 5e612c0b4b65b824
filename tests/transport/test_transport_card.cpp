// `smk transport seal --reader`: the holder's share read from their card (an
// smk-cardsim card on a private pcscd; needs root), the PIN from a file.

#include <doctest/doctest.h>

#include <string>

#include "cli/fixtures.hpp"
#include "cli/run.hpp"
#include "smartcard/card_cli_support.hpp"
#include "smk/pgp_words.hpp"
#include "smk/transport.hpp"
#include "support/pcsc_stack.hpp"

namespace {

namespace transport = smk::transport;
using smk_test::contains;
using smk_test::run_smk;
using smk_test::RunResult;

}  // namespace

TEST_CASE("transport card: seal the share on the holder's card, and a wrong PIN seals nothing") {
    smk_test::PcscStack stack(1);
    const smk_test::SplitRun split;
    const std::string pin = smk_test::pin_file(stack, "pin", "123456");
    const RunResult write = run_smk({"card", "write", "--reader", stack.reader(0), "--pin-file",
                                     pin, split.share_file('A', 4)});
    INFO("write stderr: " << write.err);
    REQUIRE(write.exit_code == 0);

    const auto key = transport::FacilityKey::generate();
    const std::string to = stack.dir() / "facility.txt";
    smk_test::write_file(to, transport::facility_key_text(key.public_key()));
    const std::string context = "restore 2027-03";
    const RunResult run =
        run_smk({"transport", "seal", "--to", to, "--context", context, "--expect-set", "A",
                 "--reader", stack.reader(0), "--pin-file", pin});
    INFO("seal stderr: " << run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(contains(run.err, "sealed set A #4 (identifier " + std::to_string(split.identifier())));
    CHECK(contains(run.err, "from card " + stack.serial(0)));
    CHECK(contains(run.err, smk::pgp_words(key.fingerprint())));
    const auto opened = transport::open_sealed(transport::parse_sealed_share_text(run.out, "out"),
                                               key, context, "out");
    CHECK(opened.mnemonic.text() == split.mnemonic('A', 4));

    const std::string wrong = smk_test::pin_file(stack, "wrong", "654321");
    const RunResult bad = run_smk({"transport", "seal", "--to", to, "--context", context,
                                   "--reader", stack.reader(0), "--pin-file", wrong});
    CHECK(bad.exit_code == 5);
    CHECK(bad.out.empty());
}
