// The card session of smk_ceremony (smk/ceremony/card_session.hpp) in batch mode, in process,
// against a private stack: the expected serial of a plan, the next unused card, and the refusals
// the ceremony flows rely on (a card used twice, a card that is not there).

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cli/run.hpp"
#include "smk/ceremony/card_session.hpp"
#include "smk/error.hpp"
#include "smk/secret_input.hpp"
#include "support/pcsc_stack.hpp"

namespace {

using smk_test::contains;
using smk_test::PcscStack;

smk::ceremony::CardSession batch_session(const PcscStack& stack, std::vector<std::string>& said) {
    const std::string pin = stack.dir() / "pin";
    smk_test::write_file(pin, "123456\n");
    smk::ceremony::CardSessionOptions options;
    options.read_pin = [pin](smk::card::ShareStore&) { return smk::read_pin_file(pin); };
    options.mode = smk::ceremony::CardMode::batch;
    options.say = [&said](std::string_view text) { said.emplace_back(text); };
    return smk::ceremony::CardSession(options);
}

std::string error_of(smk::ceremony::CardSession& session, const smk::ceremony::CardRequest& request,
                     smk::ErrorCategory expected) {
    try {
        auto card = session.acquire(request);
        FAIL("acquire gave " << card.store.label() << " for " << request.describe());
    } catch (const smk::Error& error) {
        CHECK(error.category() == expected);
        return error.what();
    }
    return {};
}

}  // namespace

TEST_CASE("card session e2e: expected serials, the next unused card, and no card used twice") {
    PcscStack stack(3);
    std::vector<std::string> said;
    auto session = batch_session(stack, said);
    CHECK_FALSE(session.interactive());

    smk::ceremony::CardRequest holder3;
    holder3.holder = "holder 3";
    holder3.set = "A";
    holder3.index = 3;
    holder3.bag = "B-0413";
    holder3.expected_serial = stack.serial(1);
    CHECK(holder3.describe() == "holder 3, set A, share 3 (bag B-0413)");
    {
        auto card = session.acquire(holder3);
        CHECK(card.store.serial() == stack.serial(1));
        CHECK(card.reader == stack.reader(1));
        CHECK(card.store.tries().user == 3);  // PIN verified once, no try lost
        session.release(std::move(card));
    }
    CHECK(session.used().at(stack.serial(1)) == "holder 3, set A, share 3 (bag B-0413)");

    // The same card again, for another share: refused naming both uses.
    smk::ceremony::CardRequest holder4 = holder3;
    holder4.holder = "holder 4";
    holder4.index = 4;
    holder4.bag.clear();
    const std::string twice = error_of(session, holder4, smk::ErrorCategory::refused);
    CHECK(contains(twice, "card " + stack.serial(1) + " is expected for holder 4, set A, share 4"));
    CHECK(contains(twice, "already used in this session for holder 3, set A, share 3"));

    // A card the plan names that is not in any reader.
    holder4.expected_serial = "FFFF:DEADBEEF";
    const std::string absent = error_of(session, holder4, smk::ErrorCategory::device);
    CHECK(contains(absent, "card FFFF:DEADBEEF for holder 4, set A, share 4 is not in any reader"));
    CHECK(contains(absent, "card " + stack.serial(0)));
    CHECK(contains(absent, "card " + stack.serial(2)));

    // Without an expected serial: the next unused cards in reader order, then none.
    const smk::ceremony::CardRequest next;
    CHECK(next.describe() == "the next card");
    {
        auto card = session.acquire(next);
        CHECK(card.store.serial() == stack.serial(0));
        session.release(std::move(card));
    }
    {
        auto card = session.acquire(next);
        CHECK(card.store.serial() == stack.serial(2));
        session.release(std::move(card));
    }
    const std::string none = error_of(session, next, smk::ErrorCategory::refused);
    CHECK(contains(none, "card " + stack.serial(1) + " already has holder 3, set A, share 3"));
    CHECK(contains(none, "one card never holds two shares"));
    CHECK(session.used().size() == 3);
    CHECK(said.empty());  // batch mode prompts for nothing
}

TEST_CASE("card session e2e: a wrong PIN is not recorded as a use of the card") {
    PcscStack stack(1);
    std::vector<std::string> said;
    smk::ceremony::CardSessionOptions options;
    const std::string bad = stack.dir() / "bad";
    smk_test::write_file(bad, "654321\n");
    options.read_pin = [bad](smk::card::ShareStore&) { return smk::read_pin_file(bad); };
    options.mode = smk::ceremony::CardMode::batch;
    smk::ceremony::CardSession session(options);
    smk::ceremony::CardRequest request;
    request.expected_serial = stack.serial(0);
    const std::string wrong = error_of(session, request, smk::ErrorCategory::verification);
    CHECK(contains(wrong, "wrong user PIN"));
    CHECK(session.used().empty());
}
