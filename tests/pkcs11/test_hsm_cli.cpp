// `smk hsm` through the smk binary, on private SoftHSM2 tokens.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "cli/fixtures.hpp"
#include "token_raw.hpp"

namespace {

using namespace smk_test;

std::vector<std::string> on_token(std::vector<std::string> args, const std::string& label,
                                  const SoftHsm& hsm) {
    args.insert(args.begin() + 2, {"--pkcs11-module", kSoftHsmModule, "--token", label,
                                   "--pin-file", hsm.pin_file()});
    return args;
}

std::vector<std::string> install_args(const std::string& label, const SoftHsm& hsm,
                                      const std::vector<std::string>& files,
                                      std::vector<std::string> extra = {}) {
    std::vector<std::string> args = on_token({"hsm", "install", "--label", "smk"}, label, hsm);
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), files.begin(), files.end());
    return args;
}

std::vector<std::string> first(const std::vector<std::string>& files, std::size_t n) {
    return {files.begin(), files.begin() + static_cast<std::ptrdiff_t>(n)};
}

}  // namespace

TEST_CASE("smk hsm install combines shares and reports the KCV computed in the token") {
    SoftHsm hsm({"facility-1:123456"});
    const SplitRun split;
    const auto files = first(split.set_files('A'), 5);
    const auto install = run_smk(install_args(
        "facility-1", hsm, files, {"--id", "0102", "--expect-kcv", kcv_of(kSecretHex)}));
    INFO("stderr: " << install.err);
    REQUIRE(install.exit_code == 0);
    CHECK(contains(install.out, "KCV inside the token: " + kcv_of(kSecretHex)));
    CHECK(contains(install.out, "token \"facility-1\" (serial "));
    CHECK_FALSE(contains(install.out + install.err, kSecretHex.substr(0, 16)));

    const auto kcv =
        run_smk(on_token({"hsm", "kcv", "--label", "smk", "--expect", kcv_of(kSecretHex), "--json"},
                         "facility-1", hsm));
    INFO("stderr: " << kcv.err);
    REQUIRE(kcv.exit_code == 0);
    const auto json = nlohmann::json::parse(kcv.out);
    CHECK(json.at("kcv") == kcv_of(kSecretHex));
    CHECK(json.at("matches") == true);
    const auto wrong = run_smk(on_token(
        {"hsm", "kcv", "--label", "smk", "--expect", kcv_of(kOtherSecretHex)}, "facility-1", hsm));
    CHECK(wrong.exit_code == 5);
    CHECK(contains(wrong.out, "NOT AS EXPECTED"));
    CHECK(run_smk(on_token({"hsm", "kcv", "--label", "nope"}, "facility-1", hsm)).exit_code == 2);

    const auto tokens = run_smk({"hsm", "tokens", "--pkcs11-module", kSoftHsmModule, "--json"});
    REQUIRE(tokens.exit_code == 0);
    bool found = false;
    for (const auto& token : nlohmann::json::parse(tokens.out)) {
        found = found || token.at("label") == "facility-1";
    }
    CHECK(found);
}

TEST_CASE("smk hsm install refuses too few shares a wrong KCV and an existing label") {
    SoftHsm hsm({"facility-1:123456"});
    const SplitRun split;
    const auto files = split.set_files('B');
    CHECK(run_smk(install_args("facility-1", hsm, first(files, 4))).exit_code == 4);
    const auto wrong_kcv = run_smk(install_args("facility-1", hsm, first(files, 5),
                                                {"--expect-kcv", kcv_of(kOtherSecretHex)}));
    CHECK(wrong_kcv.exit_code == 5);
    CHECK(contains(wrong_kcv.err, "nothing was installed"));
    CHECK(run_smk(on_token({"hsm", "kcv", "--label", "smk"}, "facility-1", hsm)).exit_code == 2);

    REQUIRE(run_smk(install_args("facility-1", hsm, first(files, 5))).exit_code == 0);
    const auto again = run_smk(install_args("facility-1", hsm, first(files, 5)));
    CHECK(again.exit_code == 7);
    CHECK(contains(again.err, "--replace"));
    CHECK(run_smk(install_args("facility-1", hsm, first(files, 5), {"--replace"})).exit_code == 0);
    const auto wrong_pin = run_smk({"hsm", "install", "--pkcs11-module", kSoftHsmModule, "--token",
                                    "facility-1", "--pin-file", hsm.wrong_pin_file(), "--label",
                                    "smk2", files[0], files[1], files[2], files[3], files[4]});
    CHECK(wrong_pin.exit_code == 5);
    CHECK(contains(wrong_pin.err, "wrong PIN"));
}

TEST_CASE("smk hsm backup and restore-backup carry keys between two facilities") {
    SoftHsm hsm({"facility-1:123456", "facility-2:123456"});
    const SplitRun split;
    const std::string backup = hsm.dir() / "app-keys.smkwrap";
    std::vector<std::uint8_t> cipher;
    {
        OpenToken a("facility-1");
        cipher = encrypt_block(a.raw(), generate_app_key(a.raw(), "app-1"));
    }
    REQUIRE(run_smk(install_args("facility-1", hsm, first(split.set_files('A'), 5))).exit_code ==
            0);
    const auto wrap =
        run_smk(on_token({"hsm", "backup", "--wrap-with", "smk", "--key", "app-1", "--out", backup},
                         "facility-1", hsm));
    INFO("stderr: " << wrap.err);
    REQUIRE(wrap.exit_code == 0);
    CHECK(contains(wrap.out, "wrapped 1 key(s)"));
    CHECK(fs::exists(backup + ".sha256sum"));
    {
        // The digest for the paper, in the forms sha256sum and `openssl dgst -c` print, and
        // as PGP words: each line as those tools (and `smk media digest`) give it.
        const auto sums = run_process(Command({"sha256sum", backup}));
        REQUIRE(sums.shell_status() == 0);
        const std::string hex = sums.out.substr(0, 64);
        CHECK(contains(wrap.out, "sha256sum  " + hex));
        const auto colon = run_process(Command({"openssl", "dgst", "-sha256", "-c", backup}));
        REQUIRE(colon.shell_status() == 0);
        CHECK(contains(wrap.out, "openssl    " + colon.out));
        const auto words = run_smk({"media", "digest", backup});
        REQUIRE(words.exit_code == 0);
        const auto pgp = words.out.find("  PGP words");
        REQUIRE(pgp != std::string::npos);
        CHECK(contains(wrap.out, words.out.substr(pgp)));
    }
    {
        // --json: the same digest, read back from the device, in the forms read aloud.
        const std::string second = backup + ".second";
        const auto json_run = run_smk(on_token(
            {"hsm", "backup", "--wrap-with", "smk", "--key", "app-1", "--out", second, "--json"},
            "facility-1", hsm));
        INFO("stderr: " << json_run.err);
        REQUIRE(json_run.exit_code == 0);
        const auto j = nlohmann::json::parse(json_run.out);
        const auto colon = run_process(Command({"openssl", "dgst", "-sha256", "-c", second}));
        REQUIRE(colon.shell_status() == 0);
        CHECK(contains(colon.out, "= " + j.at("sha256_openssl").get<std::string>() + "\n"));
        const auto words = run_smk({"media", "digest", second});
        REQUIRE(words.exit_code == 0);
        const std::string spoken = j.at("sha256_pgp_words").get<std::string>();
        CHECK(spoken.size() > 100);
        CHECK(contains(words.out, spoken.substr(0, spoken.find(' ', 40))));
    }
    CHECK(
        run_smk(on_token({"hsm", "backup", "--wrap-with", "smk", "--key", "app-1", "--out", backup},
                         "facility-1", hsm))
            .exit_code == 7);

    REQUIRE(run_smk(install_args("facility-2", hsm, first(split.set_files('B'), 5))).exit_code ==
            0);
    const auto restore = run_smk(on_token(
        {"hsm", "restore-backup", "--unwrap-with", "smk", backup, "--json"}, "facility-2", hsm));
    INFO("stderr: " << restore.err);
    REQUIRE(restore.exit_code == 0);
    CHECK(nlohmann::json::parse(restore.out).at("keys").size() == 1);
    {
        OpenToken b("facility-2");
        const auto keys = smk::pkcs11::find_secret_keys(b.raw(), "app-1");
        REQUIRE(keys.size() == 1);
        CHECK(encrypt_block(b.raw(), keys[0]) == cipher);
    }
    const auto again = run_smk(
        on_token({"hsm", "restore-backup", "--unwrap-with", "smk", backup}, "facility-2", hsm));
    CHECK(again.exit_code == 7);

    std::string text = read_file(backup);
    text[text.size() / 2] = text[text.size() / 2] == 'a' ? 'b' : 'a';
    write_file(backup, text);
    const auto corrupted = run_smk(on_token(
        {"hsm", "restore-backup", "--unwrap-with", "smk", "--replace", backup}, "facility-2", hsm));
    CHECK(corrupted.exit_code == 5);
    CHECK(contains(corrupted.err, "does not match"));
}
