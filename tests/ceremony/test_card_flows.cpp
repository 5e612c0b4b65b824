// The card flows of smk_ceremony (issue, restore, reissue in smk/ceremony/flows.hpp)
// run in process against the rig's private pcscd, 14 emulated cards and two
// SoftHSM2 tokens: what they tell the operator arrives through an Output, the
// PINs through the options' readers, and nothing goes to stdout.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "ceremony/ceremony_rig.hpp"
#include "ceremony/ceremony_test_util.hpp"
#include "smk/ceremony/flows.hpp"
#include "smk/ceremony/journal.hpp"
#include "smk/ceremony/transcript.hpp"
#include "smk/error.hpp"
#include "smk/secret_input.hpp"

namespace {

namespace cer = smk::ceremony;
namespace fs = std::filesystem;

using smk_test::CapturedOutput;

// The first result line that contains `part`, or "".
std::string line_with(const std::vector<std::string>& lines, const std::string& part) {
    for (const auto& line : lines) {
        if (line.find(part) != std::string::npos) {
            return line;
        }
    }
    return {};
}

// Batch options for the rig's plan; a PIN prompt fails the test.
cer::CeremonyOptions batch_options(const std::string& plan, int& prompts) {
    cer::CeremonyOptions options;
    options.plan = plan;
    options.card_mode = cer::CardMode::batch;
    options.ask_pin = [&prompts](std::string_view holder) -> smk::Secret {
        ++prompts;
        throw smk::Error(smk::ErrorCategory::usage,
                         "no prompt in this test: " + std::string(holder));
    };
    return options;
}

}  // namespace

TEST_CASE("flows: issue then restore in process, the receipt through the Output, one KCV") {
    smk_test::CeremonyRig rig;
    int prompts = 0;

    CapturedOutput dry;
    cer::CeremonyOptions dry_options = batch_options(rig.plan(), prompts);
    dry_options.dry_run = true;
    cer::issue(dry_options, dry);
    CHECK_FALSE(line_with(dry.results, "dry run: plan OK").empty());
    CHECK_FALSE(fs::exists(rig.transcript()));

    // Each card's PINs from its holder's pin_file; no prompt.
    cer::CeremonyOptions options = batch_options(rig.plan(), prompts);
    const std::string issued = rig.path("issued.toml");
    options.plan_out = issued;
    CapturedOutput issue;
    cer::issue(options, issue);
    CHECK(issue.said.find("all 14 planned cards are present") != std::string::npos);
    CHECK_FALSE(line_with(issue.results, "fingerprint in PGP words: ").empty());
    const std::string kcv_line = line_with(issue.results, "KCV WELLINGTON hsm-one: ");
    REQUIRE_FALSE(kcv_line.empty());
    const std::string kcv = kcv_line.substr(kcv_line.size() - 6);
    CHECK(rig.token_kcv("hsm-one").out.find(kcv) != std::string::npos);
    REQUIRE(fs::exists(issued));
    CHECK(smk_test::slurp(issued).find("kcv = \"" + kcv + "\"") != std::string::npos);

    // Restore at the other facility: the holders' PINs, which issuance set.
    cer::CeremonyOptions restore_options = batch_options(issued, prompts);
    restore_options.facility = "AUCKLAND";
    restore_options.transcript = rig.transcript();
    CapturedOutput restore;
    cer::restore(restore_options, restore);
    REQUIRE_FALSE(restore.results.empty());
    CHECK(restore.results.front().rfind("SMK restored at AUCKLAND from set ", 0) == 0);
    CHECK(rig.token_kcv("hsm-two").out.find(kcv) != std::string::npos);
    CHECK(prompts == 0);

    const auto chain = smk::transcript::verify_file(rig.transcript());
    CHECK(chain.ok());
    std::vector<std::string> flows_done;
    for (const auto& line : smk::transcript::read_file(rig.transcript())) {
        if (line.step == "done") {
            flows_done.push_back(line.flow);
        }
    }
    CHECK(flows_done == std::vector<std::string>{"issue", "restore"});
}

TEST_CASE("flows: a card flow without any PIN source stops at the first token, nothing written") {
    smk_test::CeremonyRig rig;
    // The plan without its PIN files: only ask_pin is left, and it refuses.
    std::string text = rig.plan_text();
    for (int h = 1; h <= 7; ++h) {
        text = smk_test::replaced(text, "pin_file = \"" + rig.holder_pin(h) + "\"\n", "");
    }
    while (text.find(", pin_file = \"" + rig.token_pin() + "\"") != std::string::npos) {
        text = smk_test::replaced(text, ", pin_file = \"" + rig.token_pin() + "\"", "");
    }
    const std::string plan = rig.path("no-pins.toml");
    smk_test::spit(plan, text);
    int prompts = 0;
    CapturedOutput output;
    try {
        cer::issue(batch_options(plan, prompts), output);
        FAIL("issue went on without a PIN");
    } catch (const smk::Error& error) {
        CHECK(error.category() == smk::ErrorCategory::usage);
        CHECK(std::string(error.what()).find("hsm-one") != std::string::npos);
    }
    CHECK(prompts == 1);
    CHECK(rig.token_kcv("hsm-one").exit_code != 0);  // no SMK in the token
}
