// smk ceremony: the plan-driven flows (issue, backup-copies, restore, reissue)
// and a plan check. They live in smk_ceremony (smk/ceremony/flows.hpp); this
// file only wires options to them and prints their words.

#include "ceremony.hpp"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <memory>

#include "io.hpp"
#include "passphrase.hpp"
#include "pin.hpp"
#include "smk/ceremony/flows.hpp"
#include "tty.hpp"

namespace smk::cli {
namespace {

// The options as given; the card flows get them as ceremony::CeremonyOptions.
struct CeremonyArgs {
    std::string plan;
    std::string transcript;
    std::string facility;
    bool dry_run = false;
    bool no_eject = false;
    bool card_last_try = false;
    std::string token_pin_file;
    bool batch = false;
    bool interactive = false;
    unsigned card_timeout_s = 600;
    std::string plan_out;
    unsigned holder = 0;
    std::string set;
    bool new_split = false;
    bool replace_keys = false;
    bool confirm_participants = false;
    bool look_alike_override = false;
    std::vector<unsigned> remote_holders;
    std::string transport_context;
    std::string facility_key_out;
    std::string facility_key_png;
};

// --look-alike-override: the Ceremony Administrator types, on the terminal, the serial
// they read on the drive itself.
ceremony::LookAlikeOverride look_alike_override(bool allowed) {
    ceremony::LookAlikeOverride look_alike;
    look_alike.allowed = allowed;
    look_alike.ask = [](std::string_view question) {
        Tty tty("--look-alike-override needs the Ceremony Administrator at a terminal");
        const Secret typed = tty.read_line(question, true, 128, "the serial typed");
        return std::string(typed.text());
    };
    return look_alike;
}

void add_look_alike_override(CLI::App& cmd, CeremonyArgs& o) {
    cmd.add_flag("--look-alike-override", o.look_alike_override,
                 "A drive whose USB serial differs from the plan's only in look-alike characters "
                 "(O/0, I/1...): the Ceremony Administrator types the serial read on the drive; "
                 "if it is the drive's, go on and record an exception");
}

ceremony::CeremonyOptions flow_options(const CeremonyArgs& o) {
    ceremony::CeremonyOptions flow;
    flow.plan = o.plan;
    flow.transcript = o.transcript;
    flow.facility = o.facility;
    flow.dry_run = o.dry_run;
    flow.card_last_try = o.card_last_try;
    flow.token_pin_file = o.token_pin_file;
    flow.ask_pin = pin_reader(PinOptions{});
    flow.ask_so_pin = ask_so_pin_for_plan;
    flow.ask_admin_pin = ask_card_admin_pin_for_plan;
    flow.ask_new_pin = ask_new_card_pin_for_plan;
    flow.ask_passphrase = [](bool confirm) {
        PassphraseOptions prompt;
        prompt.ask = true;
        return read_passphrase(prompt, confirm);
    };
    flow.card_mode = o.batch         ? ceremony::CardMode::batch
                     : o.interactive ? ceremony::CardMode::interactive
                                     : ceremony::CardMode::automatic;
    flow.card_timeout_s = o.card_timeout_s;
    flow.plan_out = o.plan_out;
    flow.holder = o.holder;
    flow.set = o.set;
    flow.new_split = o.new_split;
    flow.replace_keys = o.replace_keys;
    flow.confirm_participants = participant_confirmation(o.confirm_participants);
    flow.look_alike = look_alike_override(o.look_alike_override);
    flow.remote_holders = o.remote_holders;
    flow.transport_context = o.transport_context;
    flow.facility_key_out = o.facility_key_out;
    flow.facility_key_png = o.facility_key_png;
    flow.read_sealed_share = read_sealed_share_input;
    return flow;
}

void add_common(CLI::App& cmd, CeremonyArgs& o) {
    cmd.add_option("PLAN", o.plan, "The ceremony plan (TOML, docs/CEREMONY.md)")->required();
    cmd.add_flag("--dry-run", o.dry_run,
                 "Check the plan and the hardware present; write nothing (no transcript either)");
    cmd.add_option("--transcript", o.transcript,
                   "Transcript to append to (default: the plan's transcript)");
    cmd.add_flag("--confirm-participants", o.confirm_participants,
                 "The plan's [[participants]] are present in their roles (recorded); without "
                 "it smk asks on the terminal");
}

void add_cards(CLI::App& cmd, CeremonyArgs& o) {
    // No --pin-file: each card's PIN is its holder's ([[holders]] pin_file or
    // typed by the holder), never one for every card.
    cmd.add_flag("--last-try", o.card_last_try,
                 "Allow VERIFY even when only one PIN try is left (a wrong PIN then blocks it)");
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

// The plan's participants confirmed: by --confirm-participants (the Ceremony
// Administrator vouches on the command line), else by typing "yes" on the terminal.
ceremony::ConfirmParticipants participant_confirmation(bool confirmed_by_flag) {
    return [confirmed_by_flag](std::string_view participants) -> std::string {
        if (confirmed_by_flag) {
            return "--confirm-participants";
        }
        Tty tty(
            "the plan lists participants: confirm them at the terminal, or give "
            "--confirm-participants");
        tty.say(fmt::format("Are exactly these people present, in these roles?\n{}", participants));
        const Secret answer = tty.read_line("Type yes to go on: ", true, 16);
        return answer.text() == "yes" ? "typed yes at the prompt" : "";
    };
}

void register_ceremony(CLI::App& app, Context& /*ctx*/) {
    auto* group = app.add_subcommand(
        "ceremony",
        "Plan-driven ceremonies: issue, backup-keys, backup-copies, restore, reissue, inventory");
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
    auto* no_eject =
        copies_cmd->add_flag("--no-eject", copies->no_eject, "Leave the drives mounted");
    auto one_at_a_time = std::make_shared<bool>(false);
    copies_cmd
        ->add_flag("--one-at-a-time", *one_at_a_time,
                   "One drive plugged in at a time, MASTER first: smk asks for each drive, "
                   "checks its serial, copies, verifies from the device, ejects it and asks for "
                   "the serial of its bag (compared with the plan's [[drives]] bag) before the "
                   "next; the Operative copies must hold the Master's tree")
        ->excludes(no_eject);
    add_look_alike_override(*copies_cmd, *copies);
    copies_cmd->callback([copies, one_at_a_time] {
        ceremony::BackupCopiesOptions options;
        options.plan = copies->plan;
        options.transcript = copies->transcript;
        options.dry_run = copies->dry_run;
        options.no_eject = copies->no_eject;
        options.confirm_participants = participant_confirmation(copies->confirm_participants);
        options.look_alike = look_alike_override(copies->look_alike_override);
        options.one_at_a_time = *one_at_a_time;
        options.plug_in = [](std::string_view request) {
            Tty tty("--one-at-a-time asks for each drive at the terminal");
            (void)tty.read_line(request, true, 256, "the answer");
        };
        options.read_bag = [](std::string_view question) {
            Tty tty("--one-at-a-time asks for each bag serial at the terminal");
            return std::string(tty.read_line(question, true, 128, "the bag serial").text());
        };
        ceremony::backup_copies(options, terminal_output());
    });

    auto issue = std::make_shared<CeremonyArgs>();
    auto* issue_cmd = group->add_subcommand(
        "issue",
        "Generate the SMK, split it as the plan's [policy] says (default 2 sets of "
        "5-of-7) onto every planned card, install it into the facility's HSM tokens, "
        "write the issued plan, print the receipt");
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
        "into each of the facility's HSM tokens that lacks it (cards read until the "
        "policy's whole sets are there, KCV checked) and restore the backup into every "
        "token");
    add_common(*restore_cmd, *restore);
    add_cards(*restore_cmd, *restore);
    add_tokens(*restore_cmd, *restore);
    restore_cmd
        ->add_option("--set", restore->set,
                     "Use the cards of this set only (A to D; with a policy needing one set)")
        ->check(CLI::IsMember({"A", "B", "C", "D"}));
    add_look_alike_override(*restore_cmd, *restore);
    auto* remote =
        restore_cmd
            ->add_option(
                "--remote", restore->remote_holders,
                "Holders (numbers, comma-separated) who present their shares sealed to this "
                "restore's facility key (docs/TRANSPORT.md); each is read from stdin: who "
                "presents it (a line), then its lines and an empty line, or its file's path")
            ->delimiter(',');
    restore_cmd
        ->add_option("--context", restore->transport_context,
                     "With --remote: the ceremony context the sealed shares bind (default: "
                     "\"smk restore of share set N at FACILITY\")")
        ->needs(remote);
    restore_cmd
        ->add_option("--facility-key-out", restore->facility_key_out,
                     "With --remote: also write the facility key's words to FILE (new)")
        ->needs(remote);
    restore_cmd
        ->add_option("--facility-key-png", restore->facility_key_png,
                     "With --remote: also write the facility key's QR code to FILE (PNG, new)")
        ->needs(remote);
    restore_cmd->add_flag("--replace-keys", restore->replace_keys,
                          "Replace application keys a token already holds under the same label "
                          "(else such a token is refused before anything is written)");
    restore_cmd->callback(
        [restore] { ceremony::restore(flow_options(*restore), terminal_output()); });

    auto reissue = std::make_shared<CeremonyArgs>();
    auto* reissue_cmd = group->add_subcommand(
        "reissue",
        "Rebuild the SMK from a quorum without holder N, then write holder N's share "
        "again onto the planned card, or (--new-split) a fresh share set onto every "
        "planned card with a new plan");
    add_common(*reissue_cmd, *reissue);
    add_cards(*reissue_cmd, *reissue);
    reissue_cmd
        ->add_option("--holder", reissue->holder,
                     "The holder (1 to the plan's count) whose card is lost or damaged")
        ->required();
    reissue_cmd
        ->add_option("--set", reissue->set,
                     "The set of the holder's card to write again (A to D; default: the "
                     "first of the holder's sets the cards read make whole)")
        ->check(CLI::IsMember({"A", "B", "C", "D"}));
    reissue_cmd->add_flag("--new-split", reissue->new_split,
                          "Issue a fresh share set to everyone (lost or compromised card)");
    reissue_cmd->add_option(
        "--plan-out", reissue->plan_out,
        "Where to write the updated plan (default: PLAN-idNNNNN.toml beside it for a new share "
        "set; PLAN-idNNNNN-holderN-setX.toml for a new card's authentication key)");
    reissue_cmd->callback(
        [reissue] { ceremony::reissue(flow_options(*reissue), terminal_output()); });

    auto inventory = std::make_shared<CeremonyArgs>();
    auto* inventory_cmd = group->add_subcommand(
        "inventory",
        "Annual proof of possession: each planned card present, its bag serial typed and "
        "compared, its answer to a fresh challenge verified against its public key in the "
        "issued plan, and its share exactly the one issued to it (the plan's commitment)");
    add_common(*inventory_cmd, *inventory);
    add_cards(*inventory_cmd, *inventory);
    inventory_cmd->add_option("--holder", inventory->holder,
                              "Only this holder's cards (default: every holder's)");
    auto attest_only = std::make_shared<bool>(false);
    inventory_cmd->add_flag(
        "--attest-only", *attest_only,
        "Only the cards' attestation (each signs a fresh challenge with the key the issued "
        "plan records for it); the shares are not read");
    inventory_cmd->callback([inventory, attest_only] {
        ceremony::CeremonyOptions options = flow_options(*inventory);
        options.attest_only = *attest_only;
        options.read_bag = [](std::string_view question) {
            Tty tty("smk ceremony inventory asks for each bag serial at the terminal");
            return std::string(tty.read_line(question, true, 128, "the bag serial").text());
        };
        ceremony::inventory(options, terminal_output());
    });
    register_ceremony_holder(*group);
}

}  // namespace smk::cli
