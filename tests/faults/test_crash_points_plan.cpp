// Crash at every step (issue 16) for a ceremony flow's writes: `smk ceremony
// holder` writes an issued plan (ceremony::write_issued_plan, the function
// `ceremony issue` writes its plan with) and appends five lines to the plan's
// transcript, with no card or token involved. Every write, fsync, rename, unlink
// and close it makes gets a fault (crash_points.hpp). After each: the plan it
// started from untouched, the new plan absent or complete, the transcript's
// earlier lines unchanged and the file intact or torn only in its last line
// (which `smk transcript verify` names), and a rerun completes.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "cli/run.hpp"
#include "crash_points.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/ceremony/transcript.hpp"
#include "smk/error.hpp"

namespace {

namespace fs = std::filesystem;
using crash::Refusal;
using smk_test::contains;
using smk_test::read_file_if_exists;
using smk_test::run_smk;

// The event plan is complete: it loads, with the one event.
std::string complete_plan(const fs::path& file) {
    try {
        const auto plan = smk::ceremony::load_plan(file);
        return plan.holder_events.size() == 1 ? "" : file.string() + " has no event";
    } catch (const smk::Error& e) {
        return "a partial " + file.string() + ": " + e.what();
    }
}

}  // namespace

TEST_CASE("crash at every step - ceremony holder writes an issued plan and transcript lines") {
    smk_test::TempDir t("crash-plan");
    const fs::path plan = t.path() / "plan-id4242.toml";
    const fs::path event_plan = t.path() / "plan-id4242-event1.toml";
    const fs::path transcript = t.path() / "smk-ceremony.transcript.jsonl";
    smk_test::write_file(
        plan, read_file_if_exists(fs::path(SMK_SOURCE_DIR) / "docs/examples/ceremony-plan.toml") +
                  "\n[[participants]]\nname = \"CA One\"\nrole = \"ceremony-administrator\"\n\n" +
                  std::string(smk::ceremony::kIssuedMarker) +
                  "\n[issued]\nidentifier = 4242\nkcv = \"abcdef\"\n");
    const std::string plan_text = read_file_if_exists(plan);
    const fs::path original = t.path() / "original.jsonl";
    {
        smk::transcript::Writer writer(original);  // an earlier flow's lines
        writer.append({"issue", "start", {{"plan", "plan.toml"}}, {}, {}});
        writer.append({"issue", "done", {}, {{"result", "ok"}}, {}});
    }
    const std::string before = read_file_if_exists(original);
    crash::Scenario s;
    s.name = "ceremony holder (issued plan and 5 transcript lines)";
    s.args = {"ceremony", "holder", plan.string(),           "--holder", "3", "--unavailable",
              "--ca",     "CA One", "--confirm-participants"};
    s.reset = [&] {
        fs::remove(event_plan);
        fs::remove(transcript);
        fs::copy_file(original, transcript);
    };
    s.after_fault = [&]() -> std::string {
        if (read_file_if_exists(plan) != plan_text) {
            return "the plan it started from was changed";
        }
        if (fs::exists(event_plan)) {
            if (auto bad = complete_plan(event_plan); !bad.empty()) {
                return bad;
            }
        }
        return crash::intact_or_torn_last(transcript, before);
    };
    s.completed = [&]() -> std::string {
        if (auto bad = complete_plan(event_plan); !bad.empty()) {
            return bad;
        }
        const auto v = run_smk({"transcript", "verify", transcript.string()});
        return v.exit_code == 0 ? "" : "transcript verify: " + crash::describe(v);
    };
    // After the plan's rename (killed, or a transcript line after it failed): the
    // plan with the event is there, complete, and a rerun refuses to overwrite it
    // (exit 7). The transcript then lacks the flow's last lines.
    s.on_refusal = [&](const smk_test::ProcessResult&) {
        return fs::exists(event_plan) ? Refusal::output_complete : Refusal::fails;
    };
    crash::exercise(s, t.path());
}
