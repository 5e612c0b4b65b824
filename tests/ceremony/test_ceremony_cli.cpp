// smk ceremony issue / restore and smk transcript, end to end: the real binary
// against a private pcscd with 14 emulated cards and two SoftHSM2 tokens. Every
// plan mismatch stops the flow with a message naming the item, and leaves the
// tokens, the cards and the plan as they were.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "ceremony/ceremony_rig.hpp"
#include "ceremony/ceremony_test_util.hpp"
#include "cli/fixtures.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/ceremony/transcript.hpp"

namespace {

namespace fs = std::filesystem;
using smk_test::run_smk;

std::string issued_plan_of(const std::string& dir) {
    for (const auto& entry : fs::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("plan-id", 0) == 0) {
            return entry.path().string();
        }
    }
    return {};
}

std::string kcv_of_receipt(const std::string& out) {
    const auto at = out.find("  KCV ");
    REQUIRE(at != std::string::npos);
    return out.substr(at + 6, 6);
}

bool transcript_has(const std::string& file, const std::string& step) {
    for (const auto& line : smk::transcript::read_file(file)) {
        if (line.step == step) {
            return true;
        }
    }
    return false;
}

}  // namespace

TEST_CASE("cli: smk transcript verify names the edited line, print renders an intact one") {
    smk_test::TempDir dir;
    const std::string file = dir / "t.jsonl";
    {
        smk::transcript::Writer writer(file);
        writer.append({"issue", "start", {{"plan", "p.toml"}}, {}, {}});
        writer.append(
            {"issue", "card-written", {{"card", "FFFF:5AC00001"}}, {{"read_back", "ok"}}, {}});
        writer.append({"issue", "done", {}, {{"result", "ok"}}, {}});
    }
    const auto ok = run_smk({"transcript", "verify", file});
    CHECK(ok.exit_code == 0);
    CHECK(ok.out.find("OK, 3 lines") != std::string::npos);
    const auto printed = run_smk({"transcript", "print", file});
    CHECK(printed.exit_code == 0);
    CHECK(printed.out.find("card-written") != std::string::npos);
    CHECK(printed.out.find("card=FFFF:5AC00001") != std::string::npos);
    CHECK(printed.out.find("SHA-256 of the last line") != std::string::npos);

    std::string text = smk_test::slurp(file);
    text.replace(text.find("FFFF:5AC00001"), 13, "FFFF:5AC00009");
    smk_test::spit(file, text);
    const auto bad = run_smk({"transcript", "verify", file});
    CHECK(bad.exit_code == 5);
    CHECK(bad.err.find("broken at line 2") != std::string::npos);
    const auto bad_json = run_smk({"transcript", "verify", "--json", file});
    CHECK(bad_json.exit_code == 5);
    CHECK(bad_json.out.find("\"first_broken_line\": 2") != std::string::npos);
    CHECK(run_smk({"transcript", "print", file}).exit_code == 5);
    CHECK(run_smk({"transcript", "verify", dir / "missing.jsonl"}).exit_code == 6);
}

TEST_CASE("cli: transcript verify takes the paper's value and refuses an empty or cut transcript") {
    smk_test::TempDir dir;
    const std::string file = dir / "t.jsonl";
    {
        smk::transcript::Writer writer(file);
        for (int i = 0; i < 14; ++i) {
            writer.append({"issue", "step-" + std::to_string(i), {}, {}, {}});
        }
    }
    const auto whole = smk::transcript::verify_file(file);
    const auto ok = run_smk({"transcript", "verify", file, "--expect-last", whole.last_hash});
    CHECK(ok.exit_code == 0);
    // The text shows the value in both forms; the words, as read aloud, are accepted too.
    const auto words_at = ok.out.find("  PGP words: ");
    REQUIRE(words_at != std::string::npos);
    const std::string words =
        ok.out.substr(words_at + 13, ok.out.find('\n', words_at) - words_at - 13);
    CHECK(run_smk({"transcript", "verify", file, "--expect-last", words}).exit_code == 0);
    const auto json = run_smk({"transcript", "verify", "--json", file});
    CHECK(json.out.find("\"last_line_sha256_pgp_words\": \"" + words + "\"") != std::string::npos);

    std::string text = smk_test::slurp(file);
    std::size_t keep = 0;
    for (int i = 0; i < 2; ++i) {
        keep = text.find('\n', keep) + 1;
    }
    smk_test::spit(file, text.substr(0, keep));                     // the last 12 lines cut off
    CHECK(run_smk({"transcript", "verify", file}).exit_code == 0);  // the chain alone holds
    const auto cut = run_smk({"transcript", "verify", file, "--expect-last", whole.last_hash});
    CHECK(cut.exit_code == 5);
    CHECK(cut.err.find("the SHA-256 of its last line (line 2)") != std::string::npos);
    const auto typo = run_smk({"transcript", "verify", file, "--expect-last", "abc"});
    CHECK(typo.exit_code == 2);
    CHECK(typo.err.find("--expect-last: a SHA-256 is 64 hex digits") != std::string::npos);

    smk_test::spit(file, "");
    const auto empty_json = run_smk({"transcript", "verify", "--json", file});
    CHECK(empty_json.exit_code == 5);
    CHECK(empty_json.out.find("\"ok\": false") != std::string::npos);
    for (const char* sub : {"verify", "print"}) {
        const auto empty = run_smk({"transcript", sub, file});
        CHECK(empty.exit_code == 5);
        CHECK(empty.err.find("is empty") != std::string::npos);
    }
}

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

TEST_CASE("cli: transcript note and exception name people and the CA decides") {
    smk_test::TempDir dir;
    const std::string file = dir / "t.jsonl";
    const std::string plan = dir / "plan.toml";
    smk_test::spit(plan, smk_test::example_plan_text() +
                             "\n[[participants]]\nname = \"Carol\"\nrole = "
                             "\"ceremony-administrator\"\n\n[[participants]]\nname = "
                             "\"Ivan\"\nrole = \"internal-witness\"\n");
    // A mistyped transcript name never starts a new chain.
    const auto nowhere = run_smk({"transcript", "note", file, "--by", "Ivan", "a note"});
    CHECK(nowhere.exit_code == 6);
    CHECK(nowhere.err.find("transcript " + file + " does not exist") != std::string::npos);
    CHECK_FALSE(fs::exists(file));
    {
        smk::transcript::Writer writer(file);
        writer.append({"issue", "start", {}, {}, {}});
    }
    const auto note = run_smk({"transcript", "note", file, "--by", "Ivan", "--plan", plan,
                               "Safe #2 opened; bag TEB-100003 intact"});
    INFO("stderr: " << note.err);
    REQUIRE(note.exit_code == 0);
    const auto v = smk::transcript::verify_file(file);
    CHECK(note.out.find("ends at line 2") != std::string::npos);
    CHECK(note.out.find("  " + v.last_hash + "\n") != std::string::npos);  // for the paper
    auto lines = smk::transcript::read_file(file);
    REQUIRE(lines.size() == 2);
    lines.erase(lines.begin());
    CHECK(lines[0].flow == "note");
    // The first line names the tool: version, commit, and the binary's SHA-256 as
    // coreutils computes it.
    const auto sum = smk_test::run_shell("sha256sum '" + std::string(SMK_BINARY) + "'");
    REQUIRE(sum.shell_status() == 0);
    bool binary_named = false;
    for (const auto& [key, value] : lines[0].digests) {
        binary_named = binary_named || (key == "smk_binary" && value == sum.out.substr(0, 64));
    }
    CHECK(binary_named);
    bool version_named = false;
    for (const auto& [key, value] : lines[0].results) {
        version_named = version_named || (key == "smk_version" && !value.empty());
    }
    CHECK(version_named);

    const auto exception = run_smk(
        {"transcript", "exception", file, "--by", "Ivan", "--what", "holder 4 absent (illness)",
         "--decision", "go on with holders 1-3 and 5-7", "--ca", "Carol", "--plan", plan});
    INFO("stderr: " << exception.err);
    CHECK(exception.exit_code == 0);
    CHECK(smk::transcript::read_file(file).back().step == "exception");
    // Refusals leave the transcript as it was.
    const std::string before = smk_test::slurp(file);
    const auto not_ca = run_smk({"transcript", "exception", file, "--by", "Carol", "--what", "x",
                                 "--decision", "y", "--ca", "Ivan", "--plan", plan});
    CHECK(not_ca.exit_code == 3);
    CHECK(not_ca.err.find("\"Ivan\" is not a ceremony-administrator") != std::string::npos);
    const auto stranger =
        run_smk({"transcript", "note", file, "--by", "Mallory", "--plan", plan, "hello"});
    CHECK(stranger.exit_code == 3);
    CHECK(stranger.err.find("\"Mallory\" is not a participant") != std::string::npos);
    const auto empty = run_smk({"transcript", "exception", file, "--by", "Ivan", "--what", "",
                                "--decision", "y", "--ca", "Carol"});
    CHECK(empty.exit_code == 2);
    CHECK(empty.err.find("--what is empty") != std::string::npos);
    const auto missing = run_smk(
        {"transcript", "exception", file, "--by", "Ivan", "--what", "x", "--decision", "y"});
    CHECK(missing.exit_code == 2);  // --ca is required
    CHECK(smk_test::slurp(file) == before);
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
        CHECK(r.err.find("a card of another split") != std::string::npos);
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
        CHECK(r.err.find("holder 1 (Holder 1) already gave a card") != std::string::npos);
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
    CHECK(old.err.find("a card of another split") != std::string::npos);
    const auto restore =
        run_smk({"ceremony", "restore", renewed, "--batch", "--facility", "AUCKLAND"});
    INFO("restore stderr: " << restore.err);
    CHECK(restore.exit_code == 0);
    CHECK(restore.out.find("KCV AUCKLAND hsm-two: " + kcv) != std::string::npos);
}
