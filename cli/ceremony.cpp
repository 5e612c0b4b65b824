// smk ceremony: the plan-driven flows (issue, backup-copies, restore, reissue)
// and a plan check. They live in smk_ceremony (smk/ceremony/flows.hpp); this
// file only wires options to them and prints their words.

#include "ceremony.hpp"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <memory>

#include "io.hpp"
#include "pin.hpp"
#include "smk/ceremony/flows.hpp"

namespace smk::cli {
namespace {

// The options as given; the card flows get them as ceremony::CeremonyOptions.
struct CeremonyArgs {
    std::string plan;
    std::string transcript;
    std::string facility;
    bool dry_run = false;
    bool no_eject = false;
    PinOptions card_pin;
    std::string token_pin_file;
    bool batch = false;
    bool interactive = false;
    unsigned card_timeout_s = 600;
    std::string plan_out;
    unsigned holder = 0;
    std::string set;
    bool new_split = false;
    bool replace_keys = false;
};

ceremony::CeremonyOptions flow_options(const CeremonyArgs& o) {
    ceremony::CeremonyOptions flow;
    flow.plan = o.plan;
    flow.transcript = o.transcript;
    flow.facility = o.facility;
    flow.dry_run = o.dry_run;
    if (pin_given(o.card_pin)) {
        flow.card_pin = pin_reader(o.card_pin);
    }
    flow.card_last_try = o.card_pin.last_try;
    flow.token_pin_file = o.token_pin_file;
    flow.ask_pin = pin_reader(PinOptions{});
    flow.ask_so_pin = ask_so_pin_for_plan;
    flow.card_mode = o.batch         ? ceremony::CardMode::batch
                     : o.interactive ? ceremony::CardMode::interactive
                                     : ceremony::CardMode::automatic;
    flow.card_timeout_s = o.card_timeout_s;
    flow.plan_out = o.plan_out;
    flow.holder = o.holder;
    flow.set = o.set;
    flow.new_split = o.new_split;
    flow.replace_keys = o.replace_keys;
    return flow;
}

// The terminal: steps to stderr, result lines to stdout.
class TerminalOutput final : public ceremony::Output {
  public:
    void say(std::string_view text) override { print_err(text); }
    void result(std::string_view line) override {
        print_out(line);
        print_out("\n");
    }
};

ceremony::Output& terminal_output() {
    static TerminalOutput terminal;
    return terminal;
}

void add_common(CLI::App& cmd, CeremonyArgs& o) {
    cmd.add_option("PLAN", o.plan, "The ceremony plan (TOML, docs/CEREMONY.md)")->required();
    cmd.add_flag("--dry-run", o.dry_run,
                 "Check the plan and the hardware present; write nothing (no transcript either)");
    cmd.add_option("--transcript", o.transcript,
                   "Transcript to append to (default: the plan's transcript)");
}

void add_cards(CLI::App& cmd, CeremonyArgs& o) {
    add_pin_options(cmd, o.card_pin);
    auto* batch = cmd.add_flag("--batch", o.batch,
                               "Take the cards already in the readers; never prompt (default "
                               "when stdin is not a terminal)");
    auto* interactive =
        cmd.add_flag("--interactive", o.interactive,
                     "Prompt for every card and wait for it (default on a terminal)");
    batch->excludes(interactive);
    cmd.add_option("--card-timeout", o.card_timeout_s, "Seconds to wait for each card")
        ->capture_default_str();
}

void add_token_pin(CLI::App& cmd, CeremonyArgs& o) {
    cmd.add_option("--token-pin-file", o.token_pin_file,
                   "User PIN of the HSM tokens: first line of FILE (default: each token's "
                   "pin_file in the plan, else a prompt)");
}

void add_tokens(CLI::App& cmd, CeremonyArgs& o) {
    cmd.add_option("--facility", o.facility, "The plan's facility to work at (default: the first)");
    add_token_pin(cmd, o);
}

}  // namespace

void register_ceremony(CLI::App& app, Context& /*ctx*/) {
    auto* group = app.add_subcommand(
        "ceremony", "Plan-driven ceremonies: issue, backup-keys, backup-copies, restore, reissue");
    group->require_subcommand(1);

    auto check = std::make_shared<CeremonyArgs>();
    auto* check_cmd = group->add_subcommand("check", "Validate a plan and print what it plans");
    check_cmd->add_option("PLAN", check->plan, "The ceremony plan")->required();
    check_cmd->callback([check] { ceremony::check_plan(check->plan, terminal_output()); });

    auto copies = std::make_shared<CeremonyArgs>();
    auto* copies_cmd =
        group->add_subcommand("backup-copies",
                              "Master Backup Copy, then each Operative Backup Copy: serial check, "
                              "copy, verification from the device, eject");
    add_common(*copies_cmd, *copies);
    copies_cmd->add_flag("--no-eject", copies->no_eject, "Leave the drives mounted");
    copies_cmd->callback([copies] {
        ceremony::BackupCopiesOptions options;
        options.plan = copies->plan;
        options.transcript = copies->transcript;
        options.dry_run = copies->dry_run;
        options.no_eject = copies->no_eject;
        ceremony::backup_copies(options, terminal_output());
    });

    auto issue = std::make_shared<CeremonyArgs>();
    auto* issue_cmd = group->add_subcommand(
        "issue",
        "Generate the SMK, split 2x(5-of-7) onto the 14 planned cards, install it "
        "into the facility's HSM tokens, write the issued plan, print the receipt");
    add_common(*issue_cmd, *issue);
    add_cards(*issue_cmd, *issue);
    add_tokens(*issue_cmd, *issue);
    issue_cmd->add_option("--plan-out", issue->plan_out,
                          "Where to write the issued plan (default: PLAN-idNNNNN.toml beside it)");
    issue_cmd->callback([issue] { ceremony::issue(flow_options(*issue), terminal_output()); });

    auto keys = std::make_shared<CeremonyArgs>();
    auto* keys_cmd = group->add_subcommand(
        "backup-keys",
        "Phase 1: back up the plan's [application_keys] under the SMK into the backup tree, "
        "read it back from the device, print its SHA-256 for the paper script, export each "
        "key pair's public key");
    add_common(*keys_cmd, *keys);
    add_token_pin(*keys_cmd, *keys);
    keys_cmd->callback([keys] { ceremony::backup_keys(flow_options(*keys), terminal_output()); });

    auto restore = std::make_shared<CeremonyArgs>();
    auto* restore_cmd = group->add_subcommand(
        "restore",
        "Check the application-key backup (drive serial, SHA-256), then install the SMK "
        "into each of the facility's HSM tokens that lacks it (cards read until one set "
        "has 5 shares, KCV checked) and restore the backup into every token");
    add_common(*restore_cmd, *restore);
    add_cards(*restore_cmd, *restore);
    add_tokens(*restore_cmd, *restore);
    restore_cmd->add_option("--set", restore->set, "Use set A or B (default: the first card's)")
        ->check(CLI::IsMember({"A", "B"}));
    restore_cmd->add_flag("--replace-keys", restore->replace_keys,
                          "Replace application keys a token already holds under the same label "
                          "(else such a token is refused before anything is written)");
    restore_cmd->callback(
        [restore] { ceremony::restore(flow_options(*restore), terminal_output()); });

    auto reissue = std::make_shared<CeremonyArgs>();
    auto* reissue_cmd = group->add_subcommand(
        "reissue",
        "Rebuild the SMK from a quorum without holder N, then write holder N's share "
        "again onto the planned card, or (--new-split) a fresh share set onto all 14 "
        "cards with a new plan");
    add_common(*reissue_cmd, *reissue);
    add_cards(*reissue_cmd, *reissue);
    reissue_cmd
        ->add_option("--holder", reissue->holder, "The holder (1-7) whose card is lost or damaged")
        ->required();
    reissue_cmd
        ->add_option("--set", reissue->set,
                     "The set whose shares rebuild the SMK (default: the first card's)")
        ->check(CLI::IsMember({"A", "B"}));
    reissue_cmd->add_flag("--new-split", reissue->new_split,
                          "Issue a fresh share set to everyone (lost or compromised card)");
    reissue_cmd->add_option(
        "--plan-out", reissue->plan_out,
        "Where to write the updated plan (default: PLAN-idNNNNN.toml beside it)");
    reissue_cmd->callback(
        [reissue] { ceremony::reissue(flow_options(*reissue), terminal_output()); });
}

}  // namespace smk::cli
