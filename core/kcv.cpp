#include "smk/kcv.hpp"

#include <openssl/evp.h>

#include <array>
#include <memory>
#include <string>

#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/secret.hpp"

namespace smk {

Kcv key_check_value(std::span<const std::uint8_t> key) {
    const EVP_CIPHER* cipher = nullptr;
    switch (key.size()) {
        case 16:
            cipher = EVP_aes_128_ecb();
            break;
        case 24:
            cipher = EVP_aes_192_ecb();
            break;
        case 32:
            cipher = EVP_aes_256_ecb();
            break;
        default:
            throw Error(ErrorCategory::invalid_input,
                        "a key check value needs a 16, 24 or 32-byte AES key, got " +
                            std::to_string(key.size()) + " bytes");
    }
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                        &EVP_CIPHER_CTX_free);
    std::array<std::uint8_t, 16> zero{};
    std::array<std::uint8_t, 32> block{};
    int len = 0;
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, key.data(), nullptr) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
        EVP_EncryptUpdate(ctx.get(), block.data(), &len, zero.data(), 16) != 1 || len != 16) {
        throw Error(ErrorCategory::internal, "AES failed while computing a key check value");
    }
    Kcv kcv{block[0], block[1], block[2]};
    secure_zero(block);
    return kcv;
}

std::string kcv_hex(const Kcv& kcv) {
    return to_hex(kcv);
}

std::optional<Kcv> try_parse_kcv(std::string_view text) {
    Kcv kcv{};
    if (!decode_public_hex(text, kcv)) {
        return std::nullopt;
    }
    return kcv;
}

Kcv parse_kcv(std::string_view text, std::string_view what) {
    const std::optional<Kcv> kcv = try_parse_kcv(text);
    if (!kcv) {
        throw Error(ErrorCategory::usage,
                    std::string(what) + " takes a KCV: 6 hex digits, e.g. 1a2b3c");
    }
    return *kcv;
}

}  // namespace smk
