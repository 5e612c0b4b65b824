#pragma once
// Internal: the wrapped-key backup file (docs/FORMAT.md section 6) and its
// FILE.sha256sum companion: encoding it, reading both back and parsing the JSON.
// One encoder and one parser, so a backup is parsed back, exactly as restore
// will parse it, before it is reported written.

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pkcs11_raw.hpp"
#include "smk/hsm.hpp"

namespace smk::hsm::detail {

inline constexpr std::size_t kMaxBackupBytes = 16 * 1024 * 1024;
// Version 1 held secret keys only and no MAC: it is refused (a MAC-less file could
// carry any edit), with a way forward.
inline constexpr std::size_t kMacBytes = 16;  // CKM_AES_CMAC, full length
// What the MAC covers starts with this, then the file's JSON without "mac", compact.
inline constexpr std::string_view kMacDomain = "smk-wrapped-keys MAC\n";

// An attribute recorded in a backup under a JSON name.
struct NamedAttribute {
    CK_ATTRIBUTE_TYPE type;
    const char* name;
};

// The usage flags recorded for a key of each class and set on the restored key, in this order
// (each class has its own: a token refuses CKA_ENCRYPT on a private key, for one).
inline constexpr std::array<NamedAttribute, 9> kSecretKeyFlags = {{
    {CKA_ENCRYPT, "encrypt"},
    {CKA_DECRYPT, "decrypt"},
    {CKA_SIGN, "sign"},
    {CKA_VERIFY, "verify"},
    {CKA_WRAP, "wrap"},
    {CKA_UNWRAP, "unwrap"},
    {CKA_DERIVE, "derive"},
    {CKA_SENSITIVE, "sensitive"},
    {CKA_EXTRACTABLE, "extractable"},
}};
inline constexpr std::array<NamedAttribute, 6> kPrivateKeyFlags = {{
    {CKA_DECRYPT, "decrypt"},
    {CKA_SIGN, "sign"},
    {CKA_UNWRAP, "unwrap"},
    {CKA_DERIVE, "derive"},
    {CKA_SENSITIVE, "sensitive"},
    {CKA_EXTRACTABLE, "extractable"},
}};
inline constexpr std::array<NamedAttribute, 3> kPublicKeyFlags = {{
    {CKA_ENCRYPT, "encrypt"},
    {CKA_VERIFY, "verify"},
    {CKA_WRAP, "wrap"},
}};
[[nodiscard]] std::span<const NamedAttribute> flags_of_class(CK_OBJECT_CLASS key_class);
// The public key's values of a key type (RSA: modulus, exponent; EC: parameters, point);
// empty for a type whose public half smk cannot carry.
[[nodiscard]] std::span<const NamedAttribute> public_values_of(CK_KEY_TYPE key_type);

// "AES", "GENERIC_SECRET", "DES3", "RSA", "EC" or the code in hex.
[[nodiscard]] std::string key_type_name(CK_ULONG type);
// "P-256", "P-384", "P-521" for the named curve in DER CKA_EC_PARAMS; "" for any other.
[[nodiscard]] std::string curve_name(std::span<const std::uint8_t> ec_params);
// The bit length of a big-endian modulus.
[[nodiscard]] unsigned modulus_bits(std::span<const std::uint8_t> modulus);

// FILE.sha256sum.
[[nodiscard]] std::filesystem::path sha256sum_path(const std::filesystem::path& file);
// The whole file (at most kMaxBackupBytes); Error(io) or Error(invalid_input) naming `what`.
[[nodiscard]] std::string read_small_file(const std::filesystem::path& path, std::string_view what);
// The digest FILE.sha256sum states for FILE (one GNU line: "HEX  NAME" or "HEX *NAME").
[[nodiscard]] std::string expected_digest(const std::filesystem::path& backup);

using Flags = std::vector<std::pair<CK_ATTRIBUTE_TYPE, bool>>;
using Values = std::vector<std::pair<CK_ATTRIBUTE_TYPE, std::vector<std::uint8_t>>>;

struct BackupKey {
    WrappedKeyInfo info;
    CK_OBJECT_CLASS key_class = CKO_SECRET_KEY;
    CK_ULONG key_type = 0;
    std::vector<std::uint8_t> id;
    Flags flags;           // of the secret or private key: flags_of_class(key_class)
    Flags public_flags;    // private keys: kPublicKeyFlags
    Values public_values;  // private keys: public_values_of(key_type)
    std::vector<std::uint8_t> wrapped;

    bool operator==(const BackupKey&) const = default;
};

// Error(invalid_input): FILE is not a valid smk key backup: WHY.
[[noreturn]] void bad_backup(const std::filesystem::path& file, std::string_view why);

struct ParsedBackup {
    unsigned version = kBackupVersion;
    std::string wrapping_label;
    std::string wrapping_kcv;
    std::string source_label;
    std::string source_serial;
    std::vector<BackupKey> keys;
    std::string mac_input;          // kMacDomain + everything but the MAC
    std::vector<std::uint8_t> mac;  // CKM_AES_CMAC under the wrapping key, over mac_input

    bool operator==(const ParsedBackup&) const = default;
};

// What the MAC of `backup` covers: kMacDomain, then its JSON without "mac", compact
// (nlohmann's dump: sorted keys, so a reader rebuilds it from the parsed file).
[[nodiscard]] std::string mac_input_of(const ParsedBackup& backup);
// The file's text (version kBackupVersion, with backup.mac), ending with a newline.
[[nodiscard]] std::string encode_backup(const ParsedBackup& backup);
// The backup's JSON text, checked field by field, with mac_input rebuilt from the
// text; Error(invalid_input) via bad_backup. The MAC itself is checked in the token.
[[nodiscard]] ParsedBackup parse_backup(const std::string& text, const std::filesystem::path& file);

}  // namespace smk::hsm::detail
