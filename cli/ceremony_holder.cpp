// smk ceremony holder: a holder's custody event (replaced, lost, unavailable).
// The library does it (ceremony::holder_event); this file maps the options.

#include <CLI/CLI.hpp>
#include <memory>

#include "ceremony.hpp"
#include "smk/ceremony/flows.hpp"

namespace smk::cli {

void register_ceremony_holder(CLI::App& group) {
    struct Args {
        ceremony::HolderEventOptions options;
        bool lost = false;
        bool unavailable = false;
        bool confirm_participants = false;
    };
    auto args = std::make_shared<Args>();
    auto* cmd = group.add_subcommand(
        "holder",
        "Record a holder's custody event in the transcript and a new plan: replaced (the bag "
        "handed over, its serial checked), lost (their cards refused from then on) or "
        "unavailable");
    cmd->add_option("PLAN", args->options.plan, "The issued plan (PLAN-idNNNNN.toml)")->required();
    cmd->add_option("--holder", args->options.holder, "The holder (1 to the plan's count)")
        ->required();
    auto* replaced = cmd->add_option("--replaced-by", args->options.new_name,
                                     "Replaced: the new holder's name (with --bag)");
    auto* bag = cmd->add_option("--bag", args->options.bag,
                                "Replaced: the serial read on the bag handed over");
    auto* lost = cmd->add_flag("--lost", args->lost, "The holder's bag (cards) is lost");
    auto* unavailable =
        cmd->add_flag("--unavailable", args->unavailable, "The holder cannot take part");
    replaced->excludes(lost)->excludes(unavailable)->needs(bag);
    lost->excludes(unavailable);
    cmd->add_option("--ca", args->options.ca,
                    "The Ceremony Administrator who records it (a plan participant)")
        ->required();
    cmd->add_option("--note", args->options.note, "What happened, in words (quoted)");
    cmd->add_option("--plan-out", args->options.plan_out,
                    "Where to write the plan with the event (default: "
                    "PLAN-idNNNNN-eventK.toml beside it)");
    cmd->add_option("--transcript", args->options.transcript,
                    "Transcript to append to (default: the plan's transcript)");
    cmd->add_flag("--dry-run", args->options.dry_run, "Check everything; write nothing");
    cmd->add_flag("--confirm-participants", args->confirm_participants,
                  "The plan's [[participants]] are present in their roles (else asked on the "
                  "terminal)");
    cmd->callback([args] {
        ceremony::HolderEventOptions options = args->options;
        options.kind = !options.new_name.empty() ? "replaced"
                       : args->lost              ? "lost"
                       : args->unavailable       ? "unavailable"
                                                 : "";
        if (options.kind.empty()) {
            throw CLI::ValidationError("one of --replaced-by NAME, --lost, --unavailable");
        }
        options.confirm_participants = participant_confirmation(args->confirm_participants);
        ceremony::holder_event(options, terminal_output());
    });
}

}  // namespace smk::cli
