#include "raw_crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

#include "smk/error.hpp"

namespace smk::raw {
namespace {

[[noreturn]] void openssl_failed(const char* what) {
    throw Error(ErrorCategory::internal, std::string("OpenSSL ") + what + " failed");
}

}  // namespace

HmacSha256::HmacSha256(std::span<const std::uint8_t> key) {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac == nullptr) {
        openssl_failed("HMAC fetch");
    }
    m_ctx = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);  // the context holds its own reference
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (m_ctx == nullptr || EVP_MAC_init(m_ctx, key.data(), key.size(), params) != 1) {
        EVP_MAC_CTX_free(m_ctx);
        openssl_failed("HMAC-SHA256 init");
    }
}

HmacSha256::~HmacSha256() {
    EVP_MAC_CTX_free(m_ctx);
}

void HmacSha256::update(std::span<const std::uint8_t> bytes) {
    if (!bytes.empty() && EVP_MAC_update(m_ctx, bytes.data(), bytes.size()) != 1) {
        openssl_failed("HMAC-SHA256 update");
    }
}

Secret HmacSha256::final() {
    Secret tag(32);
    std::size_t len = 0;
    if (EVP_MAC_final(m_ctx, tag.data(), &len, tag.size()) != 1 || len != tag.size()) {
        openssl_failed("HMAC-SHA256 final");
    }
    return tag;
}

CoefficientStream::CoefficientStream(Secret key) : m_key(std::move(key)) {
    if (m_key.size() != kKeyBytes) {
        throw Error(ErrorCategory::internal, "coefficient key must be 32 bytes");
    }
}

void CoefficientStream::fill(std::span<std::uint8_t> out, std::uint64_t step,
                             std::uint32_t index) const {
    if (out.empty()) {
        return;
    }
    // OpenSSL's EVP ChaCha20 IV: 32-bit block counter (LE) || 96-bit nonce.
    std::array<std::uint8_t, 16> iv{};
    for (std::size_t i = 0; i < 8; ++i) {
        iv[4 + i] = static_cast<std::uint8_t>(step >> (8 * i));
    }
    for (std::size_t i = 0; i < 4; ++i) {
        iv[12 + i] = static_cast<std::uint8_t>(index >> (8 * i));
    }
    // One context per call: cheap next to a chunk, and no state shared between threads.
    // EVP_CIPHER_CTX_free cleanses the key schedule.
    const std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                              EVP_CIPHER_CTX_free);
    if (!ctx ||
        EVP_EncryptInit_ex(ctx.get(), EVP_chacha20(), nullptr, m_key.data(), iv.data()) != 1) {
        openssl_failed("ChaCha20 init");
    }
    std::memset(out.data(), 0, out.size());
    // Encrypting zeros in place yields the keystream; in pieces below INT_MAX.
    constexpr std::size_t kPiece = std::size_t{1} << 30;
    for (std::size_t done = 0; done < out.size(); done += kPiece) {
        const std::size_t n = std::min(kPiece, out.size() - done);
        int written = 0;
        if (EVP_EncryptUpdate(ctx.get(), out.data() + done, &written, out.data() + done,
                              static_cast<int>(n)) != 1 ||
            static_cast<std::size_t>(written) != n) {
            openssl_failed("ChaCha20");
        }
    }
}

}  // namespace smk::raw
