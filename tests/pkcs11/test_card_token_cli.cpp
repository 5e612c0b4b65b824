// `smk card` on PKCS#11 tokens, through the smk binary, on a private SoftHSM2
// per test case; and OpenSC's pkcs11-tool reading and writing the same object.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "cli/fixtures.hpp"
#include "smk/share_record.hpp"
#include "support/softhsm.hpp"

namespace {

using namespace smk_test;

std::vector<std::string> on_token(std::vector<std::string> args, const std::string& label,
                                  const SoftHsm& hsm) {
    args.insert(args.end(), {"--pkcs11-module", kSoftHsmModule, "--token", label, "--pin-file",
                             hsm.pin_file()});
    return args;
}

}  // namespace

TEST_CASE("smk card write read verify wipe on a SoftHSM2 token") {
    SoftHsm hsm({"rksh-1:123456"});
    const SplitRun split;
    const auto write =
        run_smk(on_token({"card", "write", split.share_file('B', 3)}, "rksh-1", hsm));
    INFO("stderr: " << write.err);
    REQUIRE(write.exit_code == 0);
    CHECK(contains(write.out, "wrote set B #3"));
    CHECK(contains(write.out, "token \"rksh-1\" (serial "));
    CHECK(contains(write.out, "read it back: OK"));

    const std::string out = hsm.dir() / "share.txt";
    const auto read = run_smk(on_token({"card", "read", "--out", out}, "rksh-1", hsm));
    INFO("stderr: " << read.err);
    REQUIRE(read.exit_code == 0);
    CHECK(read_file(out) == split.mnemonic('B', 3) + "\n");
    CHECK(file_mode(out) == 0600U);
    CHECK(run_smk(on_token({"card", "read", "--out", out}, "rksh-1", hsm)).exit_code == 7);
    const auto to_stdout = run_smk(on_token({"card", "read", "--out", "-"}, "rksh-1", hsm));
    CHECK(to_stdout.out == split.mnemonic('B', 3) + "\n");

    const std::string id = std::to_string(split.identifier());
    const auto verify = run_smk(on_token({"card", "verify", "--json", "--expect-identifier", id,
                                          "--expect-set", "B", "--expect-index", "3"},
                                         "rksh-1", hsm));
    INFO("stderr: " << verify.err);
    REQUIRE(verify.exit_code == 0);
    const auto json = nlohmann::json::parse(verify.out);
    CHECK(json.at("state") == "valid");
    CHECK(json.at("token") == "rksh-1");
    CHECK(json.at("serial").get<std::string>().size() == 16);
    CHECK(json.at("identifier") == split.identifier());
    CHECK(json.at("set") == "B");
    CHECK(json.at("index") == 3);
    CHECK(json.at("expectations_met") == true);
    CHECK_FALSE(contains(verify.out, split.mnemonic('B', 3).substr(0, 20)));

    const auto unmet = run_smk(on_token({"card", "verify", "--expect-index", "4"}, "rksh-1", hsm));
    CHECK(unmet.exit_code == 5);
    CHECK(contains(unmet.out, "NOT AS EXPECTED: index is 3, expected 4"));

    const auto wipe = run_smk(on_token({"card", "wipe", "--yes"}, "rksh-1", hsm));
    INFO("stderr: " << wipe.err);
    REQUIRE(wipe.exit_code == 0);
    CHECK(contains(wipe.out, "none is left"));
    const auto empty = run_smk(on_token({"card", "verify"}, "rksh-1", hsm));
    CHECK(empty.exit_code == 5);
    CHECK(contains(empty.out, "EMPTY (no smk data object)"));
    const auto nothing = run_smk(on_token({"card", "read", "--out", "-"}, "rksh-1", hsm));
    CHECK(nothing.exit_code == 5);
    CHECK(contains(nothing.err, "holds no share"));
}

TEST_CASE("smk card write refuses an occupied token without --overwrite") {
    SoftHsm hsm({"rksh-2:123456"});
    const SplitRun split;
    REQUIRE(
        run_smk(on_token({"card", "write", split.share_file('A', 1)}, "rksh-2", hsm)).exit_code ==
        0);
    const auto refused =
        run_smk(on_token({"card", "write", split.share_file('A', 2)}, "rksh-2", hsm));
    CHECK(refused.exit_code == 7);
    CHECK(contains(refused.err, "token \"rksh-2\""));
    CHECK(contains(refused.err, "--overwrite"));
    CHECK(run_smk(on_token({"card", "read", "--out", "-"}, "rksh-2", hsm)).out ==
          split.mnemonic('A', 1) + "\n");
    const auto replaced = run_smk(
        on_token({"card", "write", "--overwrite", split.share_file('A', 2)}, "rksh-2", hsm));
    CHECK(replaced.exit_code == 0);
    CHECK(run_smk(on_token({"card", "read", "--out", "-"}, "rksh-2", hsm)).out ==
          split.mnemonic('A', 2) + "\n");
}

TEST_CASE("smk card with a wrong PIN exits 5 and names the token") {
    SoftHsm hsm({"rksh-3:123456"});
    const SplitRun split;
    const auto result =
        run_smk({"card", "write", "--pkcs11-module", kSoftHsmModule, "--token", "rksh-3",
                 "--pin-file", hsm.wrong_pin_file(), split.share_file('A', 1)});
    CHECK(result.exit_code == 5);
    CHECK(contains(result.err, "wrong PIN for token \"rksh-3\" (serial "));
    CHECK(run_smk(on_token({"card", "verify"}, "rksh-3", hsm)).exit_code == 5);  // still empty
}

TEST_CASE("smk card with an unknown token label exits 2 and lists the labels present") {
    SoftHsm hsm({"hsm-a:123456", "hsm-b:123456"});
    const auto result = run_smk(on_token({"card", "verify"}, "hsm-z", hsm));
    CHECK(result.exit_code == 2);
    CHECK(contains(result.err, "no token labelled \"hsm-z\""));
    CHECK(contains(result.err, "\"hsm-a\""));
    CHECK(contains(result.err, "\"hsm-b\""));
}

TEST_CASE("smk card with a missing module exits 6 naming it") {
    SoftHsm hsm({"rksh-1:123456"});
    const auto result = run_smk({"card", "verify", "--pkcs11-module", "/nonexistent/p11.so",
                                 "--token", "rksh-1", "--pin-file", hsm.pin_file()});
    CHECK(result.exit_code == 6);
    CHECK(contains(result.err, "/nonexistent/p11.so"));
}

TEST_CASE("smk card needs exactly one of --reader and --pkcs11-module with --token") {
    SoftHsm hsm({"rksh-1:123456"});
    const auto both = run_smk({"card", "verify", "--reader", "x", "--pkcs11-module", kSoftHsmModule,
                               "--token", "rksh-1", "--pin-file", hsm.pin_file()});
    CHECK(both.exit_code == 2);
    const auto no_token = run_smk(
        {"card", "verify", "--pkcs11-module", kSoftHsmModule, "--pin-file", hsm.pin_file()});
    CHECK(no_token.exit_code == 2);
    CHECK(contains(no_token.err, "--token"));
    const auto no_module =
        run_smk({"card", "verify", "--token", "rksh-1", "--pin-file", hsm.pin_file()});
    CHECK(no_module.exit_code == 2);
    CHECK(contains(no_module.err, "--pkcs11-module"));
    const auto neither = run_smk({"card", "read", "--out", "-", "--pin-file", hsm.pin_file()});
    CHECK(neither.exit_code == 2);
    CHECK(contains(neither.err, "--reader"));
}

TEST_CASE("smk card list with --pkcs11-module lists the tokens and their share state") {
    SoftHsm hsm({"rksh-1:123456", "rksh-2:123456"});
    const SplitRun split;
    REQUIRE(
        run_smk(on_token({"card", "write", split.share_file('A', 6)}, "rksh-1", hsm)).exit_code ==
        0);
    // A PIN goes only to the token named: without --token nothing is sent.
    const auto unnamed =
        run_smk({"card", "list", "--pkcs11-module", kSoftHsmModule, "--pin-file", hsm.pin_file()});
    CHECK(unnamed.exit_code == 2);
    CHECK(contains(unnamed.err, "a PIN goes only to the token you name: add --token"));
    const auto list_token = [&](const std::string& label) {
        const auto list = run_smk({"card", "list", "--pkcs11-module", kSoftHsmModule, "--token",
                                   label, "--pin-file", hsm.pin_file(), "--json"});
        INFO("stderr: " << list.err);
        REQUIRE(list.exit_code == 0);
        const auto entries = nlohmann::json::parse(list.out);
        REQUIRE(entries.size() == 1);
        CHECK(entries[0].at("token") == label);
        return entries[0];
    };
    const auto with_share = list_token("rksh-1");
    CHECK(with_share.at("share").at("state") == "valid");
    CHECK(with_share.at("share").at("index") == 6);
    CHECK(list_token("rksh-2").at("share").at("state") == "empty");
    const auto text = run_smk({"card", "list", "--pkcs11-module", kSoftHsmModule});
    CHECK(text.exit_code == 0);
    CHECK(contains(text.out, "token \"rksh-1\" (serial "));
    CHECK(contains(text.out, "share: PIN needed to read"));
}

TEST_CASE("pkcs11-tool reads exactly the bytes smk card write stored") {
    SoftHsm hsm({"rksh-5:123456"});
    const SplitRun split;
    REQUIRE(
        run_smk(on_token({"card", "write", split.share_file('A', 2)}, "rksh-5", hsm)).exit_code ==
        0);
    const std::string out = hsm.dir() / "object.bin";
    const auto tool =
        run_process(Command({"pkcs11-tool", "--module", kSoftHsmModule, "--token-label", "rksh-5",
                             "--login", "--pin", "123456", "--read-object", "--type", "data",
                             "--application-label", "smk", "--output-file", out}));
    INFO("pkcs11-tool: " << tool.out << tool.err);
    REQUIRE(tool.shell_status() == 0);
    const smk::Secret record = smk::card::encode_share_record(split.mnemonic('A', 2), "share");
    const std::string bytes = read_file(out);
    CHECK(bytes == std::string(record.text()));
}

TEST_CASE("smk card read reads a share object pkcs11-tool wrote") {
    SoftHsm hsm({"rksh-6:123456"});
    const SplitRun split;
    const smk::Secret record = smk::card::encode_share_record(split.mnemonic('B', 7), "share");
    const std::string in = hsm.dir() / "record.bin";
    write_file(in, std::string(record.text()));
    const auto tool =
        run_process(Command({"pkcs11-tool", "--module", kSoftHsmModule, "--token-label", "rksh-6",
                             "--login", "--pin", "123456", "--write-object", in, "--type", "data",
                             "--application-label", "smk", "--private"}));
    INFO("pkcs11-tool: " << tool.out << tool.err);
    REQUIRE(tool.shell_status() == 0);
    const auto read = run_smk(on_token({"card", "read", "--out", "-"}, "rksh-6", hsm));
    INFO("stderr: " << read.err);
    CHECK(read.exit_code == 0);
    CHECK(read.out == split.mnemonic('B', 7) + "\n");
}

TEST_CASE("smk card verify reports a garbage object that pkcs11-tool wrote") {
    SoftHsm hsm({"rksh-7:123456"});
    const std::string in = hsm.dir() / "junk.bin";
    write_file(in, "this is no share record at all, just junk");
    const auto tool =
        run_process(Command({"pkcs11-tool", "--module", kSoftHsmModule, "--token-label", "rksh-7",
                             "--login", "--pin", "123456", "--write-object", in, "--type", "data",
                             "--application-label", "smk", "--private"}));
    INFO("pkcs11-tool: " << tool.out << tool.err);
    REQUIRE(tool.shell_status() == 0);
    const auto verify = run_smk(on_token({"card", "verify", "--json"}, "rksh-7", hsm));
    CHECK(verify.exit_code == 5);
    const auto json = nlohmann::json::parse(verify.out);
    CHECK(json.at("state") == "garbage");
    CHECK(json.at("bytes") == 41);
    CHECK(json.at("problem").get<std::string>().find("token \"rksh-7\"") != std::string::npos);
}
