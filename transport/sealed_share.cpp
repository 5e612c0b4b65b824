// Sealing a share to the facility's key and opening it (docs/FORMAT.md section 10).
// Every plaintext byte (the share record and the header around it) lives in a
// Secret; the sealed bytes are public.

#include <fmt/core.h>
#include <sodium.h>

#include <algorithm>
#include <string>

#include "facility_key_access.hpp"
#include "smk/error.hpp"
#include "smk/pgp_words.hpp"
#include "smk/sha256.hpp"
#include "smk/share_record.hpp"
#include "smk/share_report.hpp"
#include "smk/transport.hpp"

namespace smk::transport {
namespace {

constexpr std::array<std::uint8_t, 4> kMagic{'S', 'M', 'K', 'T'};
constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kFingerprintAt = 5;
constexpr std::size_t kIdentifierAt = kFingerprintAt + kFingerprintBytes;
constexpr std::size_t kContextAt = kIdentifierAt + 2;

static_assert(kSealOverheadBytes == crypto_box_SEALBYTES);
static_assert(kPublicKeyBytes == crypto_box_PUBLICKEYBYTES);
static_assert(kContextAt + kContextHashBytes == kSealedHeaderBytes);

std::array<std::uint8_t, kContextHashBytes> context_hash(std::string_view context) {
    const Sha256 digest = sha256_text(context);
    std::array<std::uint8_t, kContextHashBytes> out{};
    std::copy_n(digest.begin(), out.size(), out.begin());
    return out;
}

void check_expectations(const slip39::ShareInfo& info, const Expectations& expect,
                        std::string_view source) {
    if (expect.identifier && *expect.identifier != info.identifier) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} is a share of identifier {}, not the expected {}: a share of "
                                "another split",
                                source, info.identifier, *expect.identifier));
    }
    if (expect.group && *expect.group != info.group_index) {
        throw Error(
            ErrorCategory::verification,
            fmt::format("{} is a share of {}, not the expected {}", source,
                        slip39::group_name(info.group_index), slip39::group_name(*expect.group)));
    }
}

}  // namespace

KeyFingerprint key_fingerprint(const PublicKey& key) {
    const Sha256 digest = sha256_bytes(key);
    KeyFingerprint out{};
    std::copy_n(digest.begin(), out.size(), out.begin());
    return out;
}

std::size_t sealed_size(std::size_t word_count) noexcept {
    return kSealOverheadBytes + kSealedHeaderBytes + card::share_record_size(word_count);
}

bool is_sealed_size(std::size_t bytes) noexcept {
    for (std::size_t secret = slip39::kMinSecretBytes; secret <= 64; secret += 2) {
        if (bytes ==
            kSealOverheadBytes + kSealedHeaderBytes + card::share_record_size_for_secret(secret)) {
            return true;
        }
    }
    return false;
}

FacilityKey FacilityKey::generate() {
    crypto_init();
    FacilityKey key;
    key.m_private = Secret(crypto_box_SECRETKEYBYTES);
    if (crypto_box_keypair(key.m_public.data(), key.m_private.data()) != 0) {
        throw Error(ErrorCategory::internal, "crypto_box_keypair failed");
    }
    return key;
}

void check_context(std::string_view context) {
    if (context.empty() || context.size() > kMaxContextBytes) {
        throw Error(ErrorCategory::usage,
                    fmt::format("the ceremony context must be 1 to {} bytes; this is {}",
                                kMaxContextBytes, context.size()));
    }
    for (std::size_t i = 0; i < context.size(); ++i) {
        const auto c = static_cast<unsigned char>(context[i]);
        if (c < 0x20 || c == 0x7F) {
            throw Error(ErrorCategory::usage,
                        fmt::format("the ceremony context has a control character at byte {}; "
                                    "it must be one line of text",
                                    i + 1));
        }
    }
}

SealedShare seal_share(const Secret& mnemonic, std::string_view source, const PublicKey& to,
                       std::string_view context, const Expectations& expect) {
    crypto_init();
    check_context(context);
    const Secret record = card::encode_share_record(mnemonic.text(), source);
    const auto decoded = card::decode_share_record(record.bytes(), source);
    check_expectations(decoded.info, expect, source);

    Secret plain(kSealedHeaderBytes + record.size());
    auto* p = plain.data();
    std::copy(kMagic.begin(), kMagic.end(), p);
    p[kMagic.size()] = kVersion;
    const KeyFingerprint fingerprint = key_fingerprint(to);
    std::copy(fingerprint.begin(), fingerprint.end(), p + kFingerprintAt);
    p[kIdentifierAt] = static_cast<std::uint8_t>(decoded.info.identifier >> 8);
    p[kIdentifierAt + 1] = static_cast<std::uint8_t>(decoded.info.identifier & 0xFF);
    const auto hash = context_hash(context);
    std::copy(hash.begin(), hash.end(), p + kContextAt);
    std::copy(record.bytes().begin(), record.bytes().end(), p + kSealedHeaderBytes);

    SealedShare out;
    out.info = decoded.info;
    out.bytes.resize(plain.size() + crypto_box_SEALBYTES);
    if (crypto_box_seal(out.bytes.data(), plain.data(), plain.size(), to.data()) != 0) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("the facility key {} is not a usable X25519 public key",
                                pgp_words(fingerprint)));
    }
    return out;
}

OpenedShare open_sealed(std::span<const std::uint8_t> sealed, const FacilityKey& key,
                        std::string_view context, std::string_view source,
                        const Expectations& expect) {
    crypto_init();
    check_context(context);
    if (!is_sealed_size(sealed.size())) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("{} is {} bytes; a sealed share is {} (a share of 33 words) or "
                                "{} (20 words): truncated or not a sealed share",
                                source, sealed.size(), sealed_size(33), sealed_size(20)));
    }
    const std::string this_key = pgp_words(key.fingerprint());
    Secret plain(sealed.size() - crypto_box_SEALBYTES);
    if (crypto_box_seal_open(plain.data(), sealed.data(), sealed.size(), key.public_key().data(),
                             FacilityKeyAccess::private_key(key).data()) != 0) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} does not open with this restore's facility key ({}): it was "
                                "sealed to another facility key, or changed after it was sealed",
                                source, this_key));
    }
    const auto* p = plain.data();
    if (!std::equal(kMagic.begin(), kMagic.end(), p) || p[kMagic.size()] != kVersion) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("{} opens, but is not an smk sealed share of version {} (magic "
                                "SMKT, version byte {})",
                                source, kVersion, p[kMagic.size()]));
    }
    const KeyFingerprint fingerprint = key.fingerprint();
    if (!std::equal(fingerprint.begin(), fingerprint.end(), p + kFingerprintAt)) {
        throw Error(
            ErrorCategory::verification,
            fmt::format("{} names facility key {}, not this restore's ({}): its sealer "
                        "was told another key",
                        source, pgp_words({p + kFingerprintAt, kFingerprintBytes}), this_key));
    }
    const auto hash = context_hash(context);
    if (!std::equal(hash.begin(), hash.end(), p + kContextAt)) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} was sealed for another ceremony context, not \"{}\": a "
                                "sealed share of another ceremony (or a mistyped context)",
                                source, context));
    }
    auto decoded = card::decode_share_record(plain.bytes().subspan(kSealedHeaderBytes), source);
    const auto identifier =
        static_cast<std::uint16_t>((p[kIdentifierAt] << 8) | p[kIdentifierAt + 1]);
    if (identifier != decoded.info.identifier) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("{}: its header says identifier {}, its share {}", source,
                                identifier, decoded.info.identifier));
    }
    check_expectations(decoded.info, expect, source);
    return OpenedShare{decoded.info, std::move(decoded.mnemonic)};
}

}  // namespace smk::transport
