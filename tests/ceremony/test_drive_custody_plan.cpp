// [[drives]] facility, bag and recipient (docs/CEREMONY.md, "Drives and their
// custody"): the example plan's custody parses, a plan without it stays valid, and
// every custody rule rejects a plan with an error naming the field and the rule.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "ceremony/ceremony_test_util.hpp"
#include "ceremony/plan_test_util.hpp"
#include "smk/ceremony/flows.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/error.hpp"

namespace {

namespace cer = smk::ceremony;
namespace fs = std::filesystem;
using smk_test::replaced;

// `text` without its first line `line`.
std::string without_line(const std::string& text, const std::string& line) {
    return replaced(text, line + "\n", "");
}

}  // namespace

TEST_CASE("drive custody: the example plan's facility and bag and recipient per drive") {
    const auto plan = cer::parse_plan(smk_test::example_plan_text(), smk_test::kPlanFile);
    REQUIRE(plan.drives.size() == 4);
    CHECK(plan.drives[0].facility == "WELLINGTON");  // the Master counts at its facility
    CHECK(plan.drives[0].bag == "TEB-D00001");
    CHECK(plan.drives[0].recipient == "Mere Tipene");
    CHECK(plan.drives[2].name == "ALBANY");
    CHECK(plan.drives[2].facility == "AUCKLAND");
    CHECK(plan.drives[3].bag == "TEB-D00004");
    CHECK(plan.drives[3].recipient == "Ben Li");
}

TEST_CASE("drive custody: a plan without custody fields stays valid") {
    std::string text = smk_test::example_plan_text();
    const auto drives = text.find("[[drives]]");
    for (const std::string key : {"facility", "bag", "recipient"}) {
        while (text.find("\n" + key + " = ", drives) != std::string::npos) {
            const auto at = text.find("\n" + key + " = ", drives);
            text.erase(at + 1, text.find('\n', at + 1) - at);
        }
    }
    const auto plan = cer::parse_plan(text, smk_test::kPlanFile);
    CHECK(plan.drives.size() == 4);
    CHECK(plan.drives[1].facility.empty());
    CHECK(plan.drives[1].bag.empty());
    CHECK(plan.drives[1].recipient.empty());
}

TEST_CASE("drive custody: bags and recipients alone need no facility") {
    std::string text = smk_test::example_plan_text();
    const auto drives = text.find("[[drives]]");
    while (text.find("\nfacility = \"", drives) != std::string::npos) {
        const auto at = text.find("\nfacility = \"", drives);
        text.erase(at + 1, text.find('\n', at + 1) - at);
    }
    const auto plan = cer::parse_plan(text, smk_test::kPlanFile);
    CHECK(plan.drives[2].bag == "TEB-D00003");
    CHECK(plan.drives[2].facility.empty());
}

TEST_CASE("drive custody: a facility that is not one of the plan's facilities") {
    smk_test::check_plan_rejected(
        replaced(smk_test::example_plan_text(), "facility = \"AUCKLAND\"", "facility = \"ALBANY\""),
        "drives[2].facility",
        "\"ALBANY\" is not one of the plan's facilities (WELLINGTON, AUCKLAND)");
}

TEST_CASE("drive custody: a facility with one drive") {
    // ALBANY moved to WELLINGTON: AUCKLAND keeps one drive, WELLINGTON three; the
    // first facility in plan order is reported.
    const std::string text = replaced(smk_test::example_plan_text(), "facility = \"AUCKLAND\"",
                                      "facility = \"WELLINGTON\"");
    smk_test::check_plan_rejected(
        text, "drives",
        "facility WELLINGTON has 3 drives (MASTER, WELLINGTON, ALBANY); the plan "
        "needs two per facility");
    // Without the fourth drive: AUCKLAND alone is short.
    std::string three = smk_test::without_application_backup(smk_test::example_plan_text());
    three.erase(three.find("[[drives]]\nname = \"AUCKLAND\""));
    smk_test::check_plan_rejected(
        three, "drives", "facility AUCKLAND has 1 drive (ALBANY); the plan needs two per facility");
}

TEST_CASE("drive custody: a facility with three drives") {
    std::string text = smk_test::example_plan_text();
    text +=
        "\n[[drives]]\nname = \"SPARE\"\nusb_serial = \"4C530001110000000004\"\n"
        "mount = \"/media/smk/SPARE\"\nfacility = \"AUCKLAND\"\n";
    smk_test::check_plan_rejected(
        text, "drives",
        "facility AUCKLAND has 3 drives (ALBANY, AUCKLAND, SPARE); the plan needs two "
        "per facility (the Master counts among its facility's two)");
}

TEST_CASE("drive custody: a facility with no drive at all") {
    const std::string text =
        replaced(smk_test::example_plan_text(), "[[holders]]",
                 "[[facilities]]\nname = \"NELSON\"\nmodule = \"/usr/lib/softhsm/libsofthsm2.so\"\n"
                 "tokens = [ { label = \"hsm-nelson\" } ]\n\n[[holders]]");
    smk_test::check_plan_rejected(text, "drives",
                                  "facility NELSON has 0 drives; the plan needs two per facility");
}

TEST_CASE("drive custody: one drive without a facility when others name theirs") {
    smk_test::check_plan_rejected(
        without_line(smk_test::example_plan_text(), "facility = \"AUCKLAND\""),
        "drives[2].facility",
        "missing for drive ALBANY: drive MASTER names its facility, so every drive "
        "must (two per facility)");
    // The Master without one: its own path is named.
    smk_test::check_plan_rejected(
        replaced(smk_test::example_plan_text(), "facility = \"WELLINGTON\"\nbag = \"TEB-D00001\"",
                 "bag = \"TEB-D00001\""),
        "drives[0].facility", "missing for drive MASTER: drive WELLINGTON names");
}

TEST_CASE("drive custody: empty custody values are refused") {
    const std::string text = smk_test::example_plan_text();
    smk_test::check_plan_rejected(replaced(text, "bag = \"TEB-D00002\"", "bag = \"\""),
                                  "drives[1].bag", "must not be empty");
    smk_test::check_plan_rejected(replaced(text, "recipient = \"Ben Li\"", "recipient = \"\""),
                                  "drives[3].recipient", "must not be empty");
    smk_test::check_plan_rejected(replaced(text, "facility = \"AUCKLAND\"", "facility = \"\""),
                                  "drives[2].facility", "must not be empty");
    smk_test::check_plan_rejected(replaced(text, "bag = \"TEB-D00002\"", "bag = 2000002"),
                                  "drives[1].bag", "must be a string");
}

TEST_CASE("drive custody: a bag holds one drive and no card") {
    const std::string text = smk_test::example_plan_text();
    // Compared as the operator's reading is compared: case does not matter.
    smk_test::check_plan_rejected(replaced(text, "bag = \"TEB-D00003\"", "bag = \"teb-d00002\""),
                                  "drives[2].bag",
                                  "is also drives[1] (WELLINGTON)'s; each drive travels");
    smk_test::check_plan_rejected(
        replaced(text, "bag = \"TEB-D00003\"", "bag = \"TEB-D00001\""), "drives[2].bag",
        "bag \"TEB-D00001\" is also drives[0] (MASTER)'s; each drive travels in its "
        "own bag");
    smk_test::check_plan_rejected(
        replaced(text, "bag = \"TEB-D00004\"", "bag = \"TEB-100003\""), "drives[3].bag",
        "bag \"TEB-100003\" is holder 3's card bag; a drive travels in a bag of its "
        "own");
}

TEST_CASE("drive custody: --one-at-a-time needs a bag planned for every drive") {
    const smk_test::TempDir dir;
    const fs::path plan = dir.path() / "plan.toml";
    smk_test::spit(plan, without_line(smk_test::example_plan_text(), "bag = \"TEB-D00003\""));
    cer::BackupCopiesOptions options;
    options.plan = plan;
    options.one_at_a_time = true;
    options.dry_run = true;
    smk_test::CapturedOutput output;
    try {
        cer::backup_copies(options, output);
        FAIL("--one-at-a-time went on without ALBANY's bag");
    } catch (const smk::Error& e) {
        CHECK(e.category() == smk::ErrorCategory::invalid_input);
        CHECK(std::string(e.what()).find("drives[2].bag: missing for drive ALBANY") !=
              std::string::npos);
    }
    CHECK(output.said.empty());
    CHECK_FALSE(fs::exists(dir.path() / "smk-ceremony.transcript.jsonl"));
}

TEST_CASE("drive custody: --one-at-a-time without an operator or with --no-eject is refused") {
    const smk_test::TempDir dir;
    const fs::path plan = dir.path() / "plan.toml";
    smk_test::spit(plan, smk_test::example_plan_text());
    cer::BackupCopiesOptions options;
    options.plan = plan;
    options.one_at_a_time = true;
    smk_test::CapturedOutput output;
    CHECK_THROWS_WITH_AS(cer::backup_copies(options, output),
                         doctest::Contains("needs an operator to plug in each drive"), smk::Error);
    options.plug_in = [](std::string_view) {};
    options.read_bag = [](std::string_view) { return std::string(); };
    options.no_eject = true;
    CHECK_THROWS_WITH_AS(cer::backup_copies(options, output),
                         doctest::Contains("cannot be combined with --no-eject"), smk::Error);
    CHECK_FALSE(fs::exists(dir.path() / "smk-ceremony.transcript.jsonl"));
    // The command line refuses the pair before the flow starts.
    const auto r = smk_test::run_smk(
        {"ceremony", "backup-copies", plan.string(), "--one-at-a-time", "--no-eject"});
    CHECK(r.exit_code == 2);
    CHECK(smk_test::contains(r.err, "--no-eject excludes --one-at-a-time"));
}
