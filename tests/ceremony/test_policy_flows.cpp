// Plans of several shapes ([policy]: one set of 3-of-5; three sets, any two; nine
// holders of two overlapping sets) run issue then restore in process on the rig's
// private pcscd, emulated cards and SoftHSM2 tokens. Each restore has only a
// quorum the policy allows in the readers (every other card pulled out), so it
// must use exactly the sets the policy lets it use. (2 x 5-of-7, the KMP's, is
// test_card_flows.cpp and test_ceremony_cli.cpp.)

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "ceremony/ceremony_rig.hpp"
#include "ceremony/ceremony_test_util.hpp"
#include "smk/ceremony/flows.hpp"
#include "smk/ceremony/transcript.hpp"
#include "smk/error.hpp"
#include "smk/secret.hpp"

namespace {

namespace cer = smk::ceremony;
using smk_test::CapturedOutput;

struct PlannedCard {
    int rig_card = 0;  // the rig's card number, 0..13
    std::string set;
    int index = 0;
};

// The rig's plan with `policy` and `holders` (each a list of cards) in place of
// its own seven holders of 2 x 5-of-7.
std::string shaped_plan(smk_test::CeremonyRig& rig, const std::string& policy,
                        const std::vector<std::vector<PlannedCard>>& holders) {
    std::string text = rig.plan_text();
    text = text.substr(0, text.find("\n[[holders]]") + 1) + policy + "\n";
    for (std::size_t h = 0; h < holders.size(); ++h) {
        const std::string number = std::to_string(h + 1);
        // Each holder's own PIN file (the rig writes those of holders 1 to 7).
        const int n = static_cast<int>(h + 1);
        smk_test::spit(rig.holder_pin(n), smk_test::CeremonyRig::holder_pin_value(n) + "\n");
        text += "[[holders]]\nname = \"Holder " + number + "\"\npin_file = \"" + rig.holder_pin(n) +
                "\"\ncards = [ ";
        for (std::size_t c = 0; c < holders[h].size(); ++c) {
            const PlannedCard& card = holders[h][c];
            text += std::string(c == 0 ? "" : ",\n  ") + "{ set = \"" + card.set +
                    "\", index = " + std::to_string(card.index) + ", serial = \"" +
                    rig.cards().serial(card.rig_card) + "\", bag = \"BAG-" + number + "\" }";
        }
        text += " ]\n\n";
    }
    return text;
}

smk::Secret text_secret(std::string_view text) {
    smk::Secret secret(text.size());
    std::copy(text.begin(), text.end(), secret.data());
    return secret;
}

cer::CeremonyOptions batch(const std::string& plan, const std::string& transcript) {
    cer::CeremonyOptions options;
    options.plan = plan;
    options.transcript = transcript;
    options.card_mode = cer::CardMode::batch;
    options.ask_pin = [](std::string_view holder) -> smk::Secret {
        throw smk::Error(smk::ErrorCategory::usage, "no PIN prompt here: " + std::string(holder));
    };
    return options;
}

std::string kcv_of(const CapturedOutput& issue) {
    for (const auto& line : issue.results) {
        if (line.find("KCV WELLINGTON hsm-one: ") != std::string::npos) {
            return line.substr(line.size() - 6);
        }
    }
    FAIL("no KCV line in the receipt");
    return {};
}

// Issues `plan_text` at WELLINGTON (the issued plan goes to issued.toml); the KCV.
std::string issue_at_wellington(smk_test::CeremonyRig& rig, const std::string& plan_text,
                                const std::function<smk::Secret(bool)>& ask_passphrase) {
    smk_test::spit(rig.plan(), plan_text);
    cer::CeremonyOptions options = batch(rig.plan(), rig.transcript());
    options.ask_passphrase = ask_passphrase;
    options.plan_out = rig.path("issued.toml");
    CapturedOutput issue;
    cer::issue(options, issue);
    const std::string kcv = kcv_of(issue);
    CHECK(rig.token_kcv("hsm-one").out.find(kcv) != std::string::npos);
    return kcv;
}

// Every card not in `keep` out of its reader.
void keep_only(smk_test::CeremonyRig& rig, const std::set<int>& keep) {
    for (int i = 0; i < 14; ++i) {
        if (!keep.contains(i)) {
            rig.pull(i);
        }
    }
}

// Restores the issued plan at AUCKLAND from the cards in the readers; the first
// result line ("SMK restored at AUCKLAND from ...").
std::string restore_at_auckland(smk_test::CeremonyRig& rig, const std::string& kcv,
                                const std::function<smk::Secret(bool)>& ask_passphrase) {
    cer::CeremonyOptions restore = batch(rig.path("issued.toml"), rig.transcript());
    restore.ask_passphrase = ask_passphrase;
    restore.facility = "AUCKLAND";
    CapturedOutput restored;
    cer::restore(restore, restored);
    CHECK(rig.token_kcv("hsm-two").out.find(kcv) != std::string::npos);
    CHECK(smk::transcript::verify_file(rig.transcript()).ok());
    REQUIRE_FALSE(restored.results.empty());
    return restored.results.front();
}

}  // namespace

TEST_CASE("policy flows: one set of 3-of-5 with a 16-byte SMK and a typed passphrase") {
    smk_test::CeremonyRig rig;
    std::vector<std::vector<PlannedCard>> holders;
    for (int h = 0; h < 5; ++h) {
        holders.push_back({{h, "A", h + 1}});
    }
    const std::string plan = shaped_plan(
        rig,
        "[policy]\nsets = [ { threshold = 3, count = 5 } ]\nsmk_bytes = 16\npassphrase = "
        "\"prompt\"\n",
        holders);

    // Without a way to ask for the passphrase, issue stops before the SMK exists.
    smk_test::spit(rig.plan(), plan);
    {
        cer::CeremonyOptions options = batch(rig.plan(), rig.transcript());
        CapturedOutput out;
        try {
            cer::issue(options, out);
            FAIL("issue went on without a passphrase");
        } catch (const smk::Error& e) {
            CHECK(e.category() == smk::ErrorCategory::usage);
            CHECK(std::string(e.what()).find("policy.passphrase = \"prompt\"") !=
                  std::string::npos);
        }
        CHECK(smk_test::steps(rig.transcript(), "issue", "smk-generated") == 0);
    }

    std::vector<bool> confirms;
    const auto ask = [&confirms](bool confirm) {
        confirms.push_back(confirm);
        return text_secret("correct horse battery staple");
    };
    const std::string kcv = issue_at_wellington(rig, plan, ask);
    CHECK(confirms == std::vector<bool>{true});  // asked twice (confirmed) at issue
    keep_only(rig, {1, 3, 4});                   // holders 2, 4 and 5: any three of five
    const std::string first = restore_at_auckland(rig, kcv, ask);
    CHECK(first.find("SMK restored at AUCKLAND from set A") == 0);
    CHECK(confirms == std::vector<bool>{true, false});
    const std::string transcript = smk_test::slurp(rig.transcript());
    CHECK(transcript.find("\"passphrase\":\"prompt\"") != std::string::npos);
    CHECK(transcript.find("set A 3-of-5 recovers the SMK") != std::string::npos);
    CHECK(transcript.find("\"bytes\":\"16\"") != std::string::npos);
    CHECK(transcript.find("correct horse") == std::string::npos);
}

TEST_CASE("policy flows: three sets of which any two restore with a passphrase from a file") {
    smk_test::CeremonyRig rig;
    // Sets A and B 2-of-3, set C 3-of-4: ten holders with one card each.
    std::vector<std::vector<PlannedCard>> holders;
    for (int i = 0; i < 10; ++i) {
        const std::string set = i < 3 ? "A" : i < 6 ? "B" : "C";
        holders.push_back({{i, set, i < 6 ? i % 3 + 1 : i - 5}});
    }
    smk_test::spit(rig.path("passphrase"), "a long passphrase from the safe\n");
    const std::string plan = shaped_plan(
        rig,
        "[policy]\nsets = [ { threshold = 2, count = 3 }, { threshold = 2, count = 3 }, "
        "{ threshold = 3, count = 4 } ]\ngroup_threshold = 2\npassphrase = \"file\"\n"
        "passphrase_file = \"" +
            rig.path("passphrase") + "\"\n",
        holders);
    const std::string kcv = issue_at_wellington(rig, plan, {});
    // Set A is away; one card of set B and all of set C are here.
    keep_only(rig, {4, 6, 7, 8, 9});
    {
        // One whole set is not enough: set C alone, after B's one card, is refused as
        // insufficient and nothing is installed.
        rig.pull(4);
        cer::CeremonyOptions restore = batch(rig.path("issued.toml"), rig.transcript());
        restore.facility = "AUCKLAND";
        CapturedOutput out;
        try {
            cer::restore(restore, out);
            FAIL("restored from one set where the policy needs two");
        } catch (const smk::Error& e) {
            CHECK(e.category() == smk::ErrorCategory::insufficient);
            CHECK(std::string(e.what()).find("set C: 3 of 3") != std::string::npos);
            CHECK(std::string(e.what()).find("2 whole set(s)") != std::string::npos);
        }
        CHECK(rig.token_kcv("hsm-two").exit_code != 0);
        rig.insert(4);
        rig.insert(5);
    }
    {
        // A wrong passphrase gives another SMK: refused by its KCV, nothing installed.
        smk_test::spit(rig.path("passphrase"), "not the passphrase\n");
        cer::CeremonyOptions restore = batch(rig.path("issued.toml"), rig.transcript());
        restore.facility = "AUCKLAND";
        CapturedOutput out;
        try {
            cer::restore(restore, out);
            FAIL("restored with a wrong passphrase");
        } catch (const smk::Error& e) {
            CHECK(e.category() == smk::ErrorCategory::verification);
            CHECK(std::string(e.what()).find("or the passphrase is not the one used at issue") !=
                  std::string::npos);
        }
        CHECK(rig.token_kcv("hsm-two").exit_code != 0);
        smk_test::spit(rig.path("passphrase"), "a long passphrase from the safe\n");
    }
    const std::string first = restore_at_auckland(rig, kcv, {});
    CHECK(first.find("SMK restored at AUCKLAND from sets B and C") == 0);
    CHECK(smk_test::slurp(rig.transcript()).find("a long passphrase") == std::string::npos);
}

TEST_CASE("policy flows: nine holders of two overlapping sets restore from the smaller set") {
    smk_test::CeremonyRig rig;
    // Set A 5-of-7 on holders 1-7 (cards 0-6); set B 3-of-5 on holders 5-9 (cards 7-11):
    // holders 5, 6 and 7 hold a card of each set.
    std::vector<std::vector<PlannedCard>> holders(9);
    for (int h = 1; h <= 9; ++h) {
        if (h <= 7) {
            holders[static_cast<std::size_t>(h - 1)].push_back({h - 1, "A", h});
        }
        if (h >= 5) {
            holders[static_cast<std::size_t>(h - 1)].push_back({h + 2, "B", h - 4});
        }
    }
    const std::string kcv = issue_at_wellington(
        rig,
        shaped_plan(rig,
                    "[policy]\nsets = [ { threshold = 5, count = 7 }, { threshold = 3, count = 5 "
                    "} ]\n",
                    holders),
        {});
    const std::string issued = smk_test::slurp(rig.path("issued.toml"));
    CHECK(issued.find("holder = 9") != std::string::npos);  // a commitment per card
    // Set A away; holders 7, 8 and 9 bring their set B cards.
    keep_only(rig, {9, 10, 11});
    const std::string first = restore_at_auckland(rig, kcv, {});
    CHECK(first.find("SMK restored at AUCKLAND from set B") == 0);
}
