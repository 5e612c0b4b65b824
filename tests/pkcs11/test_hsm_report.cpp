// The reports of `smk hsm` (include/smk/hsm_report.hpp) in process, without a
// token: the texts and JSON the CLI tests also pin through the smk binary.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "smk/error.hpp"
#include "smk/hsm_report.hpp"

namespace {

smk::pkcs11::TokenInfo token(std::string label, bool initialized) {
    smk::pkcs11::TokenInfo info;
    info.label = std::move(label);
    info.serial = "0123";
    info.manufacturer = "SoftHSM project";
    info.model = "SoftHSM v2";
    info.slot_id = 7;
    info.initialized = initialized;
    info.login_required = initialized;
    info.user_pin_set = initialized;
    return info;
}

smk::hsm::BackupSummary summary() {
    smk::hsm::BackupSummary s;
    s.file = "keys.bak";
    s.sha256sum_file = "keys.bak.sha256sum";
    s.sha256_hex = std::string(64, 'a');
    s.wrapping_label = "smk";
    s.wrapping_kcv_hex = "0a0b0c";
    s.keys = {{"app", "01", "secret", "AES", 32, 0, "", std::string("abcdef")},
              {"mac", "", "secret", "GENERIC_SECRET", 0, 0, "", {}},
              {"ksk", "", "private", "RSA", 0, 2048, "", {}},
              {"zsk", "07", "private", "EC", 0, 0, "P-256", {}}};
    return s;
}

}  // namespace

TEST_CASE("hsm report: token flags, the token list as text and JSON, a module without tokens") {
    auto locked = token("A", true);
    locked.read_only = true;
    locked.user_pin_locked = true;
    CHECK(smk::hsm::token_flags_text(locked) == "login required, read-only, USER PIN LOCKED");
    CHECK(smk::hsm::token_flags_text(token("B", false)) == "not initialised");
    auto none = token("C", true);
    none.login_required = false;
    CHECK(smk::hsm::token_flags_text(none) == "-");

    const std::vector tokens = {token("A", true), token("", false)};
    CHECK(smk::hsm::tokens_report("/m.so", tokens, false) ==
          "token \"A\" (serial 0123): SoftHSM project SoftHSM v2; login required\n"
          "uninitialised token in slot 7: SoftHSM project SoftHSM v2\n");
    const auto json = nlohmann::json::parse(smk::hsm::tokens_report("/m.so", tokens, true));
    REQUIRE(json.size() == 2);
    CHECK(json[0]["label"] == "A");
    CHECK(json[1]["initialized"] == false);
    CHECK(smk::hsm::tokens_report("/m.so", {}, false) ==
          "PKCS#11 module \"/m.so\" offers no token\n");
    CHECK(smk::hsm::tokens_report("/m.so", {}, true) == "[]\n");
}

TEST_CASE("hsm report: install receipt, KCV, backup and restore summaries, the --id parser") {
    const auto t = token("HSM A", true);
    const smk::Kcv kcv = {0x12, 0x34, 0x56};
    CHECK(smk::hsm::install_report(t, "token \"HSM A\"", {"smk", "", 42, 3, kcv, true}, false) ==
          "installed the SMK (identifier 42, from 3 shares) as key \"smk\" on token \"HSM A\"\n"
          "KCV inside the token: 123456 (equals the SMK's and the expected KCV)\n");
    const auto receipt = nlohmann::json::parse(
        smk::hsm::install_report(t, "token", {"smk", "0a", 42, 3, kcv, false}, true));
    CHECK(receipt["identifier"] == 42);
    CHECK(receipt["kcv"] == "123456");
    CHECK(receipt["kcv_expected"] == false);

    CHECK(smk::hsm::kcv_report(t, "T", "smk", kcv, std::nullopt, false) ==
          "KCV of key \"smk\" on T: 123456\n");
    CHECK(smk::hsm::kcv_report(t, "T", "smk", kcv, smk::Kcv{0, 0, 0}, false) ==
          "KCV of key \"smk\" on T: 123456 (NOT AS EXPECTED)\n");
    const auto k = nlohmann::json::parse(smk::hsm::kcv_report(t, "T", "smk", kcv, kcv, true));
    CHECK(k["matches"] == true);
    CHECK(k["expected"] == "123456");

    CHECK(smk::hsm::backup_report(summary(), t, "T", false) ==
          "wrapped 4 key(s) of T under \"smk\" (KCV 0a0b0c) into keys.bak\n"
          "  key \"app\" id 01 AES KCV abcdef\n  key \"mac\" id - GENERIC_SECRET\n"
          "  key \"ksk\" id - RSA-2048 key pair\n  key \"zsk\" id 07 EC P-256 key pair\n"
          "SHA-256 " +
              std::string(64, 'a') + " in keys.bak.sha256sum\n");
    CHECK(smk::hsm::restore_report(summary(), t, "T", false)
              .rfind("restored 4 key(s) from keys.bak", 0) == 0);
    const auto b = nlohmann::json::parse(smk::hsm::backup_report(summary(), t, "T", true));
    CHECK(b["wrapping_key"]["kcv"] == "0a0b0c");
    CHECK(b["keys"][0]["kcv"] == "abcdef");
    CHECK_FALSE(b["keys"][1].contains("kcv"));
    CHECK(b["keys"][1]["class"] == "secret");
    CHECK(b["keys"][2]["class"] == "private");
    CHECK(b["keys"][2]["bits"] == 2048);
    CHECK_FALSE(b["keys"][2].contains("curve"));
    CHECK(b["keys"][3]["curve"] == "P-256");
    CHECK_FALSE(b.contains("sha256_openssl"));
    const smk::hsm::ReadBackDigest read_back{"aa:bb", "aardvark adroitness"};
    const auto with_forms =
        nlohmann::json::parse(smk::hsm::backup_report(summary(), t, "T", true, &read_back));
    CHECK(with_forms["sha256_openssl"] == "aa:bb");
    CHECK(with_forms["sha256_pgp_words"] == "aardvark adroitness");

    CHECK(smk::hsm::parse_key_id("").empty());
    CHECK(smk::hsm::parse_key_id("0a1B") == std::vector<std::uint8_t>{0x0a, 0x1b});
    CHECK_THROWS_AS((void)smk::hsm::parse_key_id("xyz"), smk::Error);
}

TEST_CASE("hsm report: key destruction as text and JSON") {
    const auto t = token("HSM A", true);
    smk::hsm::DestroyReport report;
    report.label = "ksk-2025";
    report.key_class = "private";
    report.key_type = "RSA";
    report.objects_destroyed = 2;
    report.backups_holding = {{"old.smkwrap", std::string(64, 'c')}};
    report.backups_without = {"new.smkwrap"};
    CHECK(smk::hsm::destroy_report(report, t, "T", false) ==
          "destroyed key \"ksk-2025\" id - (private RSA key, 2 object(s)) on T\n"
          "proved gone: no object labelled \"ksk-2025\" is left on the token\n"
          "still holds the key, destroy it: old.smkwrap SHA-256 " +
              std::string(64, 'c') + "\ndoes not hold the key: new.smkwrap\n");
    const auto json = nlohmann::json::parse(smk::hsm::destroy_report(report, t, "T", true));
    CHECK(json["proved_gone"] == true);
    CHECK(json["objects_destroyed"] == 2);
    CHECK(json["backups_holding"][0]["sha256"] == std::string(64, 'c'));
    CHECK(json["backups_without"][0] == "new.smkwrap");
}
