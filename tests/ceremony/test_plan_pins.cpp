// [cards] pins, admin_pin_custodian and [[holders]] pin_file in the ceremony plan
// (docs/CEREMONY.md "Card PINs"): one PIN source per holder, never one for all,
// and each error naming the field path. Unit: no card, no daemon.

#include <doctest/doctest.h>

#include <string>

#include "ceremony/ceremony_test_util.hpp"
#include "ceremony/plan_test_util.hpp"
#include "smk/ceremony/plan.hpp"

namespace {

namespace cer = smk::ceremony;
using smk_test::replaced;

// The example plan with holder N's commented pin_file line made real.
std::string with_holder_pin(std::string text, int holder, const std::string& file) {
    const std::string commented =
        "# pin_file = \"/run/ceremony/holder-" + std::to_string(holder) + "-pin\"";
    const auto at = text.find(commented);
    REQUIRE(at != std::string::npos);
    const auto end = text.find('\n', at);
    return text.replace(at, end - at, "pin_file = \"" + file + "\"");
}

}  // namespace

TEST_CASE("plan pins: set at issuance by default, each holder's own file, the custodian named") {
    const auto plain = cer::parse_plan(smk_test::example_plan_text(), smk_test::kPlanFile);
    CHECK(plain.card_pins == cer::CardPins::set_at_issuance);
    CHECK(plain.holders[0].pin_file.empty());  // the holder types it
    std::string text = with_holder_pin(smk_test::example_plan_text(), 1, "holder-1.pin");
    text = with_holder_pin(text, 2, "/run/ceremony/holder-2.pin");
    text = replaced(text, "pins = \"set-at-issuance\"", "pins = \"prepared\"");
    text = replaced(text, "# admin_pin_custodian = ", "admin_pin_custodian = ");
    const auto plan = cer::parse_plan(text, smk_test::kPlanFile);
    CHECK(plan.card_pins == cer::CardPins::prepared);
    CHECK(plan.holders[0].pin_file == "/srv/ceremony/holder-1.pin");  // beside the plan
    CHECK(plan.holders[1].pin_file == "/run/ceremony/holder-2.pin");
    CHECK(plan.card_admin_pin_custodian == "Carol Admin");
    CHECK(cer::card_pins_name(plan.card_pins) == "prepared");
    const auto later =
        cer::parse_plan(replaced(smk_test::example_plan_text(), "pins = \"set-at-issuance\"",
                                 "pins = \"set-later\""),
                        smk_test::kPlanFile);
    CHECK(later.card_pins == cer::CardPins::set_later);
}

TEST_CASE("plan pins: one PIN for all is refused, and so is a PIN file two holders share") {
    smk_test::check_plan_rejected(replaced(smk_test::example_plan_text(), "[cards]\n",
                                           "[cards]\npin_file = \"/run/ceremony/card-pin\"\n"),
                                  "cards.pin_file", "one PIN for every card is not allowed");
    // The same file under two spellings is still one file.
    std::string text = with_holder_pin(smk_test::example_plan_text(), 2, "pins/holder.pin");
    text = with_holder_pin(text, 5, "/srv/ceremony/pins/../pins/holder.pin");
    smk_test::check_plan_rejected(text, "holders[4].pin_file", "is holder 2's PIN file too");
    smk_test::check_plan_rejected(
        replaced(smk_test::example_plan_text(), "pins = \"set-at-issuance\"", "pins = \"holder\""),
        "cards.pins", "must be \"set-at-issuance\", \"prepared\" or \"set-later\"");
    // With participants listed, the custodian is one of them.
    const std::string people = smk_test::example_plan_text() +
                               "\n[[participants]]\nname = \"Carol Admin\"\nrole = "
                               "\"ceremony-administrator\"\n";
    CHECK(cer::parse_plan(replaced(people, "# admin_pin_custodian = ", "admin_pin_custodian = "),
                          smk_test::kPlanFile)
              .card_admin_pin_custodian == "Carol Admin");
    smk_test::check_plan_rejected(replaced(people, "# admin_pin_custodian = \"Carol Admin\"",
                                           "admin_pin_custodian = \"Mallory\""),
                                  "cards.admin_pin_custodian",
                                  "is not one of the plan's [[participants]]");
}
