// The authentication key of the emulated card (OpenPGP card 3.4, 7.2.10 and
// 7.2.14): GENERATE ASYMMETRIC KEY PAIR makes an RSA-2048 key on the card (the
// factory algorithm attributes C1-C3 say RSA 2048 on every profile) and returns only
// its public part; INTERNAL AUTHENTICATE signs what the host sends with PKCS#1
// v1.5 type-1 padding, as real cards do (the host sends a DigestInfo). The
// fingerprint (C7-C9) and generation time (CE-D0) are written by the host with
// PUT DATA after generation, as GnuPG does (scd/app-openpgp.c store_fpr): the
// card cannot compute an OpenPGP fingerprint, which depends on the creation
// time the host chooses. They read back in C5, CD and the key information DE.
//
// The private key is a Secret in memory and a `key A4 <DER hex>` line in the
// state file; OpenSSL holds a copy only while it signs or encodes.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <array>
#include <memory>

#include "openpgp_card.hpp"

namespace smk::cardsim {
namespace {

constexpr std::uint8_t kAuthCrt = 0xA4;
constexpr std::size_t kRsaBits = 2048;
// OpenPGP card 3.4, 7.2.10: the authentication input is at most 40 % of the modulus.
constexpr std::size_t kMaxAuthInput = kRsaBits / 8 * 40 / 100;
constexpr std::uint16_t kFunctionNotSupported = 0x6A81;

struct PkeyFree {
    void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
struct CtxFree {
    void operator()(EVP_PKEY_CTX* ctx) const noexcept { EVP_PKEY_CTX_free(ctx); }
};
struct BnFree {
    void operator()(BIGNUM* bn) const noexcept { BN_free(bn); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bn = std::unique_ptr<BIGNUM, BnFree>;

// Slot index 0..2 of a CRT tag (B6 signature, B8 decryption, A4 authentication).
int slot_of(std::uint8_t crt) noexcept {
    return crt == 0xB6 ? 0 : (crt == 0xB8 ? 1 : (crt == 0xA4 ? 2 : -1));
}

Pkey load_key(const Secret& der) {
    const unsigned char* p = der.data();
    Pkey key(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())));
    return key;
}

// The private key as DER, straight into a Secret.
Secret key_der(EVP_PKEY* key) {
    const int len = i2d_PrivateKey(key, nullptr);
    if (len <= 0) {
        return {};
    }
    Secret der(static_cast<std::size_t>(len));
    unsigned char* p = der.data();
    if (i2d_PrivateKey(key, &p) != len) {
        return {};
    }
    return der;
}

std::vector<std::uint8_t> bn_bytes(EVP_PKEY* key, const char* name) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) {
        return {};
    }
    const Bn bn(raw);
    std::vector<std::uint8_t> out(static_cast<std::size_t>(BN_num_bytes(bn.get())));
    BN_bn2bin(bn.get(), out.data());
    return out;
}

// 7F49 { 81 modulus, 82 public exponent } (OpenPGP card 3.4, 7.2.14).
std::vector<std::uint8_t> public_template(EVP_PKEY* key) {
    const auto n = bn_bytes(key, OSSL_PKEY_PARAM_RSA_N);
    const auto e = bn_bytes(key, OSSL_PKEY_PARAM_RSA_E);
    if (n.empty() || e.empty()) {
        return {};
    }
    std::vector<std::uint8_t> body;
    append_tlv(body, 0x81, n);
    append_tlv(body, 0x82, e);
    std::vector<std::uint8_t> out;
    append_tlv(out, 0x7F49, body);
    return out;
}

}  // namespace

// P1 80: generate (after VERIFY PW3, 7.2.14) a new key in the slot the CRT
// names, replacing any old one, and return its public key. Only the
// authentication slot (A4) generates: the emulator does no PSO, so keys in the
// other slots would be useless (6A81). A new key has no fingerprint or
// generation time until the host writes them.
// P1 81: read the public key (always allowed): the generated key, else a
// template stored by hand as `do B600|B800|A400` (tests/smartcard/test_card_gnupg.cpp
// gives a card a decryption key that way), else 6A88.
Response OpenPgpCard::generate_key_pair(const CommandApdu& apdu) {
    if (apdu.p2 != 0 || (apdu.p1 != 0x80 && apdu.p1 != 0x81)) {
        return status_only(sw::incorrect_p1p2);
    }
    if (apdu.data.size() != 2 || apdu.data[1] != 0 || slot_of(apdu.data[0]) < 0) {
        return status_only(sw::wrong_data);
    }
    const std::uint8_t crt = apdu.data[0];
    if (apdu.p1 == 0x81) {
        if (const auto key = m_state.keys.find(crt); key != m_state.keys.end()) {
            const Pkey loaded = load_key(key->second);
            const auto templ = loaded ? public_template(loaded.get()) : std::vector<std::uint8_t>{};
            return templ.empty() ? status_only(0x6F00) : ok_with(templ);
        }
        const auto stored = m_state.objects.find(static_cast<std::uint16_t>(crt << 8));
        if (stored == m_state.objects.end() || stored->second.empty()) {
            return status_only(sw::data_not_found);
        }
        return ok_with(stored->second.bytes());
    }
    if (crt != kAuthCrt) {  // what the card cannot do, whatever the PINs
        return status_only(kFunctionNotSupported);
    }
    if (!m_pw3) {
        return status_only(sw::security_not_satisfied);
    }
    const Pkey key(EVP_RSA_gen(kRsaBits));
    Secret der = key ? key_der(key.get()) : Secret{};
    const auto templ = key ? public_template(key.get()) : std::vector<std::uint8_t>{};
    if (der.empty() || templ.empty()) {
        return status_only(0x6F00);  // no precise diagnosis
    }
    const int slot = slot_of(crt);
    m_state.keys.insert_or_assign(crt, std::move(der));
    m_state.objects.erase(static_cast<std::uint16_t>(crt << 8));
    m_state.objects.erase(static_cast<std::uint16_t>(0x00C7 + slot));
    m_state.objects.erase(static_cast<std::uint16_t>(0x00CE + slot));
    save();
    return ok_with(templ);
}

// INTERNAL AUTHENTICATE (7.2.13): P1 P2 00 00, after VERIFY PW1 in mode 82
// (or PW3 on a profile whose card allows it); the data (a DigestInfo, at most
// 40 % of the modulus) is signed with the authentication key: PKCS#1 v1.5
// type-1 padding, RSA private operation.
Response OpenPgpCard::internal_authenticate(const CommandApdu& apdu) {
    if (apdu.p1 != 0 || apdu.p2 != 0) {
        return status_only(sw::incorrect_p1p2);
    }
    if (!m_pw1_other && !(m_pw3 && m_config.profile->internal_authenticate_with_pw3)) {
        return status_only(sw::security_not_satisfied);
    }
    const auto stored = m_state.keys.find(kAuthCrt);
    if (stored == m_state.keys.end()) {
        return status_only(sw::data_not_found);
    }
    if (apdu.data.empty() || apdu.data.size() > kMaxAuthInput) {
        return status_only(sw::wrong_length);
    }
    const Pkey key = load_key(stored->second);
    const std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(key ? EVP_PKEY_CTX_new(key.get(), nullptr)
                                                         : nullptr);
    std::size_t length = 0;
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_sign(ctx.get(), nullptr, &length, apdu.data.data(), apdu.data.size()) != 1) {
        return status_only(0x6F00);
    }
    Response r;
    r.data = Secret(length);
    if (EVP_PKEY_sign(ctx.get(), r.data.data(), &length, apdu.data.data(), apdu.data.size()) != 1 ||
        length != r.data.size()) {
        return status_only(0x6F00);
    }
    return r;
}

bool OpenPgpCard::is_key_object(std::uint16_t tag) noexcept {
    return (tag >= 0x00C7 && tag <= 0x00C9) || (tag >= 0x00CE && tag <= 0x00D0);
}

// PUT DATA C7-C9 (fingerprint, 20 bytes) and CE-D0 (generation time, 4 bytes):
// PW3, as every key-management object (4.4.1).
Response OpenPgpCard::put_key_object(const CommandApdu& apdu) {
    const std::uint16_t tag = apdu.p1p2();
    if (!m_pw3) {
        return status_only(sw::security_not_satisfied);
    }
    const std::size_t size = tag <= 0x00C9 ? 20 : 4;
    if (apdu.data.size() != size) {
        return status_only(sw::wrong_length);
    }
    m_state.objects.insert_or_assign(tag, Secret::copy_of(apdu.data));
    save();
    return status_only(sw::ok);
}

// C5 (three fingerprints), CD (three generation times), DE (key information:
// 01 generated for a key made on the card, else 00 absent).
std::vector<std::uint8_t> OpenPgpCard::key_objects(std::uint16_t tag) const {
    std::vector<std::uint8_t> out;
    if (tag == 0x00DE) {
        for (const std::uint8_t crt : std::array<std::uint8_t, 3>{0xB6, 0xB8, 0xA4}) {
            out.push_back(static_cast<std::uint8_t>(slot_of(crt) + 1));
            out.push_back(m_state.keys.count(crt) != 0 ? 0x01 : 0x00);
        }
        return out;
    }
    const std::uint16_t first = tag == 0x00C5 ? 0x00C7 : 0x00CE;
    const std::size_t size = tag == 0x00C5 ? 20 : 4;
    for (std::uint16_t each = first; each < first + 3; ++each) {
        const auto it = m_state.objects.find(each);
        if (it != m_state.objects.end() && it->second.size() == size) {
            out.insert(out.end(), it->second.bytes().begin(), it->second.bytes().end());
        } else {
            out.insert(out.end(), size, 0x00);
        }
    }
    return out;
}

}  // namespace smk::cardsim
