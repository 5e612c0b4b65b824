// Key pairs (the KSK is an RSA pair) and every usage-flag combination through a
// wrapped key backup, on private SoftHSM2 tokens standing for two facilities'
// HSMs. pkcs11-tool (OpenSC) makes the pairs, lists and exports what was
// restored and signs with it; openssl checks the public keys and signatures.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "backup_file.hpp"
#include "cli/fixtures.hpp"
#include "hsm_keys.hpp"
#include "key_pair_tools.hpp"
#include "smk/hex.hpp"
#include "smk/hsm.hpp"
#include "token_raw.hpp"

namespace {

using smk::ErrorCategory;
using namespace smk_test;

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
    CHECK(json.at("version") == 3);
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
        {
            // smk's own export (OpenSSL from the token's values) is the same DER.
            OpenToken b("facility-2");
            const auto der = smk::hsm::public_key_der(b.session, pair.label);
            CHECK(std::string(der.begin(), der.end()) == exported);
        }
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
