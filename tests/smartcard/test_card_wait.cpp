// card::wait_for_card against a private stack (cards pulled and inserted with
// pcsc-env.sh card-stop/card-start from another thread), and a DO 0103 that
// holds garbage, written raw with PUT DATA, as `smk card verify` reports it.

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "cli/fixtures.hpp"
#include "cli/run.hpp"
#include "openpgp.hpp"
#include "pcsc.hpp"
#include "smk/card.hpp"
#include "support/pcsc_stack.hpp"
#include "support/wait.hpp"

namespace {

using namespace std::chrono_literals;
using smk_test::contains;
using smk_test::PcscStack;
using smk_test::run_smk;
using smk_test::RunResult;

// Runs a pcsc-env.sh subcommand after `delay` on its own thread (no doctest
// assertions there), to change the readers while the test's call blocks in a
// wait; the exit status is checked after join(). The delay only makes the
// change likely to come during the wait: the checks hold either way.
class DelayedScript {
  public:
    DelayedScript(const PcscStack& stack, const std::string& what, int card,
                  std::chrono::milliseconds delay)
        : m_thread([this,
                    command = smk_test::Command(
                        {std::string(SMK_SOURCE_DIR) + "/scripts/pcsc-env.sh", what,
                         stack.dir().path().string(), std::to_string(card)}),
                    delay] {
              std::this_thread::sleep_for(delay);
              m_status = smk_test::run_process(command).shell_status();
          }) {}
    int join() {
        m_thread.join();
        return m_status;
    }

  private:
    int m_status = -1;
    std::thread m_thread;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("card wait e2e: wait_for_card sees removal and insertion, and times out with nullopt") {
    PcscStack stack(2);
    const std::string reader = stack.reader(0);

    // Present already: returns at once, for the reader and for "any reader".
    // (No upper bound on the time: the answer itself says it did not wait for an event.)
    CHECK(smk::card::wait_for_card(reader, smk::card::CardEvent::inserted, 5000ms) == reader);
    CHECK(smk::card::wait_for_card("", smk::card::CardEvent::inserted, 5000ms) == reader);

    // Not removed in time: nullopt after the timeout.
    auto start = std::chrono::steady_clock::now();
    CHECK_FALSE(smk::card::wait_for_card(reader, smk::card::CardEvent::removed, 700ms).has_value());
    CHECK(seconds_since(start) >= 0.65);

    // Pulled out while we wait.
    DelayedScript pull(stack, "card-stop", 0, 400ms);
    start = std::chrono::steady_clock::now();
    const auto removed = smk::card::wait_for_card(reader, smk::card::CardEvent::removed, 20000ms);
    CHECK(pull.join() == 0);
    CHECK(removed == reader);
    CHECK(seconds_since(start) >= 0.3);

    // Empty reader: insertion times out, then a card inserted while we wait.
    start = std::chrono::steady_clock::now();
    CHECK_FALSE(
        smk::card::wait_for_card(reader, smk::card::CardEvent::inserted, 700ms).has_value());
    CHECK(seconds_since(start) >= 0.65);
    stack.card_stop(1);  // now no reader holds a card, once pcscd has noticed
    CHECK(smk::card::wait_for_card(stack.reader(1), smk::card::CardEvent::removed, 10000ms) ==
          stack.reader(1));
    start = std::chrono::steady_clock::now();
    CHECK_FALSE(smk::card::wait_for_card("", smk::card::CardEvent::inserted, 700ms).has_value());
    CHECK(seconds_since(start) >= 0.65);
    DelayedScript insert(stack, "card-start", 1, 400ms);
    const auto inserted = smk::card::wait_for_card("", smk::card::CardEvent::inserted, 20000ms);
    CHECK(insert.join() == 0);
    CHECK(inserted == stack.reader(1));
}

TEST_CASE("card wait e2e: a card removed while smk combine --from-cards --interactive waits") {
    PcscStack stack(1);
    const std::string pin = stack.dir() / "pin";
    smk_test::write_file(pin, "123456\n");
    // Interactive mode on an empty DO: the card is named and skipped, then smk
    // asks for its removal and waits; with a short --card-timeout it gives up.
    const RunResult result = run_smk({"combine", "--from-cards", "--interactive", "--pin-file", pin,
                                      "--out", "-", "--card-timeout", "1"});
    CHECK(result.exit_code == 8);
    CHECK(contains(result.err, "Insert the next card in a reader"));
    CHECK(contains(result.err, "holds no share (DO 0103 is empty)"));
    CHECK(contains(result.err, "Remove the card from \"" + stack.reader(0) + "\""));
    CHECK(contains(result.err, "was not removed within 1 s"));
}

TEST_CASE("card verify e2e: garbage in DO 0103 written raw by PUT DATA is GARBAGE - exit 5") {
    PcscStack stack(1);
    const std::string pin = stack.dir() / "pin";
    smk_test::write_file(pin, "123456\n");
    const std::string junk = "not an smk share record, just some bytes";
    {
        const smk::card::PcscContext context;
        smk::card::CardConnection connection(context, stack.reader(0));
        smk::card::OpenPgpApp app(connection, connection.atr(), stack.reader(0));
        const std::string pin_text = "123456";
        app.verify_pw1(smk::Secret::copy_of({reinterpret_cast<const std::uint8_t*>(pin_text.data()),
                                             pin_text.size()}),
                       false);
        app.put_data(smk::card::kSharePrivateDo,
                     {reinterpret_cast<const std::uint8_t*>(junk.data()), junk.size()});
    }
    const RunResult verify =
        run_smk({"card", "verify", "--reader", stack.reader(0), "--pin-file", pin});
    CHECK(verify.exit_code == 5);
    INFO("verify stdout: " << verify.out);
    CHECK(contains(verify.out, ": GARBAGE (" + std::to_string(junk.size()) +
                                   " bytes that are not a valid share record)"));
    CHECK(contains(verify.err, "card " + stack.serial(0)));
    const RunResult json =
        run_smk({"card", "verify", "--reader", stack.reader(0), "--pin-file", pin, "--json"});
    CHECK(json.exit_code == 5);
    CHECK(contains(json.out, "\"state\": \"garbage\""));
    // Writing over it needs --overwrite.
    const RunResult read =
        run_smk({"card", "read", "--reader", stack.reader(0), "--pin-file", pin, "--out", "-"});
    CHECK(read.exit_code == 5);
    CHECK(read.out.empty());
}

TEST_CASE("card wait e2e: combine --from-cards --interactive refuses the same card twice") {
    PcscStack stack(1);
    const std::string pin = stack.dir() / "pin";
    smk_test::write_file(pin, "123456\n");
    const smk_test::SplitRun split({"--group", "2/3"});
    const RunResult wrote = run_smk({"card", "write", "--reader", stack.reader(0), "--pin-file",
                                     pin, split.share_file('A', 1)});
    REQUIRE(wrote.exit_code == 0);
    // smk reads the card and asks for its removal: the card is pulled. smk asks
    // for the next card: the same card goes back in. It is refused, and smk
    // waits for its removal until --card-timeout.
    smk_test::Child smk(
        smk_test::smk_command({"combine", "--from-cards", "--interactive", "--pin-file", pin,
                               "--out", "-", "--card-timeout", "6"}));
    const auto said = [&smk](const std::string& text, std::size_t times) {
        return smk_test::wait_for([&] {
            (void)smk.stderr_has(text);
            std::size_t seen = 0;
            for (auto at = smk.err_seen().find(text); at != std::string::npos;
                 at = smk.err_seen().find(text, at + 1)) {
                ++seen;
            }
            return seen >= times;
        });
    };
    REQUIRE_MESSAGE(said("Remove the card from", 1), "stderr: " << smk.err_seen());
    stack.card_stop(0);
    REQUIRE_MESSAGE(said("Insert the next card in a reader", 2), "stderr: " << smk.err_seen());
    stack.card_start(0);
    const smk_test::ProcessResult result = smk.wait();
    INFO("stderr: " << result.err);
    CHECK(result.shell_status() == 8);
    CHECK(result.out.empty());
    CHECK(contains(result.err, "read set A #1 from card " + stack.serial(0)));
    CHECK(contains(result.err, "(set A: 1 of 2)"));
    CHECK(contains(result.err, "skipped: card " + stack.serial(0)));
    CHECK(contains(result.err, "was already used in this session"));
    CHECK(contains(result.err, "one card never holds two shares"));
    CHECK(contains(result.err, "was not removed within 6 s"));
}
