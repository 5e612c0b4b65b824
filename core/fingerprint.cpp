#include "smk/fingerprint.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>

#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/secret.hpp"

namespace smk {

Fingerprint key_fingerprint(std::span<const std::uint8_t> key) {
    std::array<std::uint8_t, 32> mac{};
    unsigned int len = 0;
    const auto* label = reinterpret_cast<const unsigned char*>(kFingerprintLabel);
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), label,
             std::strlen(kFingerprintLabel), mac.data(), &len) == nullptr ||
        len != mac.size()) {
        throw Error(ErrorCategory::internal, "HMAC-SHA256 failed while computing a fingerprint");
    }
    Fingerprint fp{};
    std::memcpy(fp.data(), mac.data(), fp.size());
    secure_zero(mac);
    return fp;
}

std::string fingerprint_hex(const Fingerprint& fingerprint) {
    return to_hex(fingerprint);
}

}  // namespace smk
