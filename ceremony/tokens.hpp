#pragma once
// The HSM tokens of a facility, opened and logged in for a ceremony flow.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "smk/ceremony/flows.hpp"
#include "smk/ceremony/journal.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/kcv.hpp"
#include "smk/pkcs11.hpp"
#include "smk/secret.hpp"

namespace smk::ceremony {

struct OpenToken {
    std::string label;
    pkcs11::Session session;
    std::filesystem::path so_pin_file;  // planned; empty: the SO PIN is asked for
    // Kept only for a trusted install ([key] trusted): the user logs in again after
    // the security officer, and the SO PIN is read once, when the token is checked.
    std::optional<Secret> user_pin;
    std::optional<Secret> so_pin;
};

struct Tokens {
    std::unique_ptr<pkcs11::Module> module;
    std::vector<OpenToken> open;
};

// Loads the facility's module, opens every planned token by label and logs in
// (PIN: --token-pin-file, else the token's pin_file, else a prompt). Records
// each token in the transcript.
[[nodiscard]] Tokens open_tokens(const Plan& plan, const Facility& facility,
                                 const CeremonyOptions& options, Journal& journal);

// [key] trusted, checked before anything irreversible: a token that holds the SMK
// (`holds_smk`) must hold it with CKA_TRUSTED ("token-smk-trusted", else
// "token-smk-untrusted" and Error(refused)); a token that is to receive it must be able
// to (hsm::check_trusted_support with its SO PIN: the plan's so_pin_file, else
// options.ask_so_pin; "token-trusted-checked", else "token-trusted-unsupported" and
// the error). Nothing when the plan's SMK is not trusted.
void check_smk_trust(OpenToken& token, const Plan& plan, bool holds_smk,
                     const CeremonyOptions& options, Journal& journal);

// Error(refused) if the token already holds a key labelled `label`.
void require_no_key(OpenToken& token, const std::string& label, Journal& journal);

// Whether `token` holds the plan's SMK already (restore onto an HSM that has it):
// false if it holds no key of the plan's label; true if it holds one whose KCV,
// computed in the token, is `expected` (recorded "token-has-smk"); Error(refused)
// if that key has another KCV (recorded "token-has-key"): smk never replaces an
// SMK in a ceremony.
[[nodiscard]] bool holds_planned_smk(OpenToken& token, const Plan& plan, const Kcv& expected,
                                     Journal& journal);

// The one install, for issue and restore: `smk` goes into the token as the plan's
// key (label, id), its KCV is computed inside the token, read back once more and
// checked against `expected`; the token is recorded ("hsm-installed"). Returns
// the KCV (hex).
[[nodiscard]] std::string install_in_token(OpenToken& token, const Plan& plan,
                                           const Facility& facility, const Secret& smk,
                                           const Kcv& expected, Journal& journal);

// With [key] trusted the key gets CKA_TRUSTED (check_smk_trust first: it reads the
// SO PIN), recorded as trusted.
// install_in_token for every open token of the facility. Returns each token's
// label and KCV (hex).
using InstalledKcvs = std::vector<std::pair<std::string, std::string>>;
[[nodiscard]] InstalledKcvs install_in_facility(Tokens& tokens, const Plan& plan,
                                                const Facility& facility, const Secret& smk,
                                                const Kcv& expected, Journal& journal);

// The plan's key id as bytes.
[[nodiscard]] std::vector<std::uint8_t> key_id_bytes(const Plan& plan);

}  // namespace smk::ceremony
