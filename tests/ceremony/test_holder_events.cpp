// smk ceremony holder (ceremony::holder_event) in process on an issued plan: a
// replacement with the bag handed over, a lost bag, an unavailable holder, each
// recorded in the transcript and a new plan; every refusal writes no plan. No
// device is involved; the refusal of a lost holder's card at restore is in
// test_reissue_inventory_cli.cpp (reissue).

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "ceremony/ceremony_test_util.hpp"
#include "cli/run.hpp"
#include "smk/ceremony/flows.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/ceremony/transcript.hpp"
#include "smk/error.hpp"

namespace {

namespace cer = smk::ceremony;
namespace fs = std::filesystem;
using smk_test::CapturedOutput;

// The example plan with a Ceremony Administrator, issued (identifier 4242, KCV
// abcdef), written as plan-id4242.toml.
fs::path issued_plan(const smk_test::TempDir& dir) {
    const fs::path file = dir.path() / "plan-id4242.toml";
    smk_test::spit(file, smk_test::example_plan_text() +
                             "\n[[participants]]\nname = \"CA One\"\nrole = "
                             "\"ceremony-administrator\"\n\n" +
                             std::string(cer::kIssuedMarker) +
                             "\n[issued]\nidentifier = 4242\nkcv = \"abcdef\"\n");
    return file;
}

cer::HolderEventOptions event(const fs::path& plan, unsigned holder, const std::string& kind) {
    cer::HolderEventOptions options;
    options.plan = plan;
    options.holder = holder;
    options.kind = kind;
    options.ca = "CA One";
    options.confirm_participants = [](std::string_view) { return std::string("test"); };
    return options;
}

// The flow fails with `category` and a message containing `part`.
void check_refused(const cer::HolderEventOptions& options, smk::ErrorCategory category,
                   const std::string& part) {
    CapturedOutput out;
    try {
        cer::holder_event(options, out);
        FAIL("the event was recorded");
    } catch (const smk::Error& e) {
        INFO("message: " << e.what());
        CHECK(e.category() == category);
        CHECK(std::string(e.what()).find(part) != std::string::npos);
    }
}

}  // namespace

TEST_CASE("holder events: a replacement checks the bag, renames the holder in a new plan") {
    smk_test::TempDir dir;
    const fs::path plan = issued_plan(dir);
    const cer::Plan before = cer::load_plan(plan);
    const std::string transcript = cer::transcript_path(before, "").string();

    cer::HolderEventOptions replaced = event(plan, 3, "replaced");
    replaced.new_name = "Holder Eight";
    replaced.bag = "TEB-100004";  // holder 4's bag, not holder 3's
    check_refused(replaced, smk::ErrorCategory::verification,
                  "the bag handed over reads \"TEB-100004\", the plan says \"TEB-100003\"");
    CHECK(smk_test::steps(transcript, "holder", "holder-bag-mismatch") == 1);
    CHECK_FALSE(fs::exists(dir.path() / "plan-id4242-event1.toml"));

    replaced.bag = "TEB-100003";
    replaced.note = "holder 3 retires; bag intact";
    CapturedOutput out;
    cer::holder_event(replaced, out);
    const fs::path next = dir.path() / "plan-id4242-event1.toml";
    REQUIRE(fs::exists(next));
    const cer::Plan after = cer::load_plan(next);
    CHECK(after.holder(3).name == "Holder Eight");
    REQUIRE(after.holder_events.size() == 1);
    CHECK(after.holder_events[0].previous == "Holder Three");
    CHECK(after.holder_events[0].identifier == 4242);
    CHECK(after.transcript == before.transcript);  // the same chain goes on
    CHECK(smk_test::slurp(next).rfind(smk_test::slurp(plan).substr(0, 200), 0) == 0);
    CHECK(smk_test::steps(transcript, "holder", "holder-replaced") == 1);
    CHECK(smk::transcript::verify_file(transcript).ok());

    // The next event goes on from the new plan: event2, both events kept.
    cer::HolderEventOptions away = event(next, 5, "unavailable");
    away.note = "travel ban";
    cer::holder_event(away, out);
    const cer::Plan third = cer::load_plan(dir.path() / "plan-id4242-event2.toml");
    REQUIRE(third.holder_events.size() == 2);
    CHECK(third.holder(3).name == "Holder Eight");
    CHECK(third.holder_events[1].kind == "unavailable");
    CHECK(third.lost_cards(5) == nullptr);
    const auto check =
        smk_test::run_smk({"ceremony", "check", (dir.path() / "plan-id4242-event2.toml").string()});
    CHECK(check.exit_code == 0);
    CHECK(check.out.find("holder 3 event at") != std::string::npos);
    CHECK(check.out.find("replaced (Holder Three before, Holder Eight now)") != std::string::npos);
    CHECK(check.out.find("unavailable (travel ban)") != std::string::npos);
}

TEST_CASE("holder events: a lost bag marks the holder's cards of this share set only") {
    smk_test::TempDir dir;
    const fs::path plan = issued_plan(dir);
    CapturedOutput out;
    cer::holder_event(event(plan, 2, "lost"), out);
    const cer::Plan after = cer::load_plan(dir.path() / "plan-id4242-event1.toml");
    REQUIRE(after.lost_cards(2) != nullptr);
    CHECK(after.lost_cards(1) == nullptr);
    bool said_reissue = false;
    for (const auto& line : out.results) {
        said_reissue = said_reissue || line.find("--holder 2 --new-split") != std::string::npos;
    }
    CHECK(said_reissue);
    // Under a new share set (another identifier) the event is history, not a refusal.
    std::string text = smk_test::slurp(dir.path() / "plan-id4242-event1.toml");
    const auto at = text.find("identifier = 4242\nkcv");
    REQUIRE(at != std::string::npos);
    text.replace(at, 17, "identifier = 4243");
    CHECK(cer::parse_plan(text, dir.path() / "x.toml").lost_cards(2) == nullptr);
}

TEST_CASE("holder events: bad options are refused before anything is written") {
    smk_test::TempDir dir;
    const fs::path plan = issued_plan(dir);
    const std::string transcript = cer::transcript_path(cer::load_plan(plan), "").string();
    check_refused(event(plan, 3, "replaced"), smk::ErrorCategory::usage,
                  "needs the new holder's name (--replaced-by)");
    cer::HolderEventOptions lost = event(plan, 3, "lost");
    lost.bag = "TEB-100003";
    check_refused(lost, smk::ErrorCategory::usage, "belong to a replacement only");
    cer::HolderEventOptions stranger = event(plan, 3, "lost");
    stranger.ca = "Mallory";
    check_refused(stranger, smk::ErrorCategory::usage,
                  "\"Mallory\" is not a ceremony-administrator");
    check_refused(event(plan, 9, "lost"), smk::ErrorCategory::usage, "has holders 1 to 7");
    check_refused(event(plan, 3, "stolen"), smk::ErrorCategory::usage,
                  "must be replaced, lost or unavailable");
    // Not an issued plan.
    const fs::path bare = dir.path() / "bare.toml";
    smk_test::spit(bare, smk_test::example_plan_text());
    check_refused(event(bare, 3, "lost"), smk::ErrorCategory::usage, "no [issued] identifier");
    // The plan to write exists already.
    smk_test::spit(dir.path() / "plan-id4242-event1.toml", "taken\n");
    check_refused(event(plan, 3, "lost"), smk::ErrorCategory::refused, "plan-id4242-event1.toml");
    CHECK(smk_test::slurp(dir.path() / "plan-id4242-event1.toml") == "taken\n");
    CHECK_FALSE(fs::exists(transcript));
    // The CLI: exactly one event, exit 2 otherwise.
    CHECK(
        smk_test::run_smk({"ceremony", "holder", plan.string(), "--holder", "3", "--ca", "CA One"})
            .exit_code == 2);
    CHECK(smk_test::run_smk({"ceremony", "holder", plan.string(), "--holder", "3", "--ca", "CA One",
                             "--lost", "--unavailable"})
              .exit_code == 2);
}
