// Key pairs (the KSK is an RSA pair) and every usage-flag combination through a
// wrapped key backup, on private SoftHSM2 tokens standing for two facilities'
// HSMs. pkcs11-tool (OpenSC) makes the pairs, lists and exports what was
// restored and signs with it; openssl checks the public keys and signatures.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "backup_file.hpp"
#include "cli/fixtures.hpp"
#include "hsm_keys.hpp"
#include "smk/hex.hpp"
#include "smk/hsm.hpp"
#include "token_raw.hpp"

namespace {

using smk::ErrorCategory;
using namespace smk_test;

ProcessResult pkcs11_tool(const std::string& token, const std::vector<std::string>& args) {
    Command command({"pkcs11-tool", "--module", kSoftHsmModule, "--token-label", token, "--login",
                     "--pin", kPin});
    command.argv.insert(command.argv.end(), args.begin(), args.end());
    return run_process(command);
}

void require_tool(const ProcessResult& r, const std::string& what) {
    INFO(what << ": " << r.out << r.err);
    REQUIRE(r.shell_status() == 0);
}

// A key pair made by pkcs11-tool: "rsa:2048", "EC:prime256v1", ...; id "" for none.
void make_key_pair(const std::string& token, const std::string& key_type, const std::string& label,
                   const std::string& id) {
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
std::string ec_public_key_der(const std::string& token, const std::string& label, bool p384) {
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
std::string public_key_der(const std::string& token, const std::string& label, bool rsa, bool p384,
                           const TempDir& dir) {
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
bool signs_verifiably(const std::string& token, const std::string& label, const std::string& id,
                      bool rsa, const std::string& public_pem, const TempDir& dir) {
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

void install_smk(const std::string& token) {
    OpenToken t(token);
    (void)smk::hsm::install_smk(t.session, smk::from_hex_secret(kSecretHex, "test SMK"),
                                {"smk", {}, false});
}

std::size_t keys_labelled(const std::string& token, const std::string& label) {
    OpenToken t(token);
    return smk::hsm::detail::find_keys_labelled(t.raw(), label).size();
}

// An AES key with the given usage flags (CKA_ENCRYPT, ... in kSecretKeyFlags order, first 7).
CK_OBJECT_HANDLE aes_key_with_flags(smk::pkcs11::SessionImpl& s, const std::string& label,
                                    unsigned flags, bool sensitive) {
    CK_MECHANISM generate{CKM_AES_KEY_GEN, nullptr, 0};
    CK_ULONG length = 16;
    CK_BBOOL yes = CK_TRUE;
    CK_BBOOL is_sensitive = sensitive ? CK_TRUE : CK_FALSE;
    std::vector<CK_BBOOL> values;
    values.reserve(7);
    std::vector<CK_ATTRIBUTE> key_template = {
        smk::pkcs11::attribute(CKA_VALUE_LEN, length),
        smk::pkcs11::attribute(CKA_TOKEN, yes),
        smk::pkcs11::attribute(CKA_PRIVATE, yes),
        smk::pkcs11::attribute(CKA_SENSITIVE, is_sensitive),
        smk::pkcs11::attribute(CKA_EXTRACTABLE, yes),
        smk::pkcs11::attribute_text(CKA_LABEL, label),
    };
    for (unsigned bit = 0; bit < 7; ++bit) {
        values.push_back((flags >> bit) & 1U ? CK_TRUE : CK_FALSE);
        key_template.push_back(
            {smk::hsm::detail::kSecretKeyFlags[bit].type, &values.back(), sizeof(CK_BBOOL)});
    }
    CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
    REQUIRE(s.f().C_GenerateKey(s.handle, &generate, key_template.data(), key_template.size(),
                                &key) == CKR_OK);
    return key;
}

}  // namespace

TEST_CASE("RSA and EC key pairs restored at another facility keep their public key and sign") {
    SoftHsm hsm({"facility-1:123456", "facility-2:123456"});
    const std::string backup = hsm.dir() / "ksk.smkwrap";
    struct Pair {
        std::string label;
        std::string key_type;
        std::string id;
        bool rsa;
        unsigned bits;
        std::string curve;
    };
    const std::vector<Pair> pairs = {
        {"ksk-2048", "rsa:2048", "20", true, 2048, ""},
        {"ksk-4096", "rsa:4096", "", true, 4096, ""},
        {"zsk-p256", "EC:prime256v1", "0256", false, 0, "P-256"},
        {"zsk-p384", "EC:secp384r1", "0384", false, 0, "P-384"},
    };
    for (const auto& pair : pairs) {
        make_key_pair("facility-1", pair.key_type, pair.label, pair.id);
    }
    install_smk("facility-1");
    install_smk("facility-2");
    std::vector<std::string> labels;
    for (const auto& pair : pairs) {
        labels.push_back(pair.label);
    }
    {
        OpenToken a("facility-1");
        labels.push_back("app-aes");
        (void)generate_app_key(a.raw(), "app-aes");
        const auto summary = smk::hsm::wrap_keys(a.session, "smk", labels, backup);
        REQUIRE(summary.keys.size() == 5);
        for (std::size_t i = 0; i < pairs.size(); ++i) {
            CHECK(summary.keys[i].key_class == "private");
            CHECK(summary.keys[i].key_type == (pairs[i].rsa ? "RSA" : "EC"));
            CHECK(summary.keys[i].bits == pairs[i].bits);
            CHECK(summary.keys[i].curve == pairs[i].curve);
            CHECK(summary.keys[i].id_hex == pairs[i].id);
        }
        CHECK(summary.keys[4].key_class == "secret");
    }
    const auto json = nlohmann::json::parse(read_file(backup));
    CHECK(json.at("version") == 2);
    CHECK(json.at("keys")[0].at("class") == "private");
    CHECK(json.at("keys")[0].at("public").contains("modulus"));
    CHECK(json.at("keys")[2].at("public").contains("ec_point"));

    {
        OpenToken b("facility-2");
        const auto restored = smk::hsm::unwrap_keys(b.session, "smk", backup);
        CHECK(restored.keys.size() == 5);
        auto& s = b.raw();
        for (const auto& pair : pairs) {
            CK_OBJECT_CLASS private_class = CKO_PRIVATE_KEY;
            CK_ATTRIBUTE match[] = {smk::pkcs11::attribute(CKA_CLASS, private_class),
                                    smk::pkcs11::attribute_text(CKA_LABEL, pair.label)};
            const auto found = smk::pkcs11::find_objects(s, match);
            REQUIRE(found.size() == 1);
            CHECK(smk::pkcs11::get_bool(s, found[0], CKA_SENSITIVE) == true);
            CHECK(smk::pkcs11::get_bool(s, found[0], CKA_SIGN) == true);
            CHECK(smk::pkcs11::get_bool(s, found[0], CKA_EXTRACTABLE) == true);
            // What signers read to size a signature: the modulus, or the curve.
            CHECK(smk::pkcs11::get_attribute(s, found[0], pair.rsa ? CKA_MODULUS : CKA_EC_PARAMS)
                      .has_value());
            CHECK(smk::to_hex(smk::pkcs11::get_attribute(s, found[0], CKA_ID)
                                  .value_or(std::vector<std::uint8_t>{})) == pair.id);
        }
    }
    const auto listed = pkcs11_tool("facility-2", {"--list-objects"});
    require_tool(listed, "pkcs11-tool --list-objects");
    CHECK(contains(listed.out, "Public Key Object; RSA 2048 bits"));
    CHECK(contains(listed.out, "Public Key Object; RSA 4096 bits"));
    CHECK(contains(listed.out, "Public Key Object; EC  EC_POINT 384 bits"));
    CHECK(contains(listed.out, "Private Key Object; EC"));
    CHECK(contains(listed.out, "label:      zsk-p384"));
    for (const auto& pair : pairs) {
        INFO("key pair " << pair.label);
        const bool p384 = pair.curve == "P-384";
        const std::string exported =
            public_key_der("facility-1", pair.label, pair.rsa, p384, hsm.dir());
        CHECK(public_key_der("facility-2", pair.label, pair.rsa, p384, hsm.dir()) == exported);
        const std::string pem = hsm.dir() / ("facility-1-" + pair.label + ".der.pem");
        CHECK(signs_verifiably("facility-2", pair.label, pair.id, pair.rsa, pem, hsm.dir()));
    }
}

TEST_CASE("a key without CKA_ID backs up and restores through smk hsm") {
    // The defect: the backup was reported good but restore-backup refused its empty id.
    SoftHsm hsm({"facility-1:123456", "facility-2:123456"});
    const std::string backup = hsm.dir() / "no-id.smkwrap";
    require_tool(pkcs11_tool("facility-1", {"--keygen", "--key-type", "AES:32", "--label",
                                            "app-no-id", "--extractable"}),
                 "pkcs11-tool --keygen");
    install_smk("facility-1");
    install_smk("facility-2");
    const std::vector<std::string> token_options = {"--pkcs11-module", kSoftHsmModule, "--pin-file",
                                                    hsm.pin_file()};
    std::vector<std::string> wrap_args = {"hsm", "backup", "--token",   "facility-1", "--wrap-with",
                                          "smk", "--key",  "app-no-id", "--out",      backup};
    wrap_args.insert(wrap_args.end(), token_options.begin(), token_options.end());
    const auto wrap = run_smk(wrap_args);
    INFO("backup: " << wrap.out << wrap.err);
    REQUIRE(wrap.exit_code == 0);
    CHECK(contains(wrap.out, "key \"app-no-id\" id - AES"));
    std::vector<std::string> restore_args = {
        "hsm", "restore-backup", "--token", "facility-2", "--unwrap-with", "smk", backup};
    restore_args.insert(restore_args.end(), token_options.begin(), token_options.end());
    const auto restore = run_smk(restore_args);
    INFO("restore-backup: " << restore.out << restore.err);
    CHECK(restore.exit_code == 0);
    OpenToken b("facility-2");
    const auto keys = smk::pkcs11::find_secret_keys(b.raw(), "app-no-id");
    REQUIRE(keys.size() == 1);
    const auto id = smk::pkcs11::get_attribute(b.raw(), keys[0], CKA_ID);
    CHECK((!id || id->empty()));
}

TEST_CASE("every combination of usage flags on an AES key survives a backup and restore") {
    SoftHsm hsm({"facility-1:123456", "facility-2:123456"});
    const std::string backup = hsm.dir() / "flags.smkwrap";
    install_smk("facility-1");
    install_smk("facility-2");
    std::vector<std::string> labels;
    {
        OpenToken a("facility-1");
        for (unsigned flags = 0; flags < 128; ++flags) {
            labels.push_back("flags-" + std::to_string(flags));
            (void)aes_key_with_flags(a.raw(), labels.back(), flags, flags % 2 == 0);
        }
        (void)smk::hsm::wrap_keys(a.session, "smk", labels, backup);
    }
    OpenToken b("facility-2");
    (void)smk::hsm::unwrap_keys(b.session, "smk", backup);
    auto& s = b.raw();
    for (unsigned flags = 0; flags < 128; ++flags) {
        INFO("flags " << flags);
        const auto keys = smk::pkcs11::find_secret_keys(s, "flags-" + std::to_string(flags));
        REQUIRE(keys.size() == 1);
        for (unsigned bit = 0; bit < 7; ++bit) {
            const auto& flag = smk::hsm::detail::kSecretKeyFlags[bit];
            INFO("flag " << flag.name);
            CHECK(smk::pkcs11::get_bool(s, keys[0], flag.type) == (((flags >> bit) & 1U) != 0));
        }
        // Restored keys are sensitive whatever the source was.
        CHECK(smk::pkcs11::get_bool(s, keys[0], CKA_SENSITIVE) == true);
        CHECK(smk::pkcs11::get_bool(s, keys[0], CKA_EXTRACTABLE) == true);
    }
}

TEST_CASE("a public half that does not match the private half is refused, nothing restored") {
    SoftHsm hsm({"facility-1:123456", "facility-2:123456"});
    const std::string backup = hsm.dir() / "pairs.smkwrap";
    make_key_pair("facility-1", "rsa:2048", "ksk-a", "0a");
    make_key_pair("facility-1", "rsa:2048", "ksk-b", "0b");
    make_key_pair("facility-1", "EC:prime256v1", "zsk-a", "1a");
    make_key_pair("facility-1", "EC:prime256v1", "zsk-b", "1b");
    install_smk("facility-1");
    install_smk("facility-2");
    {
        OpenToken a("facility-1");
        (void)smk::hsm::wrap_keys(a.session, "smk", {"ksk-a", "ksk-b", "zsk-a", "zsk-b"}, backup);
    }
    const auto original = nlohmann::json::parse(read_file(backup));
    // Each edit: refused by the MAC; made again under the SMK (as an insider at a token
    // holding it could), refused by the check behind it; nothing is ever restored.
    const auto refused = [&](const nlohmann::json& edited, ErrorCategory category,
                             const std::string& says) {
        write_file(backup, edited.dump(2) + "\n");
        rehash_backup(backup);
        OpenToken b("facility-2");
        std::string message;
        const auto nothing_restored = [&] {
            for (const char* label : {"ksk-a", "ksk-b", "zsk-a", "zsk-b"}) {
                CHECK(smk::hsm::detail::find_keys_labelled(b.raw(), label).empty());
            }
        };
        if (category == ErrorCategory::verification) {
            CHECK(error_category([&] { (void)smk::hsm::unwrap_keys(b.session, "smk", backup); },
                                 &message) == category);
            CHECK(contains(message, "the MAC of"));
            nothing_restored();
            remac_backup(backup, b.raw(), "smk");
        }
        CHECK(error_category([&] { (void)smk::hsm::unwrap_keys(b.session, "smk", backup); },
                             &message) == category);
        INFO("message: " << message);
        CHECK(contains(message, says));
        nothing_restored();
    };
    SUBCASE("two RSA keys' wrapped bytes swapped") {
        auto edited = original;
        std::swap(edited["keys"][0]["wrapped"], edited["keys"][1]["wrapped"]);
        refused(edited, ErrorCategory::verification, "does not match the private key");
    }
    SUBCASE("an RSA modulus replaced by another key's") {
        auto edited = original;
        edited["keys"][1]["public"]["modulus"] = original["keys"][0]["public"]["modulus"];
        refused(edited, ErrorCategory::verification, "does not match the private key");
    }
    SUBCASE("an EC public point replaced by another key's (the signature check catches it)") {
        auto edited = original;
        edited["keys"][3]["public"]["ec_point"] = original["keys"][2]["public"]["ec_point"];
        refused(edited, ErrorCategory::verification, "signature does not verify");
    }
    SUBCASE("a stated size its modulus does not have") {
        auto edited = original;
        edited["keys"][0]["bits"] = 4096;
        refused(edited, ErrorCategory::invalid_input, "size or curve");
    }
    SUBCASE("a private key entry without its public half") {
        auto edited = original;
        edited["keys"][2].erase("public");
        refused(edited, ErrorCategory::invalid_input, "a field is missing");
    }
    SUBCASE("a secret key class on an RSA key") {
        auto edited = original;
        edited["keys"][0]["class"] = "secret";
        refused(edited, ErrorCategory::invalid_input, "secret key of type RSA");
    }
}

TEST_CASE("a private key without its public key object: RSA is carried, EC is refused") {
    SoftHsm hsm({"facility-1:123456", "facility-2:123456"});
    make_key_pair("facility-1", "rsa:2048", "ksk-alone", "0c");
    make_key_pair("facility-1", "EC:prime256v1", "zsk-alone", "0d");
    install_smk("facility-1");
    install_smk("facility-2");
    const std::string backup = hsm.dir() / "alone.smkwrap";
    {
        OpenToken a("facility-1");
        auto& s = a.raw();
        for (const char* label : {"ksk-alone", "zsk-alone"}) {
            CK_OBJECT_CLASS public_class = CKO_PUBLIC_KEY;
            CK_ATTRIBUTE match[] = {smk::pkcs11::attribute(CKA_CLASS, public_class),
                                    smk::pkcs11::attribute_text(CKA_LABEL, label)};
            const auto found = smk::pkcs11::find_objects(s, match);
            REQUIRE(found.size() == 1);
            smk::pkcs11::destroy_object(s, found[0]);
        }
        std::string message;
        CHECK(error_category(
                  [&] { (void)smk::hsm::wrap_keys(a.session, "smk", {"zsk-alone"}, backup); },
                  &message) == ErrorCategory::refused);
        CHECK(contains(message, "has no public key object"));
        CHECK_FALSE(fs::exists(backup));
        (void)smk::hsm::wrap_keys(a.session, "smk", {"ksk-alone"}, backup);
    }
    {
        OpenToken b("facility-2");
        (void)smk::hsm::unwrap_keys(b.session, "smk", backup);
    }
    CHECK(keys_labelled("facility-2", "ksk-alone") == 2);
    const std::string pem = hsm.dir() / "facility-2-ksk-alone.der.pem";
    (void)public_key_der("facility-2", "ksk-alone", true, false, hsm.dir());
    CHECK(signs_verifiably("facility-2", "ksk-alone", "0c", true, pem, hsm.dir()));
}

TEST_CASE(
    "smk hsm destroy-key destroys a key pair, proves it gone, and names the backups "
    "holding it") {
    SoftHsm hsm({"facility-1:123456"});
    make_key_pair("facility-1", "rsa:2048", "ksk-2025", "25");
    make_key_pair("facility-1", "rsa:2048", "ksk-2026", "26");
    install_smk("facility-1");
    const std::string old_backup = hsm.dir() / "with-2025.smkwrap";
    const std::string new_backup = hsm.dir() / "only-2026.smkwrap";
    std::string old_sha256;
    {
        OpenToken a("facility-1");
        old_sha256 =
            smk::hsm::wrap_keys(a.session, "smk", {"ksk-2025", "ksk-2026"}, old_backup).sha256_hex;
        (void)smk::hsm::wrap_keys(a.session, "smk", {"ksk-2026"}, new_backup);
    }
    std::vector<std::string> args = {"hsm",      "destroy-key", "--pkcs11-module", kSoftHsmModule,
                                     "--token",  "facility-1",  "--pin-file",      hsm.pin_file(),
                                     "--label",  "ksk-2025",    "--backup",        old_backup,
                                     "--backup", new_backup};

    SUBCASE("a damaged backup named: refused before anything is destroyed") {
        write_file(new_backup, read_file(new_backup) + " ");
        const auto r = run_smk(args);
        CHECK(r.exit_code == 5);
        CHECK(contains(r.err, new_backup));
        CHECK(keys_labelled("facility-1", "ksk-2025") == 2);
    }
    SUBCASE("destroyed, proved gone, and the backup that holds it named by SHA-256") {
        const auto r = run_smk(args);
        INFO("destroy-key: " << r.out << r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(contains(r.out, "destroyed key \"ksk-2025\" id 25 (private RSA key, 2 object(s))"));
        CHECK(contains(r.out, "proved gone: no object labelled \"ksk-2025\" and none with id 25"));
        CHECK(contains(
            r.out, "still holds the key, destroy it: " + old_backup + " SHA-256 " + old_sha256));
        CHECK(contains(r.out, "does not hold the key: " + new_backup));
        // Independently: pkcs11-tool finds nothing of that label or id; the other key stays.
        const auto listed = pkcs11_tool("facility-1", {"--list-objects"});
        require_tool(listed, "pkcs11-tool --list-objects");
        CHECK_FALSE(contains(listed.out, "ksk-2025"));
        CHECK(contains(listed.out, "ksk-2026"));
        CHECK(keys_labelled("facility-1", "ksk-2026") == 2);
        // A second destroy has nothing to destroy.
        const auto again = run_smk(args);
        CHECK(again.exit_code == 2);
        CHECK(contains(again.err, "holds 0 secret and private keys labelled \"ksk-2025\""));
    }
}
