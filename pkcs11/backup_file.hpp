#pragma once
// Internal: the wrapped-key backup file (docs/FORMAT.md section 6) and its
// FILE.sha256sum companion: reading both back and parsing the JSON.

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pkcs11_raw.hpp"
#include "smk/hsm.hpp"

namespace smk::hsm::detail {

inline constexpr std::size_t kMaxBackupBytes = 16 * 1024 * 1024;

// Usage flags recorded in a backup and set on the restored key, in this order.
struct UsageFlag {
    CK_ATTRIBUTE_TYPE type;
    const char* name;
};
inline constexpr std::array<UsageFlag, 9> kUsageFlags = {{
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

// "AES", "GENERIC_SECRET", "DES3" or the code in hex.
[[nodiscard]] std::string key_type_name(CK_ULONG type);

// FILE.sha256sum.
[[nodiscard]] std::filesystem::path sha256sum_path(const std::filesystem::path& file);
// The whole file (at most kMaxBackupBytes); Error(io) or Error(invalid_input) naming `what`.
[[nodiscard]] std::string read_small_file(const std::filesystem::path& path, std::string_view what);
// The digest FILE.sha256sum states for FILE (one GNU line: "HEX  NAME" or "HEX *NAME").
[[nodiscard]] std::string expected_digest(const std::filesystem::path& backup);
// Hex text to bytes; Error(invalid_input) naming `what`.
[[nodiscard]] std::vector<std::uint8_t> hex_bytes(const std::string& text, std::string_view what);

struct BackupKey {
    WrappedKeyInfo info;
    CK_ULONG key_type = 0;
    std::vector<std::uint8_t> id;
    std::vector<std::pair<CK_ATTRIBUTE_TYPE, bool>> flags;
    std::vector<std::uint8_t> wrapped;
};

// Error(invalid_input): FILE is not a valid smk key backup: WHY.
[[noreturn]] void bad_backup(const std::filesystem::path& file, std::string_view why);

struct ParsedBackup {
    std::string wrapping_label;
    std::string wrapping_kcv;
    std::vector<BackupKey> keys;
};

// The backup's JSON text, checked field by field; Error(invalid_input) via bad_backup.
[[nodiscard]] ParsedBackup parse_backup(const std::string& text, const std::filesystem::path& file);

}  // namespace smk::hsm::detail
