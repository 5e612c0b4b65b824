// On-card attestation: the OpenPGP authentication key generated on the card,
// its public key as a SubjectPublicKeyInfo, the attestation message, and the
// check of the card's answer (docs/FORMAT.md "Card attestation").

#include "attest.hpp"

#include <fmt/core.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <optional>

#include "open_card.hpp"
#include "openpgp.hpp"
#include "smk/card.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/random.hpp"
#include "smk/sha256.hpp"

namespace smk::card {
namespace {

constexpr std::string_view kMessageHeader = "smk-attest-v1\n";
constexpr unsigned kMinRsaBits = 2048;
// DigestInfo of SHA-256 (RFC 8017, 9.2 note 1): what the card pads and signs.
constexpr std::array<std::uint8_t, 19> kSha256DigestInfo = {
    0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
    0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
constexpr std::uint8_t kPubkeyAlgoRsa = 1;  // OpenPGP (RFC 4880, 9.1)

struct PkeyFree {
    void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
struct BioFree {
    void operator()(BIO* bio) const noexcept { BIO_free(bio); }
};
struct MdCtxFree {
    void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey pkey_of(const PublicKey& key) {
    const unsigned char* p = key.der.data();
    return Pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(key.der.size())));
}

// DER of a key (SubjectPublicKeyInfo), or empty.
std::vector<std::uint8_t> spki_der(EVP_PKEY* key) {
    const int len = i2d_PUBKEY(key, nullptr);
    if (len <= 0) {
        return {};
    }
    std::vector<std::uint8_t> der(static_cast<std::size_t>(len));
    unsigned char* p = der.data();
    if (i2d_PUBKEY(key, &p) != len) {
        return {};
    }
    return der;
}

std::span<const std::uint8_t> strip_zeros(std::span<const std::uint8_t> bytes) {
    while (!bytes.empty() && bytes.front() == 0) {
        bytes = bytes.subspan(1);
    }
    return bytes;
}

// The RSA public key in a 7F49 template (81 modulus, 82 exponent). Error(device)
// naming the card for anything else (an ECC key: 86).
PublicKey key_from_template(std::span<const std::uint8_t> templ, const std::string& label) {
    const auto n = find_tlv(templ, 0x81);
    const auto e = find_tlv(templ, 0x82);
    if (!n || !e || n->empty() || e->empty()) {
        throw Error(ErrorCategory::device,
                    fmt::format("the authentication key of {} is not an RSA key (its public key "
                                "template has no modulus and exponent); smk attests with RSA "
                                "keys: generate one with 'smk card keygen --overwrite-key'",
                                label));
    }
    std::unique_ptr<BIGNUM, decltype(&BN_free)> bn_n(
        BN_bin2bn(n->data(), static_cast<int>(n->size()), nullptr), &BN_free);
    std::unique_ptr<BIGNUM, decltype(&BN_free)> bn_e(
        BN_bin2bn(e->data(), static_cast<int>(e->size()), nullptr), &BN_free);
    std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> build(OSSL_PARAM_BLD_new(),
                                                                          &OSSL_PARAM_BLD_free);
    if (!bn_n || !bn_e || !build ||
        OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
        throw Error(ErrorCategory::internal, "OpenSSL could not hold an RSA public key");
    }
    std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(
        OSSL_PARAM_BLD_to_param(build.get()), &OSSL_PARAM_free);
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
        EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr), &EVP_PKEY_CTX_free);
    EVP_PKEY* raw = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
        throw Error(
            ErrorCategory::device,
            fmt::format("the authentication public key of {} is not a valid RSA key", label));
    }
    const Pkey key(raw);
    PublicKey out{spki_der(key.get())};
    if (out.der.empty()) {
        throw Error(ErrorCategory::internal, "OpenSSL could not encode an RSA public key");
    }
    if (out.bits() < kMinRsaBits) {
        throw Error(ErrorCategory::device,
                    fmt::format("the authentication key of {} has {} bits; smk attests with RSA "
                                "keys of at least {} bits",
                                label, out.bits(), kMinRsaBits));
    }
    return out;
}

// OpenPGP v4 fingerprint of an RSA key created at `created` (RFC 4880, 12.2):
// SHA-1 of 0x99, a 2-byte length, then the public-key packet body. GnuPG
// computes the same from the card's key and the time in D0.
std::array<std::uint8_t, 20> openpgp_fingerprint(std::span<const std::uint8_t> n,
                                                 std::span<const std::uint8_t> e,
                                                 std::uint32_t created) {
    std::vector<std::uint8_t> body = {4,
                                      static_cast<std::uint8_t>(created >> 24),
                                      static_cast<std::uint8_t>(created >> 16),
                                      static_cast<std::uint8_t>(created >> 8),
                                      static_cast<std::uint8_t>(created),
                                      kPubkeyAlgoRsa};
    for (auto mpi : {strip_zeros(n), strip_zeros(e)}) {
        const unsigned bits = mpi.empty()
                                  ? 0
                                  : static_cast<unsigned>((mpi.size() - 1) * 8) +
                                        static_cast<unsigned>(32 - __builtin_clz(mpi.front()));
        body.push_back(static_cast<std::uint8_t>(bits >> 8));
        body.push_back(static_cast<std::uint8_t>(bits));
        body.insert(body.end(), mpi.begin(), mpi.end());
    }
    std::vector<std::uint8_t> packet = {0x99, static_cast<std::uint8_t>(body.size() >> 8),
                                        static_cast<std::uint8_t>(body.size())};
    packet.insert(packet.end(), body.begin(), body.end());
    std::array<std::uint8_t, 20> fpr{};
    unsigned int len = 0;
    if (EVP_Digest(packet.data(), packet.size(), fpr.data(), &len, EVP_sha1(), nullptr) != 1 ||
        len != fpr.size()) {
        throw Error(ErrorCategory::internal, "OpenSSL could not compute SHA-1");
    }
    return fpr;
}

// A C0 or C1 control character, DEL, or invalid UTF-8 in `text`.
bool printable_utf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7F) {
            return false;
        }
        std::size_t extra = 0;
        if (c < 0x80) {
            extra = 0;
        } else if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
            extra = 1;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2;
        } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
            extra = 3;
        } else {
            return false;
        }
        if (i + extra >= text.size() && extra > 0) {
            return false;  // truncated sequence
        }
        for (std::size_t k = 1; k <= extra; ++k) {
            if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) {
                return false;
            }
        }
        if (extra == 1 && static_cast<unsigned char>(text[i + 1]) < 0xA0 && c == 0xC2) {
            return false;  // C1 controls U+0080..U+009F
        }
        i += extra + 1;
    }
    return true;
}

}  // namespace

// --- PublicKey -------------------------------------------------------------------

std::string PublicKey::pem() const {
    const Pkey key = pkey_of(*this);
    const std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
    if (!key || !bio || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1) {
        throw Error(ErrorCategory::internal, "OpenSSL could not write a public key as PEM");
    }
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

std::string PublicKey::sha256_hex() const {
    return to_hex(sha256_bytes(der));
}

unsigned PublicKey::bits() const {
    const Pkey key = pkey_of(*this);
    return key ? static_cast<unsigned>(EVP_PKEY_get_bits(key.get())) : 0;
}

PublicKey parse_public_key(std::span<const std::uint8_t> pem_or_der, std::string_view source) {
    Pkey key;
    const std::string_view text(reinterpret_cast<const char*>(pem_or_der.data()),
                                pem_or_der.size());
    if (text.find("-----BEGIN PUBLIC KEY-----") != std::string_view::npos) {
        const std::unique_ptr<BIO, BioFree> bio(
            BIO_new_mem_buf(pem_or_der.data(), static_cast<int>(pem_or_der.size())));
        key.reset(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    } else {
        const unsigned char* p = pem_or_der.data();
        key.reset(d2i_PUBKEY(nullptr, &p, static_cast<long>(pem_or_der.size())));
    }
    if (!key) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("{} is not a public key (PEM \"PUBLIC KEY\" or DER "
                                "SubjectPublicKeyInfo); give the file 'smk card keygen' wrote",
                                source));
    }
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA ||
        EVP_PKEY_get_bits(key.get()) < static_cast<int>(kMinRsaBits)) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("{} is not an RSA public key of at least {} bits, as cards' "
                                "authentication keys are",
                                source, kMinRsaBits));
    }
    return PublicKey{spki_der(key.get())};
}

// --- The message ------------------------------------------------------------------

Challenge fresh_challenge() {
    Challenge challenge{};
    system_random().fill(challenge);
    return challenge;
}

Challenge parse_challenge(std::string_view hex) {
    Challenge challenge{};
    if (hex.size() != 2 * kChallengeBytes || !decode_public_hex(hex, challenge)) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("the challenge must be {} hex digits ({} bytes); it has {} "
                                "characters",
                                2 * kChallengeBytes, kChallengeBytes, hex.size()));
    }
    return challenge;
}

void check_attest_context(std::string_view context) {
    if (context.size() > kMaxAttestContext) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("the attestation context has {} bytes; at most {} are allowed "
                                "(name the plan or issuance briefly)",
                                context.size(), kMaxAttestContext));
    }
    if (!printable_utf8(context)) {
        throw Error(ErrorCategory::invalid_input,
                    "the attestation context must be one line of printable text (UTF-8, no "
                    "control characters or line breaks)");
    }
}

std::string attestation_message(std::string_view card_serial, std::string_view context,
                                const Challenge& challenge) {
    check_attest_context(context);
    std::string message(kMessageHeader);
    message += fmt::format("card: {}\n", card_serial);
    if (!context.empty()) {
        message += fmt::format("context: {}\n", context);
    }
    message += fmt::format("challenge: {}\n", to_hex(challenge));
    return message;
}

bool attestation_valid(const PublicKey& key, std::string_view message,
                       std::span<const std::uint8_t> signature) {
    const Pkey pkey = pkey_of(key);
    const std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    if (!pkey || !ctx ||
        EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, pkey.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
        return false;
    }
    return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                            reinterpret_cast<const unsigned char*>(message.data()),
                            message.size()) == 1;
}

void check_attestation(const PublicKey& expected, const Attestation& attestation) {
    if (attestation_valid(expected, attestation.message, attestation.signature)) {
        return;
    }
    std::string why;
    if (attestation.card_key && *attestation.card_key != expected) {
        why = fmt::format(
            "the card's authentication key (SHA-256 {}) is not the expected one (SHA-256 {}): "
            "a card from another issuance, or its key was replaced",
            attestation.card_key->sha256_hex(), expected.sha256_hex());
    } else if (attestation.card_key) {
        why =
            "the card reports the expected key but its answer does not verify: a faulty or "
            "counterfeit card";
    } else {
        why = "the card has no authentication key";
    }
    throw Error(ErrorCategory::verification,
                fmt::format("attestation FAILED for {}: {}. Do not accept this card as the "
                            "holder's; find the card issued to them",
                            attestation.card, why));
}

// --- The card -------------------------------------------------------------------

struct AuthKeyCard::Impl : OpenCard {
    using OpenCard::OpenCard;
};

AuthKeyCard::AuthKeyCard(const std::string& reader) : m_impl(std::make_unique<Impl>(reader)) {}
AuthKeyCard::~AuthKeyCard() = default;
AuthKeyCard::AuthKeyCard(AuthKeyCard&&) noexcept = default;
AuthKeyCard& AuthKeyCard::operator=(AuthKeyCard&&) noexcept = default;

const std::string& AuthKeyCard::label() const noexcept {
    return m_impl->app.label();
}
const std::string& AuthKeyCard::serial() const noexcept {
    return m_impl->app.serial();
}

std::optional<PublicKey> AuthKeyCard::public_key() {
    return auth_public_key(m_impl->app);
}

PublicKey AuthKeyCard::generate(const Secret& admin_pin, bool overwrite, bool allow_last_try) {
    return generate_auth_key(m_impl->app, admin_pin, overwrite, allow_last_try);
}

Attestation AuthKeyCard::attest(const Secret& pin, std::string_view context,
                                const Challenge& challenge, bool allow_last_try) {
    Attestation result = attestation_request(m_impl->app, context, challenge);
    m_impl->app.verify_pw1(pin, allow_last_try);
    answer_attestation(m_impl->app, result);
    return result;
}

// --- On any open card -----------------------------------------------------------

std::optional<PublicKey> auth_public_key(OpenPgpApp& app) {
    const auto templ = app.read_public_key(kAuthKeyCrt);
    if (templ.empty()) {
        return std::nullopt;
    }
    return key_from_template(templ, app.label());
}

PublicKey generate_auth_key(OpenPgpApp& app, const Secret& admin_pin, bool overwrite,
                            bool allow_last_try) {
    // Checked before the PIN: a refusal costs no try and sends nothing.
    if (!overwrite && app.key_present(kAuthKeyCrt)) {
        const auto old = auth_public_key(app);
        throw Error(ErrorCategory::refused,
                    fmt::format("{} already holds an authentication key{}; nothing was changed. "
                                "A new key makes the public key recorded for this card useless: "
                                "to replace it anyway, run again with --overwrite-key",
                                app.label(),
                                old ? fmt::format(" (public key SHA-256 {})", old->sha256_hex())
                                    : std::string()));
    }
    // The slot must be set to RSA 2048, the key smk checks signatures with; a
    // slot switched to ECC (`gpg --card-edit`, key-attr) would make the card
    // replace its key with one smk then refuses. Checked before the PIN.
    const auto attributes = app.algorithm_attributes(0xC3);
    if (attributes.size() < 3 || attributes[0] != 0x01 || attributes[1] != 0x08 ||
        attributes[2] != 0x00) {
        throw Error(
            ErrorCategory::device,
            fmt::format("the authentication key slot of {} is set to {} (algorithm "
                        "attributes C3), not RSA 2048, which smk generates and checks; "
                        "nothing was sent to the card. Set the slot to RSA 2048 ('gpg "
                        "--card-edit', admin, key-attr) and run again",
                        app.label(),
                        attributes.empty() ? std::string("an unknown algorithm")
                                           : fmt::format("algorithm {:02X}", attributes[0])));
    }
    app.verify_pw3(admin_pin, allow_last_try);
    const auto templ = app.generate_key(kAuthKeyCrt);
    const PublicKey generated = key_from_template(templ, app.label());
    // Self-check: the card must now report the key it just returned.
    const auto back = auth_public_key(app);
    if (!back || *back != generated) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} generated an authentication key but reports a different one "
                                "when read back; do not use this card",
                                app.label()));
    }
    // Fingerprint and creation time, as GnuPG writes them after generation.
    const auto created =
        static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
    const auto fpr = openpgp_fingerprint(*find_tlv(templ, 0x81), *find_tlv(templ, 0x82), created);
    const std::array<std::uint8_t, 4> time = {
        static_cast<std::uint8_t>(created >> 24), static_cast<std::uint8_t>(created >> 16),
        static_cast<std::uint8_t>(created >> 8), static_cast<std::uint8_t>(created)};
    app.put_data(0x00C9, fpr);
    app.put_data(0x00D0, time);
    return generated;
}

Attestation attestation_request(OpenPgpApp& app, std::string_view context,
                                const Challenge& challenge) {
    Attestation result;
    result.card = app.label();
    result.serial = app.serial();
    result.message = attestation_message(app.serial(), context, challenge);
    result.card_key = auth_public_key(app);
    // Checked before the PIN: without a key the card cannot answer, and a PIN try
    // would be spent for nothing.
    if (!result.card_key) {
        throw Error(ErrorCategory::device,
                    fmt::format("{} has no authentication key to answer with; nothing was sent "
                                "to the card. A card issued with attestation has one ('smk card "
                                "keygen' at issuance): is this the holder's card?",
                                app.label()));
    }
    return result;
}

void answer_attestation(OpenPgpApp& app, Attestation& request) {
    std::vector<std::uint8_t> digest_info(kSha256DigestInfo.begin(), kSha256DigestInfo.end());
    const Sha256 digest = sha256_text(request.message);
    digest_info.insert(digest_info.end(), digest.begin(), digest.end());
    request.signature = app.internal_authenticate(digest_info);
}

}  // namespace smk::card
