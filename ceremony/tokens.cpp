// Opening a facility's HSM tokens for a ceremony flow.

#include "tokens.hpp"

#include <fmt/core.h>

#include "smk/error.hpp"
#include "smk/hsm.hpp"
#include "smk/kcv.hpp"
#include "smk/secret_input.hpp"

namespace smk::ceremony {

Tokens open_tokens(const Plan& plan, const Facility& facility, const CeremonyOptions& options,
                   Journal& journal) {
    (void)plan;
    Tokens tokens;
    tokens.module = std::make_unique<pkcs11::Module>(facility.module.string());
    for (const auto& planned : facility.tokens) {
        pkcs11::Session session(*tokens.module, planned.label);
        const std::string pin_file =
            !options.token_pin_file.empty() ? options.token_pin_file : planned.pin_file.string();
        if (pin_file.empty() && !options.ask_pin) {
            throw Error(ErrorCategory::usage, "no PIN source for " + session.name());
        }
        session.login(pin_file.empty() ? options.ask_pin(session.name()) : read_pin_file(pin_file));
        journal.record("token-opened",
                       {{"facility", facility.name},
                        {"token", planned.label},
                        {"token_serial", session.token().serial},
                        {"module", facility.module.string()}},
                       {{"login", "ok"}});
        journal.say(fmt::format("  {} at {}: logged in\n", session.name(), facility.name));
        tokens.open.push_back({planned.label, std::move(session)});
    }
    return tokens;
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

InstalledKcvs install_in_facility(
    Tokens& tokens, const Plan& plan, const Facility& facility, const Secret& smk,
    const Kcv& expected, Journal& journal,
    const std::function<void(OpenToken&, const std::string&)>& after_each) {
    InstalledKcvs kcvs;
    for (auto& t : tokens.open) {
        hsm::InstallOptions install;
        install.label = plan.key_label;
        install.id = key_id_bytes(plan);
        const Kcv in_token = hsm::install_smk(t.session, smk, install, expected);
        const Kcv again = hsm::kcv_in_token(t.session, plan.key_label);
        hsm::check_kcv(t.session, plan.key_label, again, expected);
        journal.record("hsm-installed",
                       {{"facility", facility.name},
                        {"token", t.label},
                        {"token_serial", t.session.token().serial}},
                       {{"key_label", plan.key_label}, {"kcv_in_token", kcv_hex(in_token)}});
        kcvs.emplace_back(t.label, kcv_hex(in_token));
        if (after_each) {
            after_each(t, kcvs.back().second);
        }
    }
    return kcvs;
}

}  // namespace smk::ceremony
