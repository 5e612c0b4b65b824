// smk ceremony holder: a holder's custody event (KMP 6.7: a holder replaced, the bag
// handed over intact; 6.8: a holder unavailable; a bag lost), recorded in the
// transcript and in a new plan ([[issued.event]]), never by editing the plan.
//
// A replacement needs the bag serial as the Ceremony Administrator reads it on the
// bag handed over: it must be the holder's planned bag. A lost bag makes restore
// and reissue refuse the holder's cards of the current share set; what to do next
// (a new share set without them: reissue --new-split) is said, not done.

#include <fmt/core.h>

#include <algorithm>
#include <iterator>
#include <string>

#include "flow_setup.hpp"
#include "smk/atomic_file.hpp"
#include "smk/ceremony/flows.hpp"
#include "smk/ceremony/transcript.hpp"
#include "smk/error.hpp"
#include "smk/sha256.hpp"
#include "smk/text_compare.hpp"

namespace smk::ceremony {
namespace {

[[noreturn]] void usage(const std::string& what) {
    throw Error(ErrorCategory::usage, what + "; nothing was recorded");
}

// The options that fit the event, checked before anything is written.
void check_options(const Plan& plan, const HolderEventOptions& options) {
    if (std::find(std::begin(kHolderEventKinds), std::end(kHolderEventKinds), options.kind) ==
        std::end(kHolderEventKinds)) {
        usage("the event must be replaced, lost or unavailable, not \"" + options.kind + "\"");
    }
    const bool replaced = options.kind == "replaced";
    if (replaced && (options.new_name.empty() || options.bag.empty())) {
        usage(
            "a replacement needs the new holder's name (--replaced-by) and the serial read on "
            "the bag handed over (--bag)");
    }
    if (!replaced && (!options.new_name.empty() || !options.bag.empty())) {
        usage("--replaced-by and --bag belong to a replacement only");
    }
    if (options.ca.empty()) {
        usage("--ca names the Ceremony Administrator who records the event");
    }
    if (!plan.participants.empty() &&
        plan.participant(options.ca, kCeremonyAdministrator) == nullptr) {
        usage(fmt::format("\"{}\" is not a ceremony-administrator of plan {}'s [[participants]]",
                          options.ca, plan.file.string()));
    }
}

}  // namespace

void holder_event(const HolderEventOptions& options, Output& output) {
    const Plan plan = load_plan(options.plan);
    require_issued(plan);
    const Holder& holder = plan.holder(options.holder);
    check_options(plan, options);
    Plan updated = plan;
    HolderEvent event;
    event.holder = holder.number;
    event.kind = options.kind;
    event.time = transcript::utc_now();
    event.by = options.ca;
    event.note = options.note;
    event.identifier = *plan.identifier;
    if (options.kind == "replaced") {
        event.name = options.new_name;
        event.previous = holder.name;
        updated.holders[holder.number - 1].name = options.new_name;
    }
    updated.holder_events.push_back(event);
    const std::filesystem::path out = options.plan_out.empty()
                                          ? event_plan_path(updated)
                                          : std::filesystem::path(options.plan_out);
    refuse_existing(out);  // before the first transcript line

    Journal journal(transcript_path(plan, options.transcript), options.dry_run, "holder", output);
    journal.record("start",
                   {{"plan", plan.file.string()}, {"holder", std::to_string(holder.number)}},
                   {{"event", options.kind}, {"dry_run", options.dry_run ? "yes" : "no"}},
                   {{"plan", sha256_hex(plan.text)}});
    record_participants(plan, options.confirm_participants, journal);
    if (options.kind == "replaced") {
        // The bag handed over must be the holder's: a different serial is a different bag.
        const bool same_bag =
            std::any_of(holder.cards.begin(), holder.cards.end(),
                        [&](const CardSpec& c) { return same_typed_serial(options.bag, c.bag); });
        if (!same_bag) {
            journal.record("holder-bag-mismatch",
                           {{"holder", std::to_string(holder.number)}, {"bag", options.bag}},
                           {{"planned", holder.cards.front().bag}, {"result", "refused"}});
            throw Error(
                ErrorCategory::verification,
                fmt::format("holder {} ({}): the bag handed over reads \"{}\", the plan "
                            "says \"{}\": not the holder's bag. Record what happened "
                            "('smk transcript exception'); nothing was changed in the plan",
                            holder.number, holder.name, options.bag, holder.cards.front().bag));
        }
    }
    transcript::Fields items = {{"holder", std::to_string(holder.number)},
                                {"by", options.ca},
                                {"identifier", std::to_string(*plan.identifier)}};
    if (options.kind == "replaced") {
        items.emplace_back("previous", holder.name);
        items.emplace_back("name", options.new_name);
        items.emplace_back("bag", options.bag);
    }
    if (!options.note.empty()) {
        items.emplace_back("note", options.note);
    }
    journal.record("holder-" + options.kind, std::move(items), {{"time", event.time}});
    if (options.dry_run) {
        journal.result(fmt::format("dry run: holder {} ({}) {}; no plan was written", holder.number,
                                   holder.name, options.kind));
        return;
    }
    write_issued_plan(updated, out);
    journal.record("plan-written", {{"plan", out.string()}},
                   {{"events", std::to_string(updated.holder_events.size())}},
                   {{"plan", sha256_hex(load_plan(out).text)}});
    std::string what;
    if (options.kind == "replaced") {
        what = fmt::format("holder {}: {} replaces {}; bag {} handed over intact", holder.number,
                           options.new_name, holder.name, options.bag);
    } else if (options.kind == "lost") {
        what = fmt::format(
            "holder {} ({}): cards of share set {} reported lost; restore and reissue refuse "
            "them from now on. Issue a new share set without them: smk ceremony reissue {} "
            "--holder {} --new-split",
            holder.number, holder.name, *plan.identifier, out.string(), holder.number);
    } else {
        what = fmt::format("holder {} ({}) unavailable, recorded", holder.number, holder.name);
    }
    result_lines(journal, what + "\nplan with the event: " + out.string() + "\n");
    journal.finish();
}

}  // namespace smk::ceremony
