// smk hsm export-public and destroy-key on key pairs (the KSK is an RSA pair), on a
// private SoftHSM2 token; pkcs11-tool makes and lists the keys, openssl and
// sha256sum check the exported public keys.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "key_pair_tools.hpp"
#include "smk/sha256.hpp"

using namespace smk_test;

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

TEST_CASE("smk hsm export-public writes the key pair's public key as DER, never over a file") {
    SoftHsm hsm({"facility-1:123456"});
    make_key_pair("facility-1", "rsa:2048", "ksk", "4b53");
    make_key_pair("facility-1", "EC:prime256v1", "zsk", "5a");
    require_tool(pkcs11_tool("facility-1", {"--keygen", "--key-type", "AES:32", "--label",
                                            "app-key-1", "--extractable"}),
                 "pkcs11-tool --keygen");
    const std::string out = hsm.dir() / "ksk-public.der";
    auto args_for = [&](const std::string& label, const std::string& file) {
        return std::vector<std::string>{"hsm",          "export-public", "--pkcs11-module",
                                        kSoftHsmModule, "--token",       "facility-1",
                                        "--pin-file",   hsm.pin_file(),  "--label",
                                        label,          "--out",         file};
    };

    SUBCASE("RSA and EC: the DER pkcs11-tool exports, its SHA-256 printed") {
        const auto r = run_smk(args_for("ksk", out));
        INFO("export-public: " << r.out << r.err);
        REQUIRE(r.exit_code == 0);
        const std::string der = read_file(out);
        CHECK(der == public_key_der("facility-1", "ksk", true, false, hsm.dir()));
        const std::vector<std::uint8_t> bytes(der.begin(), der.end());
        CHECK(contains(r.out, "SHA-256 " + smk::to_hex(smk::sha256_bytes(bytes))));
        const auto sums = run_process(Command({"sha256sum", out}));
        CHECK(contains(sums.out, smk::to_hex(smk::sha256_bytes(bytes))));
        const std::string ec_out = hsm.dir() / "zsk-public.der";
        const auto ec = run_smk(args_for("zsk", ec_out));
        INFO("export-public zsk: " << ec.out << ec.err);
        REQUIRE(ec.exit_code == 0);
        CHECK(read_file(ec_out) == public_key_der("facility-1", "zsk", false, false, hsm.dir()));
    }
    SUBCASE("an existing file is refused (exit 7) and left as it was") {
        write_file(out, "an earlier export\n");
        const auto r = run_smk(args_for("ksk", out));
        CHECK(r.exit_code == 7);
        CHECK(contains(r.err, out));
        CHECK(read_file(out) == "an earlier export\n");
    }
    SUBCASE("a secret key or a missing label has no public key: exit 2, no file") {
        for (const std::string label : {"app-key-1", "no-such-key"}) {
            const auto r = run_smk(args_for(label, out));
            INFO(label << ": " << r.err);
            CHECK(r.exit_code == 2);
            CHECK(contains(r.err, label));
            CHECK_FALSE(std::filesystem::exists(out));
        }
    }
}
