#pragma once
// GnuPG and OpenSSL on a card smk gave an authentication key, for the attest
// and card profile end-to-end tests: `gpg --card-status` shows the key,
// scdaemon signs with it (SCD SETDATA of a SHA-256 DigestInfo, then SCD PKAUTH
// OPENPGP.3: INTERNAL AUTHENTICATE), and openssl's command line tool checks
// every signature against the public key smk wrote (an independent verifier).

#include <doctest/doctest.h>
#include <fmt/core.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/files.hpp"
#include "support/gnupg_home.hpp"
#include "support/process.hpp"

namespace smk_test {

// `openssl ARGS...`.
inline ProcessResult openssl(std::vector<std::string> args) {
    args.insert(args.begin(), "openssl");
    return run_process(Command(std::move(args)));
}

// `openssl dgst -sha256 -verify KEY -signature SIG MESSAGE`: true when it says
// Verified OK; otherwise it must say Verification failure (not fail to run).
inline bool openssl_verifies(const std::string& key, const std::string& sig,
                             const std::string& msg) {
    const auto r = openssl({"dgst", "-sha256", "-verify", key, "-signature", sig, msg});
    INFO("openssl: " << r.out << r.err);
    if (r.shell_status() == 0) {
        CHECK(contains(r.out, "Verified OK"));
        return true;
    }
    CHECK(contains(r.out + r.err, "Verification failure"));
    return false;
}

// `gpg --batch --card-status` with the GNUPGHOME of `home`.
inline ProcessResult gpg_card_status(const GnupgHome& home) {
    return home.run({"gpg", "--batch", "--card-status"});
}

// The "Authentication key:" line of `gpg --card-status` output, if any.
inline std::optional<std::string> card_status_auth_key(const std::string& status_out) {
    for (const auto& line : lines_of(status_out)) {
        if (line.rfind("Authentication key:", 0) == 0) {
            return line;
        }
    }
    return std::nullopt;
}

struct ScdaemonSignature {
    std::string agent_output;  // gpg-connect-agent's stdout and stderr
    std::string signature;     // the signature's path: `message` + ".sig"
};

// scdaemon signs the file `message` with the card's authentication key: the
// SHA-256 DigestInfo of the file (digest by openssl, in `message` + ".sha256")
// goes to the card with SCD SETDATA, then SCD PKAUTH OPENPGP.3; gpg-connect-agent
// writes the signature to `message` + ".sig".
inline ScdaemonSignature scdaemon_pkauth(const GnupgHome& home, const std::string& message) {
    const std::string digest = message + ".sha256";
    REQUIRE(openssl({"dgst", "-sha256", "-binary", "-out", digest, message}).shell_status() == 0);
    std::string digest_info = "3031300D060960864801650304020105000420";
    for (const char c : read_file(digest)) {
        digest_info += fmt::format("{:02X}", static_cast<unsigned char>(c));
    }
    ScdaemonSignature result;
    result.signature = message + ".sig";
    result.agent_output = home.agent({"/datafile " + result.signature, "SCD SERIALNO",
                                      "SCD SETDATA " + digest_info, "SCD PKAUTH OPENPGP.3"});
    return result;
}

}  // namespace smk_test
