// smk ceremony inventory and reissue after an issue, end to end: the real binary
// against the rig's private pcscd with 14 emulated cards and two SoftHSM2 tokens
// (ceremony_rig.hpp). Inventory finds each card holding the share issued to it and
// names a swapped one; reissue writes a lost card's share onto a blank card, or with
// --new-split a fresh share set onto every card, and a restore then uses what it wrote.

#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "ceremony/ceremony_rig.hpp"
#include "ceremony/ceremony_test_util.hpp"
#include "cli/run.hpp"

namespace {

namespace fs = std::filesystem;
using smk_test::issued_plan_of;
using smk_test::kcv_of_receipt;
using smk_test::run_smk;
using smk_test::transcript_has;

}  // namespace

TEST_CASE("cli: inventory finds every card with its issued share and names a swapped one") {
    smk_test::CeremonyRig rig;
    const auto issue = run_smk({"ceremony", "issue", rig.plan(), "--batch"});
    INFO("issue stderr: " << issue.err);
    REQUIRE(issue.exit_code == 0);
    const std::string issued = issued_plan_of(fs::path(rig.plan()).parent_path().string());
    REQUIRE_FALSE(issued.empty());
    CHECK(smk_test::slurp(issued).find("[[issued.share]]") != std::string::npos);

    const auto all = run_smk({"ceremony", "inventory", issued, "--batch"});
    INFO("inventory stderr: " << all.err);
    CHECK(all.exit_code == 0);
    CHECK(all.out.find("14 card(s) present, each holding exactly the share issued to it") !=
          std::string::npos);
    CHECK(all.out.find("bag BAG-3 (not checked (batch: no one at the terminal))") !=
          std::string::npos);

    // The commitment is what coreutils computes from the share on the card.
    const std::string share = rig.path("h2a.txt");
    REQUIRE(run_smk({"card", "read", "--reader", rig.cards().reader(1), "--pin-file",
                     rig.pin_of_card(1), "--out", share})
                .exit_code == 0);
    std::string words = smk_test::slurp(share);
    while (!words.empty() && words.back() == '\n') {
        words.pop_back();
    }
    smk_test::spit(rig.path("h2a.mnemonic"), words);
    const auto sum = smk_test::run_shell("{ printf 'smk share commitment v1\\n'; cat '" +
                                         rig.path("h2a.mnemonic") + "'; } | sha256sum");
    REQUIRE(sum.shell_status() == 0);
    CHECK(smk_test::slurp(issued).find("sha256 = \"" + sum.out.substr(0, 64) + "\"") !=
          std::string::npos);

    // Holder 2's set A card now holds holder 3's set A share: a valid share of the set.
    const std::string other = rig.path("h3a.txt");
    REQUIRE(run_smk({"card", "read", "--reader", rig.cards().reader(2), "--pin-file",
                     rig.pin_of_card(2), "--out", other})
                .exit_code == 0);
    const auto swapped = run_smk({"card", "write", "--reader", rig.cards().reader(1), "--pin-file",
                                  rig.pin_of_card(1), "--overwrite", other});
    INFO("card write stderr: " << swapped.err);
    REQUIRE(swapped.exit_code == 0);
    const auto found = run_smk({"ceremony", "inventory", issued, "--batch"});
    CHECK(found.exit_code == 5);
    CHECK(found.err.find("1 finding(s) in 14 card(s)") != std::string::npos);
    CHECK(found.err.find("holder 2 set A card " + rig.cards().serial(1) + ": holds share set") !=
          std::string::npos);

    // Holder 2's own share back: the card is what was issued again.
    REQUIRE(run_smk({"card", "write", "--reader", rig.cards().reader(1), "--pin-file",
                     rig.pin_of_card(1), "--overwrite", share})
                .exit_code == 0);
    CHECK(run_smk({"ceremony", "inventory", issued, "--batch", "--holder", "2"}).exit_code == 0);
    // The same set and index but not the issued share: only the commitment tells.
    std::string text = smk_test::slurp(issued);
    const std::string mine = "sha256 = \"" + sum.out.substr(0, 64) + "\"";
    text.replace(text.find(mine), mine.size(), "sha256 = \"" + std::string(64, 'a') + "\"");
    const std::string edited = rig.path("edited-plan.toml");
    smk_test::spit(edited, text);
    const auto only_holder_2 =
        run_smk({"ceremony", "inventory", edited, "--batch", "--holder", "2"});
    CHECK(only_holder_2.exit_code == 5);
    CHECK(only_holder_2.err.find("1 finding(s) in 2 card(s)") != std::string::npos);
    CHECK(only_holder_2.err.find("not the one issued to it") != std::string::npos);
}

TEST_CASE("cli: reissue writes holder 3's lost share again onto a blank card, restore uses it") {
    smk_test::CeremonyRig rig;
    const std::string dir = fs::path(rig.plan()).parent_path().string();
    const auto issue = run_smk({"ceremony", "issue", rig.plan(), "--batch"});
    INFO("issue stderr: " << issue.err);
    REQUIRE(issue.exit_code == 0);
    const std::string kcv = kcv_of_receipt(issue.out);
    const std::string issued = issued_plan_of(dir);
    REQUIRE_FALSE(issued.empty());

    // Holder 3's set A card is damaged: a blank card with the planned serial replaces it.
    rig.pull(2);
    fs::remove(rig.cards().env("SMK_PCSC_STATE_2"));
    rig.insert(2);

    const auto dry = run_smk({"ceremony", "reissue", issued, "--holder", "3", "--dry-run"});
    CHECK(dry.exit_code == 0);
    CHECK(run_smk({"ceremony", "reissue", issued, "--holder", "8"}).exit_code == 2);

    // A plan whose commitment for that card is not the issued share's: the derived
    // share is refused before the card is written.
    std::string text = smk_test::slurp(issued);
    const std::string block = "[[issued.share]]\nholder = 3\nset = \"A\"\nsha256 = \"";
    const auto at = text.find(block);
    REQUIRE(at != std::string::npos);
    text.replace(at + block.size(), 64, std::string(64, 'b'));
    const std::string wrong = dir + "/wrong-plan.toml";
    smk_test::spit(wrong, text);
    const auto refused =
        run_smk({"ceremony", "reissue", wrong, "--holder", "3", "--batch", "--set", "A"});
    CHECK(refused.exit_code == 5);
    CHECK(refused.err.find("is not the one plan " + wrong + " records as issued") !=
          std::string::npos);
    const auto blank = run_smk({"card", "verify", "--reader", rig.cards().reader(2), "--pin-file",
                                rig.factory_pin(), "--json"});
    CHECK(nlohmann::json::parse(blank.out).at("state") == "empty");

    const auto reissue =
        run_smk({"ceremony", "reissue", issued, "--holder", "3", "--batch", "--set", "A"});
    INFO("reissue stderr: " << reissue.err);
    REQUIRE(reissue.exit_code == 0);
    CHECK(reissue.out.find("replacement card " + rig.cards().serial(2) + " holds set A share 3") !=
          std::string::npos);
    CHECK(reissue.err.find("holder 3's, whose card is being replaced: not used") !=
          std::string::npos);
    // The new card got holder 3's PIN and its own authentication key, which a new
    // plan records: the next inventory takes that plan, and the old one names the card.
    CHECK(run_smk({"card", "verify", "--reader", rig.cards().reader(2), "--pin-file",
                   rig.holder_pin(3)})
              .exit_code == 0);
    const std::string replaced_plan =
        (fs::path(issued).parent_path() / (fs::path(issued).stem().string() + "-holder3-setA.toml"))
            .string();
    REQUIRE(fs::exists(replaced_plan));
    CHECK(reissue.out.find("recorded in plan " + replaced_plan) != std::string::npos);
    CHECK(transcript_has(rig.transcript(), "card-key-generated"));
    CHECK(run_smk(
              {"ceremony", "inventory", replaced_plan, "--batch", "--attest-only", "--holder", "3"})
              .exit_code == 0);
    const auto stale =
        run_smk({"ceremony", "inventory", issued, "--batch", "--attest-only", "--holder", "3"});
    CHECK(stale.exit_code == 5);
    CHECK(stale.err.find("holder 3 set A card " + rig.cards().serial(2) + ": attestation FAILED") !=
          std::string::npos);
    // The old plan does not know the card's new key: replacing it again under that
    // plan refuses the card (it is not new) before any PIN is sent to it.
    const auto again =
        run_smk({"ceremony", "reissue", issued, "--holder", "3", "--batch", "--set", "A"});
    CHECK(again.exit_code == 7);
    CHECK(again.err.find("not in its factory state") != std::string::npos);

    // Restore from set A with holder 3's new card among the five.
    rig.pull(0);
    rig.pull(1);
    const auto restore =
        run_smk({"ceremony", "restore", issued, "--batch", "--facility", "AUCKLAND", "--set", "A"});
    INFO("restore stderr: " << restore.err);
    CHECK(restore.exit_code == 0);
    CHECK(restore.out.find(rig.cards().serial(2)) != std::string::npos);
    CHECK(restore.out.find("KCV AUCKLAND hsm-two: " + kcv) != std::string::npos);

    // Holder 4's bag is reported lost: from the plan with that event on, a reissue
    // refuses holder 4's card (in the readers) before it reads its share.
    const auto lost = run_smk({"ceremony", "holder", issued, "--holder", "4", "--lost", "--ca",
                               "Carol Admin", "--note", "bag left on a train"});
    INFO("holder stderr: " << lost.err);
    REQUIRE(lost.exit_code == 0);
    const std::string event_plan =
        (fs::path(issued).parent_path() / (fs::path(issued).stem().string() + "-event1.toml"))
            .string();
    REQUIRE(fs::exists(event_plan));
    const auto refused_lost =
        run_smk({"ceremony", "reissue", event_plan, "--holder", "3", "--batch", "--set", "A"});
    CHECK(refused_lost.exit_code == 7);
    CHECK(refused_lost.err.find("holder 4's cards of share set") != std::string::npos);
    CHECK(refused_lost.err.find("reported lost") != std::string::npos);
    CHECK(transcript_has(rig.transcript(), "holder-lost"));
    CHECK(transcript_has(rig.transcript(), "card-reported-lost"));
    CHECK(run_smk({"transcript", "verify", rig.transcript()}).exit_code == 0);
}

TEST_CASE("cli: reissue --new-split gives everyone a fresh share set, the old one is void") {
    smk_test::CeremonyRig rig;
    const std::string dir = fs::path(rig.plan()).parent_path().string();
    const auto issue = run_smk({"ceremony", "issue", rig.plan(), "--batch"});
    INFO("issue stderr: " << issue.err);
    REQUIRE(issue.exit_code == 0);
    const std::string kcv = kcv_of_receipt(issue.out);
    const std::string issued = issued_plan_of(dir);
    REQUIRE_FALSE(issued.empty());

    const std::string renewed = dir + "/renewed.toml";
    const auto reissue = run_smk({"ceremony", "reissue", issued, "--holder", "3", "--new-split",
                                  "--batch", "--plan-out", renewed});
    INFO("reissue stderr: " << reissue.err);
    REQUIRE(reissue.exit_code == 0);
    CHECK(reissue.out.find("written to all 14 planned cards") != std::string::npos);
    const std::string text = smk_test::slurp(renewed);
    CHECK(text.find("kcv = \"" + kcv + "\"") != std::string::npos);
    CHECK(text != smk_test::slurp(issued));

    for (int i = 0; i <= 6; ++i) {
        rig.pull(i);  // set B only
    }
    // The old plan's share set is gone from the cards.
    const auto old = run_smk({"ceremony", "restore", issued, "--batch", "--facility", "AUCKLAND"});
    CHECK(old.exit_code == 7);
    CHECK(old.err.find("a share of another split") != std::string::npos);
    const auto restore =
        run_smk({"ceremony", "restore", renewed, "--batch", "--facility", "AUCKLAND"});
    INFO("restore stderr: " << restore.err);
    CHECK(restore.exit_code == 0);
    CHECK(restore.out.find("KCV AUCKLAND hsm-two: " + kcv) != std::string::npos);
}
