// `smk split --to-cards` and `smk combine --from-cards` end to end, in batch
// mode (stdin is not a terminal: the cards present are taken in reader order),
// against private pcscd + smk-cardsim stacks.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cli/fixtures.hpp"
#include "cli/run.hpp"
#include "support/pcsc_stack.hpp"

namespace {

using smk_test::contains;
using smk_test::PcscStack;
using smk_test::run_smk;
using smk_test::RunResult;

std::string pin_file(const PcscStack& stack) {
    const std::string path = stack.dir() / "pin";
    smk_test::write_file(path, "123456\n");
    return path;
}

std::string key_file(const PcscStack& stack, const std::string& hex) {
    const std::string path = stack.dir() / "key.hex";
    smk_test::write_file(path, hex + "\n");
    return path;
}

// The mnemonic on card i, read with `smk card read`.
std::string card_mnemonic(const PcscStack& stack, int i, const std::string& pin) {
    const RunResult read =
        run_smk({"card", "read", "--reader", stack.reader(i), "--pin-file", pin, "--out", "-"});
    INFO("card read stderr: " << read.err);
    REQUIRE(read.exit_code == 0);
    REQUIRE(read.out.size() > 100);
    return read.out.substr(0, read.out.size() - 1);
}

// What `smk card verify` says card i holds: "empty", "valid", ...
std::string card_state(const PcscStack& stack, int i, const std::string& pin) {
    const RunResult verify =
        run_smk({"card", "verify", "--reader", stack.reader(i), "--pin-file", pin, "--json"});
    INFO("card verify exit " << verify.exit_code << ", stderr: " << verify.err);
    return nlohmann::json::parse(verify.out).at("state").get<std::string>();
}

}  // namespace

TEST_CASE("card flows e2e: split --to-cards writes 14 cards and 5 of set B combine to its KCV") {
    PcscStack stack(14);
    const std::string pin = pin_file(stack);
    const std::string key = key_file(stack, smk_test::kSecretHex);
    const std::string kcv = smk_test::kcv_of(smk_test::kSecretHex);

    const RunResult split =
        run_smk({"split", "--secret-file", key, "--to-cards", "--pin-file", pin, "--json"});
    INFO("split stderr: " << split.err);
    REQUIRE(split.exit_code == 0);
    const auto json = nlohmann::json::parse(split.out);
    CHECK(json.at("kcv") == kcv);
    REQUIRE(json.at("holders").size() == 7);
    // Holder h gets share h of each set, on the cards in reader order.
    std::set<std::string> serials;
    for (int h = 0; h < 7; ++h) {
        const auto& cards = json.at("holders").at(static_cast<std::size_t>(h)).at("cards");
        REQUIRE(cards.size() == 2);
        CHECK(cards[0].at("set") == "A");
        CHECK(cards[1].at("set") == "B");
        CHECK(cards[0].at("index") == h + 1);
        CHECK(cards[0].at("card") == stack.serial(2 * h));
        CHECK(cards[1].at("card") == stack.serial(2 * h + 1));
        serials.insert(cards[0].at("card").get<std::string>());
        serials.insert(cards[1].at("card").get<std::string>());
    }
    CHECK(serials.size() == 14);
    CHECK(contains(split.err, "each set as read back recombines to the SMK"));
    CHECK(contains(split.err, "holder 3"));

    // The cards hold the shares; none of them went to stdout or stderr.
    const std::string b4 = card_mnemonic(stack, 7, pin);
    const std::string a1 = card_mnemonic(stack, 0, pin);
    CHECK_FALSE(contains(split.out + split.err, b4.substr(0, 30)));
    CHECK_FALSE(contains(split.out + split.err, a1.substr(0, 30)));
    const RunResult verify =
        run_smk({"card", "verify", "--reader", stack.reader(7), "--pin-file", pin, "--expect-set",
                 "B", "--expect-index", "4", "--expect-identifier",
                 std::to_string(json.at("identifier").get<int>())});
    CHECK_MESSAGE(verify.exit_code == 0, verify.err);

    // Running again onto cards that hold shares is refused; nothing written.
    const RunResult again =
        run_smk({"split", "--secret-file", key, "--to-cards", "--pin-file", pin});
    CHECK(again.exit_code == 7);
    CHECK(contains(again.err, "card " + stack.serial(0)));
    CHECK(contains(again.err, "already holds a share record (set A #1"));
    CHECK(contains(again.err, "--overwrite"));
    CHECK(contains(again.err, "No card was written"));
    CHECK(card_mnemonic(stack, 0, pin) == a1);

    // Leave only 5 cards of set B in the readers: set A's and B6, B7 out.
    for (const int card : {0, 2, 4, 6, 8, 10, 12, 11, 13}) {
        stack.card_stop(card);
    }
    const std::string out = stack.dir() / "smk.hex";
    const RunResult combine = run_smk({"combine", "--from-cards", "--pin-file", pin, "--out", out,
                                       "--expect-kcv", kcv, "--json"});
    INFO("combine stderr: " << combine.err);
    REQUIRE(combine.exit_code == 0);
    CHECK(smk_test::read_file(out) == smk_test::kSecretHex + "\n");
    const auto receipt = nlohmann::json::parse(combine.out);
    CHECK(receipt.at("kcv") == kcv);
    CHECK(receipt.at("sets_used") == nlohmann::json::array({"B"}));
    CHECK(receipt.at("shares_used").size() == 5);
    CHECK(contains(combine.err, "card " + stack.serial(9) + " (set B #5)"));
    CHECK(contains(combine.err, "set B: 5 of 5"));
}

TEST_CASE("card flows e2e: split --to-cards never puts two shares on one card") {
    PcscStack stack(3);
    const std::string pin = pin_file(stack);
    // 4 shares (2 sets of 2-of-2) and only 3 cards: the 4th share has no new card.
    const RunResult split =
        run_smk({"split", "--group", "2/2", "--group", "2/2", "--to-cards", "--pin-file", pin});
    // Every card is checked before the first is written: the missing 4th is found
    // first, and no card is written.
    CHECK(split.exit_code == 7);
    CHECK(contains(split.err, "no new card for holder 2, set B, share 2"));
    CHECK(contains(split.err, "card " + stack.serial(0) + " already has holder 1, set A, share 1"));
    CHECK(contains(split.err, "one card never holds two shares"));
    CHECK(contains(split.err, "No card was written"));
    CHECK_FALSE(contains(split.err, "NOT complete"));
    for (int card = 0; card < 3; ++card) {
        CHECK(card_state(stack, card, pin) == "empty");
    }
    CHECK(split.out.empty());

    // --overwrite on the same cards with enough of them: a new split replaces the old shares.
    const RunResult smaller =
        run_smk({"split", "--group", "2/3", "--to-cards", "--pin-file", pin, "--overwrite"});
    INFO("stderr: " << smaller.err);
    CHECK(smaller.exit_code == 0);
    CHECK(contains(smaller.out, "on 3 cards"));
}

TEST_CASE(
    "card flows e2e: split --to-cards --overwrite with 13 of 14 cards refuses before writing any") {
    PcscStack stack(14);
    const std::string pin = pin_file(stack);
    const RunResult first = run_smk({"split", "--to-cards", "--pin-file", pin});
    INFO("first split stderr: " << first.err);
    REQUIRE(first.exit_code == 0);
    std::vector<std::string> issued;
    for (int card = 0; card < 13; ++card) {
        issued.push_back(card_mnemonic(stack, card, pin));
    }

    // Holder 7's card of set B (the last in reader order) is missing.
    stack.card_stop(13);
    const RunResult again = run_smk({"split", "--to-cards", "--pin-file", pin, "--overwrite"});
    INFO("second split stderr: " << again.err);
    CHECK(again.exit_code == 7);
    CHECK(contains(again.err, "no new card for holder 7, set B, share 7"));
    CHECK(contains(again.err, "Insert a new card"));
    CHECK(contains(again.err, "No card was written"));
    CHECK_FALSE(contains(again.err, "NOT complete"));
    CHECK(again.out.empty());
    // Every card present still holds its share of the issued set, untouched.
    for (int card = 0; card < 13; ++card) {
        CHECK(card_mnemonic(stack, card, pin) == issued[static_cast<std::size_t>(card)]);
    }
}

TEST_CASE("card flows e2e: split --to-cards bad usage and a card without private DOs") {
    PcscStack stack(2, {{0, "--no-private-dos"}});
    const std::string pin = pin_file(stack);
    const RunResult with_dir =
        run_smk({"split", "--to-cards", "--pin-file", pin, "--out-dir", stack.dir() / "x"});
    CHECK(with_dir.exit_code == 2);
    const RunResult raw = run_smk({"split", "--to-cards", "--format", "raw", "--pin-file", pin});
    CHECK(raw.exit_code == 2);
    const RunResult pin_alone = run_smk({"split", "--pin-file", pin, "--stdout"});
    CHECK(pin_alone.exit_code == 2);
    CHECK(contains(pin_alone.err, "go with --to-cards"));

    const RunResult no_do = run_smk({"split", "--group", "2/2", "--to-cards", "--pin-file", pin});
    CHECK(no_do.exit_code == 8);
    CHECK(contains(no_do.err, "card " + stack.serial(0)));
    CHECK(contains(no_do.err, "no private-use data objects"));
    CHECK(contains(no_do.err, "No card was written"));
}

TEST_CASE("card flows e2e: combine --from-cards skips a card of another split and an empty card") {
    PcscStack stack(4);
    const std::string pin = pin_file(stack);
    const smk_test::SplitRun ours({"--group", "2/3"});
    const smk_test::SplitRun other({"--group", "2/3"}, smk_test::kOtherSecretHex);
    REQUIRE(ours.identifier() != other.identifier());
    const auto write = [&](int card, const std::string& file) {
        const RunResult result =
            run_smk({"card", "write", "--reader", stack.reader(card), "--pin-file", pin, file});
        INFO("write stderr: " << result.err);
        REQUIRE(result.exit_code == 0);
    };
    write(0, ours.share_file('A', 1));
    write(1, other.share_file('A', 2));
    // card 2 stays empty
    write(3, ours.share_file('A', 3));

    const std::string kcv = smk_test::kcv_of(smk_test::kSecretHex);
    const RunResult combine =
        run_smk({"combine", "--from-cards", "--pin-file", pin, "--out", "-", "--expect-kcv", kcv});
    INFO("combine stderr: " << combine.err);
    REQUIRE(combine.exit_code == 0);
    CHECK(combine.out == smk_test::kSecretHex + "\n");
    CHECK(contains(combine.err, "card " + stack.serial(1)));
    CHECK(contains(combine.err, "holds a share of another split (identifier " +
                                    std::to_string(other.identifier()) + ")"));
    CHECK(contains(combine.err, "card " + stack.serial(2)));
    CHECK(contains(combine.err, "holds no share (DO 0103 is empty)"));
    CHECK(contains(combine.err, "KCV              " + kcv + " (as expected)"));

    // Without card 3 there is no quorum: exit 4, naming what was skipped.
    stack.card_stop(3);
    const RunResult short_of_one =
        run_smk({"combine", "--from-cards", "--pin-file", pin, "--out", "-"});
    CHECK(short_of_one.exit_code == 4);
    CHECK(short_of_one.out.empty());
    CHECK(contains(short_of_one.err, "set A: 1 of 2"));
    CHECK(contains(short_of_one.err, "skipped: card " + stack.serial(1)));
    CHECK(contains(short_of_one.err, "another split"));

    // Files and --from-cards do not mix; --from-cards needs --out like combine.
    const RunResult files = run_smk(
        {"combine", "--from-cards", "--pin-file", pin, "--out", "-", ours.share_file('A', 1)});
    CHECK(files.exit_code == 2);
    const RunResult no_out = run_smk({"combine", "--from-cards", "--pin-file", pin});
    CHECK(no_out.exit_code == 2);
}

TEST_CASE("card flows e2e: combine --from-cards stops on a wrong PIN file and with no cards") {
    PcscStack stack(1);
    const std::string bad = stack.dir() / "bad";
    smk_test::write_file(bad, "654321\n");
    const RunResult wrong = run_smk({"combine", "--from-cards", "--pin-file", bad, "--out", "-"});
    CHECK(wrong.exit_code == 5);
    CHECK(contains(wrong.err, "wrong user PIN for card " + stack.serial(0)));
    stack.card_stop(0);
    const RunResult none = run_smk({"combine", "--from-cards", "--pin-file", bad, "--out", "-"});
    CHECK(none.exit_code == 4);
    CHECK(contains(none.err, "no valid share read"));
}

TEST_CASE("card flows e2e: combine --from-cards names a second card with a serial already read") {
    PcscStack stack(3);
    const std::string pin = pin_file(stack);
    const smk_test::SplitRun split({"--group", "2/3"});
    for (const auto& [card, index] : {std::pair{0, 1}, std::pair{2, 2}}) {
        const RunResult write = run_smk({"card", "write", "--reader", stack.reader(card),
                                         "--pin-file", pin, split.share_file('A', index)});
        INFO("write stderr: " << write.err);
        REQUIRE(write.exit_code == 0);
    }
    // Card 1 becomes a clone of card 0: the same state (serial, PINs, DO 0103).
    stack.card_stop(1);
    stack.make_clone(0, 1);
    stack.card_start(1);

    const RunResult combine = run_smk({"combine", "--from-cards", "--pin-file", pin, "--out", "-",
                                       "--expect-kcv", smk_test::kcv_of(smk_test::kSecretHex)});
    INFO("combine stderr: " << combine.err);
    REQUIRE(combine.exit_code == 0);
    CHECK(combine.out == smk_test::kSecretHex + "\n");
    CHECK(contains(combine.err, "skipped: card " + stack.serial(0) + " in \"" + stack.reader(1) +
                                    "\" has the serial of the card already used"));
    CHECK(contains(combine.err, "(in \"" + stack.reader(0) + "\")"));
    CHECK(contains(combine.err, "a second card with the same serial"));
}
