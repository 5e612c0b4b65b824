#pragma once
// What the key pair tests share: pkcs11-tool on a private SoftHSM2 token, key
// pairs made by it, their public keys as DER checked by openssl, a signature made on
// the token and verified by openssl, the test SMK installed, keys counted by label.

#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "cli/fixtures.hpp"
#include "hsm_keys.hpp"
#include "smk/hex.hpp"
#include "smk/hsm.hpp"
#include "token_raw.hpp"

namespace smk_test {

inline ProcessResult pkcs11_tool(const std::string& token, const std::vector<std::string>& args) {
    Command command({"pkcs11-tool", "--module", kSoftHsmModule, "--token-label", token, "--login",
                     "--pin", kPin});
    command.argv.insert(command.argv.end(), args.begin(), args.end());
    return run_process(command);
}

inline void require_tool(const ProcessResult& r, const std::string& what) {
    INFO(what << ": " << r.out << r.err);
    REQUIRE(r.shell_status() == 0);
}

// A key pair made by pkcs11-tool: "rsa:2048", "EC:prime256v1", ...; id "" for none.
inline void make_key_pair(const std::string& token, const std::string& key_type,
                          const std::string& label, const std::string& id) {
    std::vector<std::string> args = {"--keypairgen", "--key-type",    key_type,      "--label",
                                     label,          "--extractable", "--usage-sign"};
    if (!id.empty()) {
        args.insert(args.end(), {"--id", id});
    }
    require_tool(pkcs11_tool(token, args), "pkcs11-tool --keypairgen " + key_type);
}

// An EC public key as DER SubjectPublicKeyInfo: the RFC 5480 prefix of its curve and
// the point from CKA_EC_POINT (a DER OCTET STRING). pkcs11-tool 0.23 cannot export a
// P-384 key ("cannot create EVP_PKEY"), so the test builds it; for P-256 it checks
// the build against pkcs11-tool's export.
inline std::string ec_public_key_der(const std::string& token, const std::string& label,
                                     bool p384) {
    OpenToken t(token);
    auto& s = t.raw();
    CK_OBJECT_CLASS public_class = CKO_PUBLIC_KEY;
    CK_ATTRIBUTE match[] = {smk::pkcs11::attribute(CKA_CLASS, public_class),
                            smk::pkcs11::attribute_text(CKA_LABEL, label)};
    const auto found = smk::pkcs11::find_objects(s, match);
    REQUIRE(found.size() == 1);
    const auto point = smk::pkcs11::get_attribute(s, found[0], CKA_EC_POINT);
    REQUIRE(point.has_value());
    REQUIRE(point->size() == (p384 ? 99U : 67U));
    const std::string prefix = p384 ? "3076301006072a8648ce3d020106052b81040022036200"
                                    : "3059301306072a8648ce3d020106082a8648ce3d030107034200";
    std::string der;
    for (std::size_t i = 0; i < prefix.size(); i += 2) {
        der.push_back(static_cast<char>(std::stoi(prefix.substr(i, 2), nullptr, 16)));
    }
    der.append(point->begin() + 2, point->end());
    return der;
}

// The public key as DER, checked by openssl, which also writes FILE.pem beside it.
inline std::string public_key_der(const std::string& token, const std::string& label, bool rsa,
                                  bool p384, const TempDir& dir) {
    const std::string file = dir / (token + "-" + label + ".der");
    if (rsa || !p384) {
        require_tool(
            pkcs11_tool(token, {"--read-object", "--type", "pubkey", "--label", label, "-o", file}),
            "pkcs11-tool --read-object " + label);
    }
    if (!rsa) {
        const std::string built = ec_public_key_der(token, label, p384);
        if (!p384) {
            REQUIRE(read_file(file) == built);
        }
        write_file(file, built);
    }
    require_tool(run_process(Command({"openssl", "pkey", "-pubin", "-inform", "DER", "-in", file,
                                      "-out", file + ".pem"})),
                 "openssl pkey " + label);
    return read_file(file);
}

// Signs a message on the token and verifies it with openssl against a public key in
// PEM: true if openssl says "Verified OK". pkcs11-tool signs the EC keys (ECDSA over a
// SHA-256 digest, the key chosen by `id`); it signs RSA only part by part, which
// SoftHSM2 2.6.1 on OpenSSL 3 fails (CKR_GENERAL_ERROR), so the RSA signature is one
// C_Sign with CKM_SHA256_RSA_PKCS, the token's own.
inline bool signs_verifiably(const std::string& token, const std::string& label,
                             const std::string& id, bool rsa, const std::string& public_pem,
                             const TempDir& dir) {
    const std::string message = dir / "message";
    const std::string text = "KSK test message signed at the second facility\n";
    const std::string signature = dir / (token + "-" + label + ".sig");
    write_file(message, text);
    if (rsa) {
        OpenToken t(token);
        auto& s = t.raw();
        CK_OBJECT_CLASS private_class = CKO_PRIVATE_KEY;
        CK_ATTRIBUTE match[] = {smk::pkcs11::attribute(CKA_CLASS, private_class),
                                smk::pkcs11::attribute_text(CKA_LABEL, label)};
        const auto found = smk::pkcs11::find_objects(s, match);
        REQUIRE(found.size() == 1);
        CK_MECHANISM mechanism{CKM_SHA256_RSA_PKCS, nullptr, 0};
        REQUIRE(s.f().C_SignInit(s.handle, &mechanism, found[0]) == CKR_OK);
        std::vector<std::uint8_t> data(text.begin(), text.end());
        std::vector<std::uint8_t> out(1024);
        CK_ULONG length = out.size();
        REQUIRE(s.f().C_Sign(s.handle, data.data(), data.size(), out.data(), &length) == CKR_OK);
        write_file(signature, std::string(out.begin(), out.begin() + static_cast<long>(length)));
    } else {
        const std::string digest = dir / "message.sha256";
        require_tool(run_process(Command(
                         {"openssl", "dgst", "-sha256", "-binary", "-out", digest, message})),
                     "openssl dgst");
        // pkcs11-tool --sign picks the key by --id (it ignores --label).
        REQUIRE(!id.empty());
        require_tool(pkcs11_tool(token, {"--sign", "--id", id, "-m", "ECDSA", "-i", digest, "-o",
                                         signature, "--signature-format", "openssl"}),
                     "pkcs11-tool --sign " + label);
    }
    const auto verify = run_process(Command(
        {"openssl", "dgst", "-sha256", "-verify", public_pem, "-signature", signature, message}));
    const bool verified = verify.shell_status() == 0 && contains(verify.out, "Verified OK");
    if (!verified) {
        MESSAGE("openssl dgst -verify for " << label << " on " << token << ": " << verify.out
                                            << verify.err);
    }
    return verified;
}

inline void install_smk(const std::string& token) {
    OpenToken t(token);
    (void)smk::hsm::install_smk(t.session, smk::from_hex_secret(kSecretHex, "test SMK"),
                                {"smk", {}, false});
}

inline std::size_t keys_labelled(const std::string& token, const std::string& label) {
    OpenToken t(token);
    return smk::hsm::detail::find_keys_labelled(t.raw(), label).size();
}

}  // namespace smk_test
