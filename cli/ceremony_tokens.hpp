#pragma once
// The HSM tokens of a facility, opened and logged in for a ceremony flow.

#include <memory>
#include <string>
#include <vector>

#include "ceremony_flows.hpp"
#include "smk/pkcs11.hpp"

namespace smk::cli {

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
[[nodiscard]] Tokens open_tokens(const ceremony::Plan& plan, const ceremony::Facility& facility,
                                 const CeremonyOptions& options, Journal& journal);

// Error(refused) if the token already holds a key labelled `label`.
void require_no_key(OpenToken& token, const std::string& label, Journal& journal);

// The plan's key id as bytes.
[[nodiscard]] std::vector<std::uint8_t> key_id_bytes(const ceremony::Plan& plan);

}  // namespace smk::cli
