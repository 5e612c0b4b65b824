#pragma once
// The HSM tokens of a facility, opened and logged in for a ceremony flow.

#include <functional>
#include <memory>
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

// Error(refused) if the token already holds a key labelled `label`.
void require_no_key(OpenToken& token, const std::string& label, Journal& journal);

// The one facility install, for issue and restore: `smk` goes into every open
// token as the plan's key (label, id), the KCV is computed inside the token,
// read back once more and checked against `expected`; each token is recorded
// ("hsm-installed"). `after_each` (restore: the application keys) runs on a
// token right after its key is in, with its KCV (hex). Returns each token's label and KCV (hex).
using InstalledKcvs = std::vector<std::pair<std::string, std::string>>;
[[nodiscard]] InstalledKcvs install_in_facility(
    Tokens& tokens, const Plan& plan, const Facility& facility, const Secret& smk,
    const Kcv& expected, Journal& journal,
    const std::function<void(OpenToken&, const std::string&)>& after_each = {});

// The plan's key id as bytes.
[[nodiscard]] std::vector<std::uint8_t> key_id_bytes(const Plan& plan);

}  // namespace smk::ceremony
