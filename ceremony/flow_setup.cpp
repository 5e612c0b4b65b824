// The journal and card session of a card flow, bound to its plan and options.

#include "flow_setup.hpp"

#include <fmt/core.h>

#include <chrono>

#include "holder_pins.hpp"
#include "plan_names.hpp"
#include "smk/error.hpp"
#include "smk/secret_input.hpp"
#include "smk/slip39.hpp"

namespace smk::ceremony {

Journal open_journal(const Plan& plan, const CeremonyOptions& options, std::string flow,
                     Output& output) {
    return Journal(transcript_path(plan, options.transcript), options.dry_run, std::move(flow),
                   output);
}

void check_pin_file(const Plan& plan, const std::filesystem::path& file, std::string_view field) {
    std::string why;
    try {
        if (read_pin_file(file.string()).empty()) {
            why = "it is empty";
        }
    } catch (const Error& e) {
        why = e.what();
    }
    if (!why.empty()) {
        throw Error(ErrorCategory::io,
                    fmt::format("plan {}: {} {}: {}. Put the PIN file there or fix the plan; "
                                "nothing was touched",
                                plan.file.string(), field, file.string(), why));
    }
}

void record_participants(const Plan& plan, const ConfirmParticipants& confirm, Journal& journal) {
    if (plan.participants.empty()) {
        journal.record("participants", {}, {{"planned", "none"}});
        return;
    }
    std::string list;
    transcript::Fields items;
    for (std::size_t i = 0; i < plan.participants.size(); ++i) {
        const Participant& p = plan.participants[i];
        list += fmt::format("  {}, {}\n", p.name, p.role);
        items.emplace_back("participant_" + std::to_string(i + 1),
                           fmt::format("{} ({})", p.name, p.role));
    }
    journal.say("Participants (from the plan):\n" + list);
    std::string how = "not asked (dry run)";
    if (!journal.dry_run()) {
        if (!confirm) {
            throw Error(ErrorCategory::usage,
                        fmt::format("plan {} lists participants and nothing can ask whether they "
                                    "are present; nothing was touched",
                                    plan.file.string()));
        }
        how = confirm(list);
        if (how.empty()) {
            journal.record("participants", std::move(items), {{"confirmed", "no"}});
            throw Error(ErrorCategory::refused,
                        fmt::format("the participants were not confirmed as present (recorded "
                                    "in the transcript); correct [[participants]] in plan {} (or "
                                    "record who stands in with 'smk transcript exception') and "
                                    "run again. No card, token or drive was touched.",
                                    plan.file.string()));
        }
    }
    journal.record("participants", std::move(items), {{"confirmed", how}});
}

void check_token_pin_files(const Plan& plan, const CeremonyOptions& options,
                           const Facility& facility) {
    for (const auto& t : facility.tokens) {
        const std::string where = fmt::format("facility {} token {} ", facility.name, t.label);
        if (!options.token_pin_file.empty()) {
            check_pin_file(plan, options.token_pin_file, "--token-pin-file");
        } else if (!t.pin_file.empty()) {
            check_pin_file(plan, t.pin_file, where + "pin_file");
        }
        if (plan.key_trusted && !t.so_pin_file.empty()) {
            check_pin_file(plan, t.so_pin_file, where + "so_pin_file");
        }
    }
}

void check_passphrase_file(const Plan& plan) {
    if (plan.policy.passphrase != PassphraseSource::file) {
        return;
    }
    const std::filesystem::path& file = plan.policy.passphrase_file;
    std::string why;
    try {
        const Secret passphrase = read_first_line(file.string(), 64 * 1024);
        if (const char* problem = slip39::passphrase_problem(passphrase.bytes())) {
            why = std::string("its first line ") + problem;
        }
    } catch (const Error& e) {
        why = e.what();
    }
    if (!why.empty()) {
        throw Error(ErrorCategory::io,
                    fmt::format("plan {}: policy.passphrase_file {}: {}. Put the passphrase "
                                "file there or fix the plan; nothing was touched",
                                plan.file.string(), file.string(), why));
    }
}

Secret read_passphrase(const Plan& plan, const CeremonyOptions& options, bool confirm) {
    switch (plan.policy.passphrase) {
        case PassphraseSource::none:
            return {};
        case PassphraseSource::file:
            check_passphrase_file(plan);
            return read_first_line(plan.policy.passphrase_file.string(), 64 * 1024);
        case PassphraseSource::prompt:
            break;
    }
    if (!options.ask_passphrase) {
        throw Error(ErrorCategory::usage,
                    fmt::format("plan {} has policy.passphrase = \"prompt\" and nothing can "
                                "ask for it (no terminal); nothing was touched",
                                plan.file.string()));
    }
    Secret passphrase = options.ask_passphrase(confirm);
    if (const char* problem = slip39::passphrase_problem(passphrase.bytes())) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("the passphrase typed {}; nothing was touched", problem));
    }
    return passphrase;
}

std::optional<unsigned> set_option(const Plan& plan, std::string_view letter) {
    if (letter.empty()) {
        return std::nullopt;
    }
    std::string sets;
    for (unsigned set = 0; set < plan.policy.sets.size(); ++set) {
        if (upper(std::string(letter)) == slip39::set_letter(set)) {
            return set;
        }
        sets += (set == 0 ? "" : ", ") + slip39::set_letter(set);
    }
    throw Error(ErrorCategory::usage,
                fmt::format("--set {}: plan {} has set(s) {}", letter, plan.file.string(), sets));
}

CardSessionOptions card_session_options(const CeremonyOptions& options, HolderPins& pins,
                                        const Journal& journal) {
    CardSessionOptions session;
    session.read_pin = pins.reader();
    session.last_try = options.card_last_try;
    session.timeout = std::chrono::seconds(options.card_timeout_s);
    session.mode = options.card_mode;
    session.say = [&output = journal.output()](std::string_view text) { output.say(text); };
    return session;
}

CardRequest request_for(const Holder& h, const CardSpec& c) {
    CardRequest request;
    request.holder = fmt::format("holder {} ({})", h.number, h.name);
    request.set = slip39::set_letter(c.set);
    request.index = c.index;
    request.expected_serial = c.serial;
    request.bag = c.bag;
    return request;
}

void result_lines(const Journal& journal, std::string_view text) {
    while (!text.empty()) {
        const std::size_t end = text.find('\n');
        journal.result(text.substr(0, end));
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    }
}

void require_issued(const Plan& plan) {
    if (!plan.identifier || !plan.kcv) {
        throw Error(ErrorCategory::usage,
                    fmt::format("plan {} has no [issued] identifier and KCV: use the plan that "
                                "'smk ceremony issue' wrote (PLAN-idNNNNN.toml)",
                                plan.file.string()));
    }
}

}  // namespace smk::ceremony
