#include "smk/sha256.hpp"

#include <openssl/evp.h>

#include <string>

#include "smk/error.hpp"
#include "smk/hex.hpp"

namespace smk {
namespace {

[[noreturn]] void openssl_failed(const char* what) {
    throw Error(ErrorCategory::internal, std::string("OpenSSL SHA-256 ") + what + " failed");
}

}  // namespace

void Sha256Stream::Free::operator()(evp_md_ctx_st* ctx) const noexcept {
    EVP_MD_CTX_free(ctx);  // cleanses the state
}

Sha256Stream::Sha256Stream() : m_ctx(EVP_MD_CTX_new()) {
    if (!m_ctx || EVP_DigestInit_ex(m_ctx.get(), EVP_sha256(), nullptr) != 1) {
        openssl_failed("init");
    }
}

void Sha256Stream::update(std::span<const std::uint8_t> bytes) {
    if (!bytes.empty() && EVP_DigestUpdate(m_ctx.get(), bytes.data(), bytes.size()) != 1) {
        openssl_failed("update");
    }
}

void Sha256Stream::update(std::string_view text) {
    update({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

Sha256 Sha256Stream::finish() {
    Sha256 out{};
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(m_ctx.get(), out.data(), &len) != 1 || len != out.size()) {
        openssl_failed("final");
    }
    return out;
}

Sha256 sha256_bytes(std::span<const std::uint8_t> bytes) {
    Sha256Stream sha;
    sha.update(bytes);
    return sha.finish();
}

Sha256 sha256_text(std::string_view text) {
    Sha256Stream sha;
    sha.update(text);
    return sha.finish();
}

std::string sha256_hex(std::string_view text) {
    return to_hex(sha256_text(text));
}

std::optional<std::string> sha256_hex_from_text(std::string_view text) {
    // 64 digits, or 32 pairs with one colon between each two (95 characters).
    const bool colon_form = text.size() == 95;
    if (text.size() != 64 && !colon_form) {
        return std::nullopt;
    }
    std::string hex;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (colon_form && i % 3 == 2) {
            if (c != ':') {
                return std::nullopt;
            }
            continue;
        }
        if (c >= '0' && c <= '9') {
            hex.push_back(c);
        } else if (c >= 'a' && c <= 'f') {
            hex.push_back(c);
        } else if (c >= 'A' && c <= 'F') {
            hex.push_back(static_cast<char>(c - 'A' + 'a'));
        } else {
            return std::nullopt;
        }
    }
    return hex;
}

}  // namespace smk
