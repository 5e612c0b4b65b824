// smk ceremony check / issue / restore, end to end: the real binary against a
// private pcscd with 14 emulated cards and two SoftHSM2 tokens. Every plan
// mismatch stops the flow with a message naming the item, and leaves the tokens,
// the cards and the plan as they were. `smk transcript` is tested in
// test_transcript_cli.cpp, reissue and inventory in test_reissue_inventory_cli.cpp.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "ceremony/ceremony_rig.hpp"
#include "ceremony/ceremony_test_util.hpp"
#include "cli/fixtures.hpp"
#include "smk/ceremony/plan.hpp"

namespace {

namespace fs = std::filesystem;
using smk_test::issued_plan_of;
using smk_test::kcv_of_receipt;
using smk_test::run_smk;
using smk_test::transcript_has;

}  // namespace

TEST_CASE(
    "cli: a directory or a device named as a plan or transcript is refused in bounded memory") {
    smk_test::TempDir dir;
    for (const std::string& where : {dir.path().string(), std::string("/dev/zero")}) {
        const auto plan = run_smk({"ceremony", "check", where});
        CHECK(plan.exit_code == 3);
        CHECK(plan.err.find("plan " + where + " is a ") != std::string::npos);
        for (const char* sub : {"verify", "print"}) {
            const auto t = run_smk({"transcript", sub, where});
            CHECK(t.exit_code == 3);
            CHECK(t.err.find("transcript " + where + " is a ") != std::string::npos);
        }
    }
    // A regular file beyond the cap: refused by size, not read whole.
    const std::string big = dir / "big.toml";
    smk_test::spit(big, std::string(smk::ceremony::kMaxPlanBytes + 1, '#'));
    const auto large = run_smk({"ceremony", "check", big});
    CHECK(large.exit_code == 3);
    CHECK(large.err.find("is larger than 1048576 bytes") != std::string::npos);
}

TEST_CASE("cli: check and a malformed plan exit 3 before any device is looked at") {
    smk_test::TempDir dir;
    const std::string plan = dir / "plan.toml";
    smk_test::spit(plan,
                   smk_test::replaced(smk_test::example_plan_text(), "index = 4,", "index = 9,"));
    for (const char* flow : {"issue", "restore", "backup-copies"}) {
        const auto r = run_smk({"ceremony", flow, plan, "--dry-run"});
        CHECK(r.exit_code == 3);
        CHECK(r.err.find("holders[3].cards[0].index") != std::string::npos);
    }
    smk_test::spit(plan, smk_test::example_plan_text());
    const auto ok = run_smk({"ceremony", "check", plan});
    CHECK(ok.exit_code == 0);
    CHECK(ok.out.find("holder 3 Holder Three") != std::string::npos);
}

TEST_CASE("cli: issue with a planned card missing stops before the SMK is generated") {
    smk_test::CeremonyRig rig;
    // --plan-out naming a file that exists is refused before the SMK is generated.
    const auto exists =
        run_smk({"ceremony", "issue", rig.plan(), "--batch", "--plan-out", rig.factory_pin()});
    CHECK(exists.exit_code == 7);
    CHECK(exists.err.find("already exists") != std::string::npos);
    smk_test::spit(rig.plan(),
                   smk_test::replaced(rig.plan_text(), rig.cards().serial(10), "FFFF:5AC0FFFF"));
    const auto r = run_smk({"ceremony", "issue", rig.plan(), "--batch"});
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 8);
    CHECK(r.err.find("FFFF:5AC0FFFF") != std::string::npos);
    CHECK(r.err.find("holder 4") != std::string::npos);
    CHECK(transcript_has(rig.transcript(), "cards-missing"));
    CHECK_FALSE(transcript_has(rig.transcript(), "smk-generated"));
    CHECK(issued_plan_of(fs::path(rig.plan()).parent_path().string()).empty());
    CHECK(rig.token_kcv("hsm-one").exit_code != 0);  // no SMK in the token
}

TEST_CASE("cli: a missing PIN file stops check and the dry run and issue before the SMK is made") {
    smk_test::CeremonyRig rig;
    const auto ok = run_smk({"ceremony", "check", rig.plan()});
    CHECK(ok.exit_code == 0);
    CHECK(ok.out.find("holder 3 PIN file " + rig.holder_pin(3) +
                      ": readable, a PIN the rules allow") != std::string::npos);
    CHECK(ok.out.find(rig.holder_pin_value(3)) == std::string::npos);  // read, never shown

    fs::remove(rig.holder_pin(3));
    const std::string named = "holders[2].pin_file " + rig.holder_pin(3) + ": cannot open";
    const auto check = run_smk({"ceremony", "check", rig.plan()});
    CHECK(check.exit_code == 6);
    CHECK(check.err.find(named) != std::string::npos);
    const auto dry = run_smk({"ceremony", "issue", rig.plan(), "--batch", "--dry-run"});
    CHECK(dry.exit_code == 6);
    CHECK(dry.err.find(named) != std::string::npos);
    const auto issue = run_smk({"ceremony", "issue", rig.plan(), "--batch"});
    INFO("issue stderr: " << issue.err);
    CHECK(issue.exit_code == 6);
    CHECK(issue.err.find(named) != std::string::npos);
    CHECK(issue.err.find("nothing was touched") != std::string::npos);
    CHECK_FALSE(fs::exists(rig.transcript()));       // before the first line: no token opened
    CHECK(rig.token_kcv("hsm-one").exit_code != 0);  // no SMK in the token
    // The flows that take an issued plan check it too, in a dry run as well.
    const std::string issued = rig.path("plan-issued.toml");
    smk_test::spit(issued, rig.plan_text() + "\n[issued]\nidentifier = 1234\nkcv = \"abcdef\"\n");
    for (const std::vector<std::string>& flow :
         {std::vector<std::string>{"restore", issued, "--facility", "AUCKLAND", "--dry-run"},
          std::vector<std::string>{"reissue", issued, "--holder", "3", "--dry-run"},
          std::vector<std::string>{"inventory", issued, "--dry-run"}}) {
        std::vector<std::string> args{"ceremony"};
        args.insert(args.end(), flow.begin(), flow.end());
        const auto r = run_smk(args);
        INFO(flow[0] << " stderr: " << r.err);
        CHECK(r.exit_code == 6);
        CHECK(r.err.find(named) != std::string::npos);
    }
    CHECK_FALSE(fs::exists(rig.transcript()));

    smk_test::spit(rig.holder_pin(3), "");
    const auto empty = run_smk({"ceremony", "check", rig.plan()});
    CHECK(empty.exit_code == 6);
    CHECK(empty.err.find("holders[2].pin_file " + rig.holder_pin(3) + ": it is empty") !=
          std::string::npos);

    smk_test::spit(rig.holder_pin(3), rig.holder_pin_value(3) + "\n");
    fs::remove(rig.token_pin());
    const auto token = run_smk({"ceremony", "check", rig.plan()});
    CHECK(token.exit_code == 6);
    CHECK(token.err.find("token hsm-one pin_file " + rig.token_pin()) != std::string::npos);
}

TEST_CASE("cli: a token that is not the HSM the plan pins is refused before any PIN is sent") {
    smk_test::CeremonyRig rig;
    const auto listed =
        run_smk({"hsm", "tokens", "--pkcs11-module", smk_test::kSoftHsmModule, "--json"});
    REQUIRE(listed.exit_code == 0);
    std::string serial;
    std::string model;
    for (const auto& token : nlohmann::json::parse(listed.out)) {
        if (token.at("label") == "hsm-one") {
            serial = token.at("serial").get<std::string>();
            model = token.at("model").get<std::string>();
        }
    }
    REQUIRE_FALSE(serial.empty());
    auto pinned = [&](const std::string& s, const std::string& m) {
        return smk_test::replaced(
            rig.plan_text(), "label = \"hsm-one\",",
            "label = \"hsm-one\", serial = \"" + s + "\", model = \"" + m + "\",");
    };
    smk_test::spit(rig.plan(), pinned(serial, model));
    const auto check = run_smk({"ceremony", "check", rig.plan()});
    CHECK(check.exit_code == 0);
    CHECK(check.out.find("token hsm-one: pinned to serial " + serial + ", model " + model) !=
          std::string::npos);
    CHECK(check.out.find("token hsm-two: NOT pinned") != std::string::npos);
    CHECK(run_smk({"ceremony", "issue", rig.plan(), "--batch", "--dry-run"}).exit_code == 0);

    // Another HSM with the planned label: its serial differs. A wrong PIN in the plan
    // shows that no login was tried (that would be exit 5 for the PIN, and a try used).
    smk_test::spit(rig.token_pin(), "999999\n");
    smk_test::spit(rig.plan(), pinned("0123456789abcdef", model));
    const auto other = run_smk({"ceremony", "issue", rig.plan(), "--batch"});
    INFO("stderr: " << other.err);
    CHECK(other.exit_code == 5);
    CHECK(other.err.find("the token labelled \"hsm-one\" has serial \"" + serial + "\"") !=
          std::string::npos);
    CHECK(other.err.find("pins \"0123456789abcdef\"") != std::string::npos);
    CHECK(other.err.find("Nothing was sent to it") != std::string::npos);
    CHECK(other.err.find("PIN") == std::string::npos);
    CHECK(transcript_has(rig.transcript(), "token-mismatch"));
    CHECK_FALSE(transcript_has(rig.transcript(), "token-opened"));
    CHECK_FALSE(transcript_has(rig.transcript(), "smk-generated"));

    smk_test::spit(rig.plan(), pinned(serial, "Luna K7"));
    const auto model_differs = run_smk({"ceremony", "issue", rig.plan(), "--batch"});
    CHECK(model_differs.exit_code == 5);
    CHECK(model_differs.err.find("has model \"" + model + "\"") != std::string::npos);
    smk_test::spit(rig.token_pin(), "246810\n");
    const auto listed_after =
        run_smk({"hsm", "tokens", "--pkcs11-module", smk_test::kSoftHsmModule, "--json"});
    CHECK(listed_after.out.find("count_low\": true") == std::string::npos);  // no PIN try used
}

TEST_CASE("cli: issue refuses a planned card that holds a share before any card is written") {
    smk_test::CeremonyRig rig;
    const smk_test::SplitRun other({"--group", "2/3"});
    const auto written = run_smk({"card", "write", "--reader", rig.cards().reader(9), "--pin-file",
                                  rig.factory_pin(), other.share_file('A', 2)});
    INFO("card write stderr: " << written.err);
    REQUIRE(written.exit_code == 0);

    const auto r = run_smk({"ceremony", "issue", rig.plan(), "--batch"});
    INFO("issue stderr: " << r.err);
    CHECK(r.exit_code == 7);
    CHECK(r.err.find("card " + rig.cards().serial(9)) != std::string::npos);
    CHECK(r.err.find("already holds a share record (set A #2") != std::string::npos);
    CHECK(r.err.find("smk card wipe") != std::string::npos);
    CHECK(r.err.find("No card was written") != std::string::npos);
    CHECK(r.err.find("--overwrite") == std::string::npos);  // issue has no --overwrite
    CHECK(transcript_has(rig.transcript(), "aborted"));
    CHECK_FALSE(transcript_has(rig.transcript(), "card-written"));
    CHECK_FALSE(transcript_has(rig.transcript(), "smk-generated"));  // checked before the SMK
    CHECK(r.err.find("no SMK generated") != std::string::npos);
    CHECK(rig.token_kcv("hsm-one").exit_code != 0);  // no SMK in the token
    // The first planned card was looked at but not written.
    const auto first = run_smk({"card", "verify", "--reader", rig.cards().reader(0), "--pin-file",
                                rig.factory_pin(), "--json"});
    CHECK(nlohmann::json::parse(first.out).at("state") == "empty");
}

TEST_CASE(
    "cli: issue, every restore mismatch stops with nothing installed, then restore, then again "
    "onto the HSM that holds the SMK with no card") {
    smk_test::CeremonyRig rig;
    const std::string dir = fs::path(rig.plan()).parent_path().string();

    const auto dry = run_smk({"ceremony", "issue", rig.plan(), "--batch", "--dry-run"});
    CHECK(dry.exit_code == 0);
    CHECK(dry.out.find("dry run") != std::string::npos);
    CHECK_FALSE(fs::exists(rig.transcript()));

    const auto issue = run_smk({"ceremony", "issue", rig.plan(), "--batch"});
    INFO("issue stderr: " << issue.err);
    REQUIRE(issue.exit_code == 0);
    const std::string kcv = kcv_of_receipt(issue.out);
    CHECK(issue.out.find("KCV WELLINGTON hsm-one: " + kcv) != std::string::npos);
    CHECK(issue.out.find("holder 7 Holder 7") != std::string::npos);
    const auto one = rig.token_kcv("hsm-one");
    CHECK(one.exit_code == 0);
    CHECK(one.out.find(kcv) != std::string::npos);
    const std::string issued = issued_plan_of(dir);
    REQUIRE_FALSE(issued.empty());
    const std::string issued_text = smk_test::slurp(issued);
    CHECK(issued_text.find("kcv = \"" + kcv + "\"") != std::string::npos);
    CHECK(smk_test::slurp(rig.plan()) == rig.plan_text());  // the user's plan is untouched

    // A second issue of the issued plan is refused.
    CHECK(run_smk({"ceremony", "issue", issued, "--batch"}).exit_code == 7);
    // Restore needs the issued plan.
    CHECK(run_smk({"ceremony", "restore", rig.plan(), "--batch", "--facility", "AUCKLAND"})
              .exit_code == 2);

    const auto restore_with = [&](const std::string& text, const std::vector<std::string>& extra) {
        return run_smk(
            smk_test::restore_variant_args(dir + "/variant.toml", text, rig.transcript(), extra));
    };

    // Wrong KCV in the plan: the cards' SMK is not the planned one.
    {
        const auto r = restore_with(
            smk_test::replaced(issued_text, "kcv = \"" + kcv + "\"", "kcv = \"000000\""), {});
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 5);
        CHECK(r.err.find("the plan records 000000") != std::string::npos);
        CHECK(rig.token_kcv("hsm-two").exit_code != 0);
    }
    // A card of the wrong set: set B is asked for, the first card is set A.
    {
        const auto r = restore_with(issued_text, {"--set", "B"});
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 7);
        CHECK(r.err.find("is of set A, but set B is being collected") != std::string::npos);
        CHECK(rig.token_kcv("hsm-two").exit_code != 0);
    }
    // A card that is not in the plan.
    {
        const auto r = restore_with(
            smk_test::replaced(issued_text, rig.cards().serial(0), "FFFF:5AC0FFFF"), {});
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 7);
        CHECK(r.err.find(rig.cards().serial(0) + ": this card is not in the plan") !=
              std::string::npos);
        CHECK(rig.token_kcv("hsm-two").exit_code != 0);
    }
    // Cards of another share set (the plan's identifier differs).
    {
        const auto at = issued_text.find("identifier = ");
        REQUIRE(at != std::string::npos);
        std::string text = issued_text;
        const auto end = text.find('\n', at);
        const int id = std::stoi(text.substr(at + 13, end - at - 13));
        text.replace(at, end - at, "identifier = " + std::to_string((id + 1) % 32768));
        const auto r = restore_with(text, {});
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 7);
        CHECK(r.err.find("a share of another split") != std::string::npos);
        CHECK(rig.token_kcv("hsm-two").exit_code != 0);
    }
    // A holder's second card: only holder 1's set A card and the set B cards are in.
    for (int i = 1; i <= 6; ++i) {
        rig.pull(i);
    }
    {
        const auto r = restore_with(issued_text, {});
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 7);
        CHECK(r.err.find("holder 1 (Holder 1) already gave a share") != std::string::npos);
        CHECK(rig.token_kcv("hsm-two").exit_code != 0);
    }
    // The restore at AUCKLAND from set B. In reader 0, a clone of holder 1's set B
    // card (card 7): read first, so the real card 7 is the second card with that
    // serial, and it is named, not passed over in silence.
    rig.pull(0);
    rig.cards().make_clone(7, 0);
    rig.insert(0);
    const auto restore =
        run_smk({"ceremony", "restore", issued, "--batch", "--facility", "AUCKLAND"});
    INFO("restore stderr: " << restore.err);
    CHECK(restore.exit_code == 0);
    CHECK((restore.out + restore.err)
              .find("skipped: card " + rig.cards().serial(7) + " in \"" + rig.cards().reader(7) +
                    "\" has the serial of the card already used") != std::string::npos);
    rig.pull(0);
    CHECK(restore.out.find("KCV AUCKLAND hsm-two: " + kcv) != std::string::npos);
    const auto two = rig.token_kcv("hsm-two");
    CHECK(two.exit_code == 0);
    CHECK(two.out.find(kcv) != std::string::npos);
    // Restore onto an HSM that holds the SMK already: its KCV is checked in the token and
    // no card is needed (every card is out of its reader now).
    for (int i = 7; i <= 13; ++i) {
        rig.pull(i);
    }
    const auto again =
        run_smk({"ceremony", "restore", issued, "--batch", "--facility", "AUCKLAND"});
    INFO("second restore stderr: " << again.err);
    CHECK(again.exit_code == 0);
    CHECK(again.out.find("SMK already in every token at AUCKLAND: no card was read") !=
          std::string::npos);
    CHECK(again.out.find("KCV AUCKLAND hsm-two: " + kcv + " (the SMK was there already)") !=
          std::string::npos);
    CHECK(transcript_has(rig.transcript(), "token-has-smk"));
    // A token holding a key of the SMK's label with another KCV is another SMK: refused
    // before any card is asked for.
    {
        const auto r = restore_with(
            smk_test::replaced(issued_text, "kcv = \"" + kcv + "\"", "kcv = \"000000\""), {});
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 7);
        CHECK(r.err.find("already holds a key labelled \"SMK\" with KCV " + kcv) !=
              std::string::npos);
        CHECK(r.err.find("smk never replaces an SMK in a ceremony") != std::string::npos);
        CHECK(transcript_has(rig.transcript(), "token-has-key"));
    }

    const auto verify = run_smk({"transcript", "verify", rig.transcript()});
    CHECK(verify.exit_code == 0);
    CHECK(transcript_has(rig.transcript(), "kcv-mismatch"));
    CHECK(transcript_has(rig.transcript(), "wrong-set"));
    CHECK(transcript_has(rig.transcript(), "holder-twice"));
    CHECK(transcript_has(rig.transcript(), "hsm-installed"));
    // No line of the transcript holds a secret: no mnemonic word run, no PIN.
    const std::string all = smk_test::slurp(rig.transcript());
    CHECK(all.find("246810") == std::string::npos);
}
