#pragma once
// The SMK in a PKCS#11 HSM: install it as a token AES key, compute its KCV
// inside the token, and back up application keys wrapped under it.
//
// Usage (an SMK already recovered into a Secret; see smk/pkcs11.hpp for sessions):
//
//   smk::pkcs11::Module module("/usr/lib/softhsm/libsofthsm2.so");
//   smk::pkcs11::Session session(module, "hsm-facility-1");   // token by label
//   session.login(pin);                                      // pin: a Secret
//   const smk::Kcv kcv = smk::hsm::install_smk(session, smk,
//       {.label = "smk", .id = {0x01}, .replace = false}, expected_kcv /* optional */);
//   smk::hsm::kcv_in_token(session, "smk");                  // again, any time later
//   smk::hsm::wrap_keys(session, "smk", {"app-key-1", "app-key-2"}, "keys.smkwrap");
//   // at the other facility, after installing the same SMK there:
//   smk::hsm::unwrap_keys(other_session, "smk", "keys.smkwrap", {.replace = false});
//
// install_smk refuses (Error(refused)) a label that exists unless replace; the
// new key is created first, its in-token KCV checked against the software KCV
// of the SMK (smk/kcv.hpp) and the expected one, and only then an old key of
// the label destroyed. A failed check destroys the new key: Error(verification).
// The SMK key: CKK_AES, CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE true,
// CKA_EXTRACTABLE false, CKA_ENCRYPT/DECRYPT/WRAP/UNWRAP/SIGN/VERIFY true (sign and
// verify for the backup MAC), DERIVE false (all set: SoftHSM2 makes omitted usage
// flags true).
//
// Backups: CKM_AES_KEY_WRAP_PAD (RFC 5649) of each key into a versioned JSON file
// (docs/FORMAT.md section 6) with a MAC made in the token under the SMK
// (CKM_AES_CMAC), written atomically, plus FILE.sha256sum that `sha256sum -c`
// accepts. Both mechanisms are checked up front (C_GetMechanismInfo). unwrap_keys
// checks the .sha256sum and the MAC first, refuses labels that exist unless
// replace, and destroys any object a failed unwrap leaves.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smk/kcv.hpp"
#include "smk/pkcs11.hpp"
#include "smk/secret.hpp"

namespace smk::hsm {

inline constexpr unsigned long kAesKeyWrapPad = 0x210A;  // CKM_AES_KEY_WRAP_PAD
inline constexpr std::string_view kBackupFormat = "smk-wrapped-keys";
// Written: 3. Read: 3, and 2 (before CKA_WRAP_WITH_TRUSTED was recorded: false).
// 1 (secret keys only, no MAC) is refused.
inline constexpr unsigned kBackupVersion = 3;

struct InstallOptions {
    std::string label;
    std::vector<std::uint8_t> id;  // CKA_ID; may be empty
    bool replace = false;
};

// The PINs a trusted install needs: the security officer's, to set CKA_TRUSTED, and
// the user's, to log in again afterwards. Never from argv.
struct TrustedLogin {
    const Secret& so_pin;
    const Secret& user_pin;
    bool allow_so_last_try = false;  // log in as the SO even when one try is left
};

// Installs `smk` (16, 24 or 32 bytes) into the logged-in token and returns its
// KCV computed inside the token (equal to key_check_value(smk) and, if given,
// to `expected`, or Error(verification) and nothing is left installed).
// With `trusted`, the key also has CKA_TRUSTED, so that keys with
// CKA_WRAP_WITH_TRUSTED may leave the token under it and under nothing else: the SO
// makes it as a public session object and the user copies it into a private token key
// (docs/FORMAT.md section 6). A token that cannot do that is Error(refused) naming the
// step that failed, with nothing installed; the user is logged in again either way.
Kcv install_smk(pkcs11::Session& session, const Secret& smk, const InstallOptions& options,
                const std::optional<Kcv>& expected = std::nullopt,
                const TrustedLogin* trusted = nullptr);

// Takes every step of a trusted install (the SO's public session object with
// CKA_TRUSTED, the user's copy into a private token key) with a random throwaway key
// labelled kTrustedCheckLabel, then destroys it and checks it is gone. For a flow to
// refuse, before anything irreversible, a token that cannot hold a trusted SMK:
// Error(refused) naming the step, as install_smk; a wrong SO PIN: Error(verification);
// a throwaway key that cannot be destroyed: Error(device) naming it. The user is
// logged in again either way.
inline constexpr std::string_view kTrustedCheckLabel = "smk trusted check (throwaway)";
void check_trusted_support(pkcs11::Session& session, const TrustedLogin& login);

// Whether the one secret key labelled `label` has CKA_TRUSTED true.
[[nodiscard]] bool is_trusted(pkcs11::Session& session, std::string_view label);

// C_Encrypt(CKM_AES_ECB, 16 zero bytes) with the one secret key labelled
// `label`, first 3 bytes. Error(usage) if no key or several have that label.
[[nodiscard]] Kcv kcv_in_token(pkcs11::Session& session, std::string_view label);

// Error(verification) naming the key and token if `actual` differs from `expected`.
void check_kcv(const pkcs11::Session& session, std::string_view label, const Kcv& actual,
               const Kcv& expected);

struct WrappedKeyInfo {
    std::string label;
    std::string id_hex;                  // "" when the key has no CKA_ID
    std::string key_class;               // "secret" or "private" (with its public half)
    std::string key_type;                // "AES", "GENERIC_SECRET", "RSA", "EC", ...
    unsigned long value_len = 0;         // secret keys, as the token reports it (0 when unknown)
    unsigned bits = 0;                   // RSA: modulus bits
    std::string curve;                   // EC: "P-256", "P-384", "P-521" ("" for another curve)
    std::optional<std::string> kcv_hex;  // AES keys allowed to encrypt
    // CKA_WRAP_WITH_TRUSTED: the token wraps it only under a key with CKA_TRUSTED. Set
    // again on the restored key.
    bool wrap_with_trusted = false;

    bool operator==(const WrappedKeyInfo&) const = default;
};

struct BackupSummary {
    std::filesystem::path file;
    std::filesystem::path sha256sum_file;
    std::string sha256_hex;
    std::string wrapping_label;
    std::string wrapping_kcv_hex;
    std::vector<WrappedKeyInfo> keys;
};

// Error(refused) naming the mechanism (C_GetMechanismInfo) if the token lacks what
// wrap_keys needs (CKM_AES_KEY_WRAP_PAD to wrap, CKM_AES_CMAC to sign), or what
// unwrap_keys needs (the same, to unwrap and verify). wrap_keys and unwrap_keys check
// first; a flow calls them before it changes anything else.
void require_backup_mechanisms(pkcs11::Session& session);
void require_restore_mechanisms(pkcs11::Session& session);

// Wraps each key labelled in `key_labels` (each must name exactly one extractable
// secret or private key) under the key labelled `wrapping_label`, and writes `out`
// (refused if it exists) and `out`.sha256sum. A private key is wrapped as the
// token's PKCS#8 encoding and carries its public key's values (RSA modulus and
// exponent, EC parameters and point) and usage flags, from the public key object of
// the same label (for RSA, from the private key if there is none). Nothing is
// written if any key fails; the written file is read back and parsed as restore
// parses it (Error(verification) if it differs from what was meant).
//
// Each key's CKA_WRAP_WITH_TRUSTED is recorded (and set again on restore). A key that
// has it is wrapped only under a trusted SMK (install_smk with `trusted`): under any
// other key the token refuses, and so does wrap_keys, naming the key. With
// `options.wrap_with_trusted` every key must end up with it: the wrapping key must be
// trusted, and a key without the flag gets it (C_SetAttributeValue, irreversible) once
// every key has been found; a token that will not set it on an existing key is
// Error(refused) naming the key (then make the key with the flag in its template).
struct WrapOptions {
    bool wrap_with_trusted = false;
};
BackupSummary wrap_keys(pkcs11::Session& session, std::string_view wrapping_label,
                        const std::vector<std::string>& key_labels,
                        const std::filesystem::path& out, const WrapOptions& options = {});

struct UnwrapOptions {
    bool replace = false;  // replace keys whose label exists (after the new one is in)
    // The SHA-256 (hex) recorded on paper or in the plan when the backup was made.
    std::optional<std::string> expected_sha256;
};

// Checks `backup` against `backup`.sha256sum and, when given, the SHA-256 recorded when it
// was made (hex, either case), without a token: Error(verification) naming the file and
// both digests. Returns the file's SHA-256 (hex). unwrap_keys calls it first; callers
// call it before they open a token, so a wrong file is refused before the token is touched.
std::string check_backup_file(const std::filesystem::path& backup,
                              const std::optional<std::string>& expected_sha256 = std::nullopt);

// What `backup` holds as recorded, read without a token after check_backup_file, so
// that a flow can check each token against it before anything is written: the file's
// SHA-256, the wrapping key's label and KCV, and each key's label, id and type. Its
// MAC needs the token (unwrap_keys checks it). Error(invalid_input) if it does not parse.
[[nodiscard]] BackupSummary read_backup(
    const std::filesystem::path& backup,
    const std::optional<std::string>& expected_sha256 = std::nullopt);

// Those of `labels` for which the token holds a key (secret, private or public).
[[nodiscard]] std::vector<std::string> labels_held(pkcs11::Session& session,
                                                   const std::vector<std::string>& labels);

// Reads `backup` (after check_backup_file), checks the wrapping key's KCV against
// the one recorded and the file's MAC (CKM_AES_CMAC under the wrapping key, in the
// token: any edit, or a file made under another SMK, fails it), unwraps every key into the token
// (same label, id, type and usage flags; CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE true) and checks
// each key's KCV where one was recorded. A private key's public key object is created from the
// recorded values and checked against the private half: the RSA modulus and exponent, or EC
// parameters, the token reports for the unwrapped key, and a signature made with it verified by the
// new public key (when the key may sign). On any failure every object this call created is
// destroyed again. Returns what was restored.
BackupSummary unwrap_keys(pkcs11::Session& session, std::string_view wrapping_label,
                          const std::filesystem::path& backup, const UnwrapOptions& options = {});

// The public key of the RSA or EC key pair labelled `label`, as DER
// SubjectPublicKeyInfo (what `openssl pkey -pubin -inform DER` reads), built with
// OpenSSL from the public key object's values (for RSA, the private key's when there
// is no public object). Error(usage) if the label names no such pair.
[[nodiscard]] std::vector<std::uint8_t> public_key_der(pkcs11::Session& session,
                                                       std::string_view label);

// A backup file that still holds a destroyed key (so the ceremony can destroy it too).
struct BackupHolding {
    std::filesystem::path file;
    std::string sha256_hex;
};

struct DestroyReport {
    std::string label;
    std::string id_hex;
    std::string key_class;                       // "secret" or "private" (with its public half)
    std::string key_type;                        // "AES", "RSA", ...
    std::size_t objects_destroyed = 0;           // 1 for a secret key, 2 for a key pair
    std::vector<BackupHolding> backups_holding;  // of `backups`, those that hold the key
    std::vector<std::filesystem::path> backups_without;
};

// Key destruction (KMP 5.6): destroys the one secret or private key labelled `label`
// and every public key of that label, then proves them gone by searching the token
// by label and, when the key had one, by CKA_ID (Error(device) if anything is still
// found). Each of `backups` is checked (check_backup_file) and parsed first, before
// anything is destroyed, and the report says which of them still hold a key of that
// label and id, by SHA-256: those files are to be destroyed; new backups are made
// with wrap_keys from the keys that remain.
DestroyReport destroy_key(pkcs11::Session& session, std::string_view label,
                          const std::vector<std::filesystem::path>& backups = {});

// smk::parse_kcv (smk/kcv.hpp), kept here for the callers that use this name.
[[nodiscard]] Kcv parse_kcv(std::string_view text, std::string_view what);

}  // namespace smk::hsm
