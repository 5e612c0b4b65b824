// The public key of a token key pair as DER SubjectPublicKeyInfo, built by OpenSSL
// (EVP_PKEY_fromdata) from the values the token states, so a public key exported at
// one facility is compared byte for byte with one at another, and openssl reads it.

#include <fmt/core.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

#include "backup_file.hpp"
#include "hsm_keys.hpp"
#include "pkcs11_raw.hpp"
#include "smk/error.hpp"
#include "smk/hsm.hpp"

namespace smk::hsm {

using pkcs11::attribute;
using pkcs11::attribute_text;

namespace {

struct Free {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
    void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
    void operator()(OSSL_PARAM_BLD* bld) const { OSSL_PARAM_BLD_free(bld); }
    void operator()(OSSL_PARAM* params) const { OSSL_PARAM_free(params); }
    void operator()(BIGNUM* bn) const { BN_free(bn); }
};

[[noreturn]] void openssl_failed(std::string_view label) {
    throw Error(ErrorCategory::internal,
                fmt::format("OpenSSL could not build the public key of \"{}\" from the values "
                            "the token states",
                            label));
}

}  // namespace

std::vector<std::uint8_t> public_key_der(pkcs11::Session& session, std::string_view label) {
    auto& s = pkcs11::raw(session);
    CK_OBJECT_CLASS public_class = CKO_PUBLIC_KEY;
    CK_OBJECT_CLASS private_class = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE public_match[] = {attribute(CKA_CLASS, public_class),
                                   attribute_text(CKA_LABEL, label)};
    CK_ATTRIBUTE private_match[] = {attribute(CKA_CLASS, private_class),
                                    attribute_text(CKA_LABEL, label)};
    auto objects = pkcs11::find_objects(s, public_match);
    if (objects.empty()) {
        objects = pkcs11::find_objects(s, private_match);
    }
    if (objects.empty()) {
        throw Error(ErrorCategory::usage,
                    fmt::format("{} holds no public or private key labelled \"{}\" (pkcs11-tool "
                                "--list-objects shows what it holds)",
                                s.name, label));
    }
    if (objects.size() != 1) {
        throw Error(ErrorCategory::usage,
                    fmt::format("{} holds {} key pairs labelled \"{}\"; a label must name one",
                                s.name, objects.size(), label));
    }
    const CK_OBJECT_HANDLE object = objects.front();
    const auto type = pkcs11::get_ulong(s, object, CKA_KEY_TYPE).value_or(0xFFFFFFFFUL);
    std::unique_ptr<OSSL_PARAM_BLD, Free> bld(OSSL_PARAM_BLD_new());
    std::unique_ptr<BIGNUM, Free> n;
    std::unique_ptr<BIGNUM, Free> e;
    std::vector<std::uint8_t> point;
    // OSSL_PARAM_BLD keeps pointers to what is pushed until OSSL_PARAM_BLD_to_param, so
    // the point and the group name live as long as the builder.
    std::string curve;
    const auto value = [&](CK_ATTRIBUTE_TYPE attribute_type, const char* what) {
        auto bytes = pkcs11::get_attribute(s, object, attribute_type);
        if (!bytes || bytes->empty()) {
            throw Error(ErrorCategory::refused,
                        fmt::format("key \"{}\" on {} does not state its {}", label, s.name, what));
        }
        return *bytes;
    };
    const char* key_name = nullptr;
    if (type == CKK_RSA) {
        key_name = "RSA";
        const auto modulus = value(CKA_MODULUS, "modulus");
        const auto exponent = value(CKA_PUBLIC_EXPONENT, "public exponent");
        n.reset(BN_bin2bn(modulus.data(), static_cast<int>(modulus.size()), nullptr));
        e.reset(BN_bin2bn(exponent.data(), static_cast<int>(exponent.size()), nullptr));
        if (!bld || !n || !e ||
            OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
            OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
            openssl_failed(label);
        }
    } else if (type == CKK_EC) {
        key_name = "EC";
        // curve_name gives OpenSSL's group name ("P-256", "P-384", "P-521"), or "".
        curve = detail::curve_name(value(CKA_EC_PARAMS, "curve"));
        if (curve.empty()) {
            throw Error(ErrorCategory::refused,
                        fmt::format("key \"{}\" on {} is on a curve smk does not export (it "
                                    "exports P-256, P-384 and P-521)",
                                    label, s.name));
        }
        // CKA_EC_POINT is a DER OCTET STRING around the uncompressed point.
        const auto wrapped = value(CKA_EC_POINT, "public point");
        std::size_t header = 2;
        if (wrapped.size() > 2 && wrapped[1] == 0x81) {
            header = 3;
        }
        if (wrapped.size() <= header || wrapped[0] != 0x04) {
            throw Error(ErrorCategory::device,
                        fmt::format("key \"{}\" on {} states a public point smk cannot read", label,
                                    s.name));
        }
        point.assign(wrapped.begin() + static_cast<long>(header), wrapped.end());
        if (!bld ||
            OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve.c_str(),
                                            0) != 1 ||
            OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                             point.size()) != 1) {
            openssl_failed(label);
        }
    } else {
        throw Error(ErrorCategory::usage,
                    fmt::format("key \"{}\" on {} is not an RSA or EC key pair", label, s.name));
    }
    std::unique_ptr<OSSL_PARAM, Free> params(OSSL_PARAM_BLD_to_param(bld.get()));
    std::unique_ptr<EVP_PKEY_CTX, Free> ctx(EVP_PKEY_CTX_new_from_name(nullptr, key_name, nullptr));
    EVP_PKEY* built = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &built, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
        openssl_failed(label);
    }
    std::unique_ptr<EVP_PKEY, Free> key(built);
    const int length = i2d_PUBKEY(key.get(), nullptr);
    if (length <= 0) {
        openssl_failed(label);
    }
    std::vector<std::uint8_t> der(static_cast<std::size_t>(length));
    unsigned char* out = der.data();
    if (i2d_PUBKEY(key.get(), &out) != length) {
        openssl_failed(label);
    }
    return der;
}

}  // namespace smk::hsm
