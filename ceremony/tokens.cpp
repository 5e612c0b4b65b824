// Opening a facility's HSM tokens for a ceremony flow.

#include "tokens.hpp"

#include <fmt/core.h>

#include <cctype>
#include <string_view>
#include <tuple>
#include <vector>

#include "smk/error.hpp"
#include "smk/hsm.hpp"
#include "smk/kcv.hpp"
#include "smk/secret_input.hpp"
#include "smk/text_compare.hpp"

namespace smk::ceremony {
namespace {

// The planned token's identity (acceptance record) against what the module reports,
// from C_GetTokenInfo alone: no session is opened and no PIN sent to a token that
// is not the planned HSM. Labels are whatever the last initialisation wrote; the
// serial is the HSM's own.
void check_pinned(const Plan& plan, const Facility& facility, const Token& planned,
                  const std::vector<pkcs11::TokenInfo>& present, Journal& journal,
                  bool record_match = true) {
    if (!planned.pinned()) {
        return;
    }
    const pkcs11::TokenInfo* found = nullptr;
    for (const auto& info : present) {
        if (info.initialized && info.label == planned.label) {
            found = &info;
            break;
        }
    }
    if (found == nullptr) {
        return;  // pkcs11::Session names the labels present
    }
    for (const auto& [field, want, have] :
         {std::tuple{"serial", &planned.serial, &found->serial},
          std::tuple{"manufacturer", &planned.manufacturer, &found->manufacturer},
          std::tuple{"model", &planned.model, &found->model}}) {
        if (want->empty() || equal_ignoring_case(*want, *have)) {
            continue;
        }
        journal.record("token-mismatch",
                       {{"facility", facility.name},
                        {"token", planned.label},
                        {"token_serial", found->serial}},
                       {{"field", field}, {"planned", *want}, {"found", *have}});
        throw Error(
            ErrorCategory::verification,
            fmt::format("facility {}: the token labelled \"{}\" has {} \"{}\", but plan {} "
                        "pins \"{}\" (its acceptance record): it is not the planned HSM. "
                        "Nothing was sent to it. Check the HSM against its acceptance "
                        "record; correct the plan only if the record says so",
                        facility.name, planned.label, field, *have, plan.file.string(), *want));
    }
    if (!record_match) {
        return;
    }
    journal.record("token-pinned",
                   {{"facility", facility.name},
                    {"token", planned.label},
                    {"token_serial", found->serial},
                    {"token_manufacturer", found->manufacturer},
                    {"token_model", found->model}},
                   {{"matches_plan", "yes"}});
}

}  // namespace

Tokens open_tokens(const Plan& plan, const Facility& facility, const CeremonyOptions& options,
                   Journal& journal) {
    Tokens tokens;
    tokens.module = std::make_unique<pkcs11::Module>(facility.module.string());
    // Every planned token is compared with its acceptance record before any is opened.
    const std::vector<pkcs11::TokenInfo> present = tokens.module->tokens();
    for (const auto& planned : facility.tokens) {
        check_pinned(plan, facility, planned, present, journal);
    }
    for (const auto& planned : facility.tokens) {
        pkcs11::Session session(*tokens.module, planned.label);
        // And the token this session found by label is that one (no PIN sent before).
        check_pinned(plan, facility, planned, {session.token()}, journal, false);
        const std::string pin_file =
            !options.token_pin_file.empty() ? options.token_pin_file : planned.pin_file.string();
        if (pin_file.empty() && !options.ask_pin) {
            throw Error(ErrorCategory::usage, "no PIN source for " + session.name());
        }
        Secret pin = pin_file.empty() ? options.ask_pin(session.name()) : read_pin_file(pin_file);
        session.login(pin);
        journal.record("token-opened",
                       {{"facility", facility.name},
                        {"token", planned.label},
                        {"token_serial", session.token().serial},
                        {"token_manufacturer", session.token().manufacturer},
                        {"token_model", session.token().model},
                        {"module", facility.module.string()}},
                       {{"login", "ok"}, {"pinned", planned.pinned() ? "yes" : "no"}});
        journal.say(fmt::format("  {} at {}: logged in\n", session.name(), facility.name));
        OpenToken& opened = tokens.open.emplace_back(
            OpenToken{planned.label, std::move(session), planned.so_pin_file, {}, {}});
        if (plan.key_trusted) {
            opened.user_pin.emplace(std::move(pin));
        }
    }
    return tokens;
}

void check_smk_trust(OpenToken& token, const Plan& plan, bool holds_smk,
                     const CeremonyOptions& options, Journal& journal) {
    if (!plan.key_trusted) {
        return;
    }
    const transcript::Fields ids = {{"token", token.label},
                                    {"token_serial", token.session.token().serial}};
    if (holds_smk) {
        if (!hsm::is_trusted(token.session, plan.key_label)) {
            journal.record("token-smk-untrusted", ids, {{"key_label", plan.key_label}});
            throw Error(ErrorCategory::refused,
                        fmt::format("{} holds the plan's SMK \"{}\" without CKA_TRUSTED, but the "
                                    "plan says [key] trusted = true; nothing was changed. "
                                    "Install it there again with 'smk hsm install --trusted "
                                    "--replace --expect-kcv {}', or plan trusted = false",
                                    token.session.name(), plan.key_label, plan.kcv.value_or("")));
        }
        journal.record("token-smk-trusted", ids, {{"key_label", plan.key_label}});
        return;
    }
    if (token.so_pin_file.empty() && !options.ask_so_pin) {
        throw Error(ErrorCategory::usage,
                    "no security officer (SO) PIN source for " + token.session.name() +
                        ": the plan's [key] trusted needs it (so_pin_file, or a prompt)");
    }
    token.so_pin.emplace(token.so_pin_file.empty() ? options.ask_so_pin(token.session.name())
                                                   : read_pin_file(token.so_pin_file.string()));
    try {
        hsm::check_trusted_support(token.session, {*token.so_pin, token.user_pin.value()});
    } catch (const Error& e) {
        // A token that cannot, or an SO login that failed (wrong or locked SO PIN): both
        // stop the flow before anything irreversible, and both are recorded.
        journal.record(e.category() == ErrorCategory::refused ? "token-trusted-unsupported"
                                                              : "token-so-login-failed",
                       ids, {{"reason", e.what()}});
        throw;
    }
    journal.record("token-trusted-checked", ids, {{"result", "ok"}});
    journal.say(fmt::format("  {}: can hold a trusted SMK (checked with a throwaway key)\n",
                            token.session.name()));
}

void require_no_key(OpenToken& token, const std::string& label, Journal& journal) {
    try {
        const Kcv existing = hsm::kcv_in_token(token.session, label);
        journal.record("token-has-key", {{"token", token.label}},
                       {{"key_label", label}, {"kcv_in_token", kcv_hex(existing)}});
        throw Error(ErrorCategory::refused,
                    fmt::format("{} already holds a key labelled \"{}\" (KCV {}); smk never "
                                "replaces an SMK in a ceremony. Nothing was generated or written.",
                                token.session.name(), label, kcv_hex(existing)));
    } catch (const Error& e) {
        if (e.category() != ErrorCategory::usage) {
            throw;
        }
        // usage: no key of that label (the case we want)
    }
}

std::vector<std::uint8_t> key_id_bytes(const Plan& plan) {
    std::vector<std::uint8_t> id;
    for (std::size_t i = 0; i + 1 < plan.key_id.size(); i += 2) {
        id.push_back(static_cast<std::uint8_t>(std::stoul(plan.key_id.substr(i, 2), nullptr, 16)));
    }
    return id;
}

bool holds_planned_smk(OpenToken& token, const Plan& plan, const Kcv& expected, Journal& journal) {
    Kcv existing{};
    try {
        existing = hsm::kcv_in_token(token.session, plan.key_label);
    } catch (const Error& e) {
        if (e.category() != ErrorCategory::usage) {
            throw;
        }
        return false;  // usage: no key of that label
    }
    if (existing != expected) {
        journal.record("token-has-key", {{"token", token.label}},
                       {{"key_label", plan.key_label}, {"kcv_in_token", kcv_hex(existing)}});
        throw Error(ErrorCategory::refused,
                    fmt::format("{} already holds a key labelled \"{}\" with KCV {}, but the "
                                "plan's SMK has KCV {}: another SMK; smk never replaces an SMK "
                                "in a ceremony. Nothing was installed or restored.",
                                token.session.name(), plan.key_label, kcv_hex(existing),
                                kcv_hex(expected)));
    }
    journal.record("token-has-smk",
                   {{"token", token.label}, {"token_serial", token.session.token().serial}},
                   {{"key_label", plan.key_label}, {"kcv_in_token", kcv_hex(existing)}});
    return true;
}

std::string install_in_token(OpenToken& token, const Plan& plan, const Facility& facility,
                             const Secret& smk, const Kcv& expected, Journal& journal) {
    hsm::InstallOptions install;
    install.label = plan.key_label;
    install.id = key_id_bytes(plan);
    std::optional<hsm::TrustedLogin> login;
    if (plan.key_trusted) {
        if (!token.so_pin || !token.user_pin) {
            throw Error(ErrorCategory::internal,
                        "a trusted install without check_smk_trust first; report this as a bug");
        }
        login.emplace(hsm::TrustedLogin{*token.so_pin, *token.user_pin});
    }
    const Kcv in_token =
        hsm::install_smk(token.session, smk, install, expected, login ? &*login : nullptr);
    const Kcv again = hsm::kcv_in_token(token.session, plan.key_label);
    hsm::check_kcv(token.session, plan.key_label, again, expected);
    journal.record("hsm-installed",
                   {{"facility", facility.name},
                    {"token", token.label},
                    {"token_serial", token.session.token().serial}},
                   {{"key_label", plan.key_label},
                    {"kcv_in_token", kcv_hex(in_token)},
                    {"trusted", plan.key_trusted ? "yes" : "no"}});
    return kcv_hex(in_token);
}

InstalledKcvs install_in_facility(Tokens& tokens, const Plan& plan, const Facility& facility,
                                  const Secret& smk, const Kcv& expected, Journal& journal) {
    InstalledKcvs kcvs;
    for (auto& t : tokens.open) {
        kcvs.emplace_back(t.label, install_in_token(t, plan, facility, smk, expected, journal));
    }
    return kcvs;
}

}  // namespace smk::ceremony
