#pragma once
// What `smk hsm` shows (smk/hsm.hpp): the tokens of a module, the install receipt,
// the KCV of a token key and the summary of a backup or a restore, each as text
// or as JSON (two-space indent, one trailing newline). Public values only:
// labels, serials, identifiers, KCVs and digests, never a key or a PIN.
// A token is given by its TokenInfo and the name the session gives it
// (pkcs11::Session::token() and name()), so these run without a token.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smk/hsm.hpp"
#include "smk/kcv.hpp"
#include "smk/pkcs11.hpp"

namespace smk::hsm {

// The CKA_ID of --id: hex ("" for none). Error(usage) naming --id otherwise.
[[nodiscard]] std::vector<std::uint8_t> parse_key_id(const std::string& text);

// The token's flags on one line ("login required, read-only, USER PIN LOCKED"),
// "-" when none is set.
[[nodiscard]] std::string token_flags_text(const pkcs11::TokenInfo& token);

// `smk hsm tokens`: one line per token (an uninitialised one by its slot), or
// that `module_path` offers no token; with `json` an array of one object per token.
[[nodiscard]] std::string tokens_report(std::string_view module_path,
                                        const std::vector<pkcs11::TokenInfo>& tokens, bool json);

// What `smk hsm install` put into a token.
struct InstallReceipt {
    std::string label;
    std::string id_hex;            // as given, "" for none
    std::uint16_t identifier = 0;  // of the SLIP-39 split
    std::size_t shares_used = 0;
    Kcv kcv{};                  // computed inside the token
    bool kcv_expected = false;  // it was also checked against --expect-kcv
    bool trusted = false;       // CKA_TRUSTED (smk hsm install --trusted)
};

[[nodiscard]] std::string install_report(const pkcs11::TokenInfo& token, std::string_view where,
                                         const InstallReceipt& receipt, bool json);

// `smk hsm kcv`: the KCV of key `label`, and with `expected` whether it matches.
[[nodiscard]] std::string kcv_report(const pkcs11::TokenInfo& token, std::string_view where,
                                     std::string_view label, const Kcv& kcv,
                                     const std::optional<Kcv>& expected, bool json);

// The backup's SHA-256 as read back from the device, in the forms read aloud for
// the paper script (smk/digest.hpp makes them: digest_colon_hex, pgp_words).
struct ReadBackDigest {
    std::string colon_hex;  // openssl dgst -sha256 -c
    std::string pgp_words;
};

// `smk hsm backup` and `smk hsm restore-backup`: the file, its SHA-256 and
// checksum file, the wrapping key and its KCV, and one line (or object) per key.
// With `read_back`, the JSON also has "sha256_openssl" and "sha256_pgp_words".
[[nodiscard]] std::string backup_report(const BackupSummary& summary,
                                        const pkcs11::TokenInfo& token, std::string_view where,
                                        bool json, const ReadBackDigest* read_back = nullptr);
[[nodiscard]] std::string restore_report(const BackupSummary& summary,
                                         const pkcs11::TokenInfo& token, std::string_view where,
                                         bool json);

// `smk hsm export-public`: the key pair, the DER's size and SHA-256, and the file.
[[nodiscard]] std::string public_key_report(std::string_view label, std::string_view where,
                                            const std::vector<std::uint8_t>& der,
                                            std::string_view file);

// `smk hsm destroy-key`: what was destroyed, the proof it is gone, and the backup
// files that still hold it (to be destroyed) by SHA-256.
[[nodiscard]] std::string destroy_report(const DestroyReport& report,
                                         const pkcs11::TokenInfo& token, std::string_view where,
                                         bool json);

}  // namespace smk::hsm
