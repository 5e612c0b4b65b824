// A card that is not an OpenPGP card, end to end: vicc (python3-virtualsmartcard,
// type iso7816) in a vpcd reader of a private pcscd (pcsc-env.sh --vicc), next
// to an smk-cardsim card. smk names the reader and says "not an OpenPGP card".

#include <doctest/doctest.h>

#include <string>

#include "cli/run.hpp"
#include "support/pcsc_stack.hpp"

using smk_test::contains;
using smk_test::PcscStack;
using smk_test::run_smk;
using smk_test::RunResult;

TEST_CASE(
    "card vicc e2e: an ISO 7816 card that is not an OpenPGP card - exit 8 naming the reader") {
    PcscStack stack(2, {}, {1});
    const std::string pin = stack.dir() / "pin";
    smk_test::write_file(pin, "123456\n");
    const std::string share = stack.dir() / "share.txt";
    const RunResult split = run_smk({"split", "--group", "2/2", "--stdout"});
    REQUIRE(split.exit_code == 0);
    smk_test::write_file(share, split.out.substr(0, split.out.find('\n') + 1));

    const RunResult verify =
        run_smk({"card", "verify", "--reader", stack.reader(1), "--pin-file", pin});
    CHECK(verify.exit_code == 8);
    CHECK(contains(verify.err, "not an OpenPGP card"));
    CHECK(contains(verify.err, stack.reader(1)));
    const RunResult write =
        run_smk({"card", "write", "--reader", stack.reader(1), "--pin-file", pin, share});
    CHECK(write.exit_code == 8);
    CHECK(contains(write.err, "not an OpenPGP card"));

    // vicc answered (it did not crash): it still answers after both commands.
    const auto listed = run_smk({"card", "list"});
    CHECK(listed.exit_code == 0);
    CHECK(contains(listed.out, "reader \"" + stack.reader(1) + "\": "));
    CHECK(contains(listed.out, "not an OpenPGP card"));
    CHECK(contains(listed.out, "card " + stack.serial(0)));
    CHECK(contains(stack.card_log(1), "Power Up"));

    // combine --from-cards names it and goes on to the next card.
    const RunResult combine = run_smk({"combine", "--from-cards", "--pin-file", pin, "--out", "-"});
    CHECK(combine.exit_code == 4);
    CHECK(contains(combine.err, "not an OpenPGP card"));
}
