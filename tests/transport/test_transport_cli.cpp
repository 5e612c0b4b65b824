// `smk transport seal` as a subprocess, from a share file (no root, no daemon): the
// sealed words on stdout or in a new --out file, the facility key's fingerprint in
// PGP words, and the holder's checks before anything is sealed.

#include <doctest/doctest.h>

#include <string>

#include "cli/fixtures.hpp"
#include "cli/run.hpp"
#include "smk/hex.hpp"
#include "smk/pgp_words.hpp"
#include "smk/transport.hpp"

namespace {

namespace transport = smk::transport;
using smk_test::contains;
using smk_test::run_smk;
using smk_test::RunResult;

constexpr const char* kContext = "restore 2027-03 facility east";

struct Facility {
    Facility() : key(transport::FacilityKey::generate()), file(dir.path() / "facility.txt") {
        smk_test::write_file(file, transport::facility_key_text(key.public_key()));
    }
    smk_test::TempDir dir{"transport-cli"};
    transport::FacilityKey key;
    std::string file;
};

}  // namespace

TEST_CASE("transport cli: seal a share file to the facility key, and the facility opens it") {
    const smk_test::SplitRun split;
    const Facility facility;
    const RunResult run = run_smk(
        {"transport", "seal", "--to", facility.file, "--context", kContext, "--expect-identifier",
         std::to_string(split.identifier()), "--expect-set", "B", split.share_file('B', 2)});
    INFO("stderr: " << run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(contains(run.err, smk::pgp_words(facility.key.fingerprint())));
    CHECK(contains(run.err, "sealed set B #2"));
    CHECK(contains(run.err, "(134 words)"));
    const auto opened = transport::open_sealed(
        transport::parse_sealed_share_text(run.out, "stdout"), facility.key, kContext, "stdout");
    CHECK(opened.mnemonic.text() == split.mnemonic('B', 2));

    // --out: a new file; never over an existing one.
    const std::string out = facility.dir.path() / "sealed.txt";
    const RunResult to_file = run_smk({"transport", "seal", "--to", facility.file, "--context",
                                       kContext, "--out", out, split.share_file('A', 1)});
    INFO("stderr: " << to_file.err);
    REQUIRE(to_file.exit_code == 0);
    CHECK(contains(to_file.out, smk::pgp_words(facility.key.fingerprint())));
    CHECK(contains(to_file.out, "wrote the sealed share to " + out));
    const auto from_file =
        transport::open_sealed(transport::parse_sealed_share_text(smk_test::read_file(out), out),
                               facility.key, kContext, out);
    CHECK(from_file.mnemonic.text() == split.mnemonic('A', 1));
    const std::string before = smk_test::read_file(out);
    const RunResult again = run_smk({"transport", "seal", "--to", facility.file, "--context",
                                     kContext, "--out", out, split.share_file('A', 2)});
    CHECK(again.exit_code == 7);
    CHECK(smk_test::read_file(out) == before);
}

TEST_CASE("transport cli: the holder's checks and bad facility keys, before anything is sealed") {
    const smk_test::SplitRun split;
    const Facility facility;
    const auto seal = [&](std::vector<std::string> extra) {
        std::vector<std::string> args{"transport",   "seal",      "--to",
                                      facility.file, "--context", kContext};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_smk(args);
    };
    RunResult run = seal({"--expect-set", "A", split.share_file('B', 1)});
    CHECK(run.exit_code == 5);
    CHECK(contains(run.err, "not the expected set A"));
    CHECK(run.out.empty());
    run = seal(
        {"--expect-identifier", std::to_string(split.identifier() ^ 1), split.share_file('B', 1)});
    CHECK(run.exit_code == 5);
    CHECK(contains(run.err, "another split"));
    run = seal({});
    CHECK(run.exit_code == 2);
    CHECK(contains(run.err, "say where the share is"));

    // A facility key with a word changed (its check), or cut short.
    std::string key_text = smk_test::read_file(facility.file);
    const std::string hex = facility.dir.path() / "facility.hex";
    smk_test::write_file(hex, smk::to_hex(facility.key.public_key()) + "\n");
    run = run_smk(
        {"transport", "seal", "--to", hex, "--context", kContext, split.share_file('A', 3)});
    CHECK(run.exit_code == 0);
    CHECK(transport::open_sealed(transport::parse_sealed_share_text(run.out, "stdout"),
                                 facility.key, kContext, "stdout")
              .mnemonic.text() == split.mnemonic('A', 3));
    const std::string cut = facility.dir.path() / "cut.txt";
    smk_test::write_file(cut, key_text.substr(0, key_text.rfind('\n', key_text.size() - 2) + 1));
    run = run_smk(
        {"transport", "seal", "--to", cut, "--context", kContext, split.share_file('A', 3)});
    CHECK(run.exit_code == 3);
    CHECK(contains(run.err, "has 32 words after its header; a facility key has 34"));
    run = run_smk({"transport", "seal", "--to", split.share_file('A', 3), "--context", kContext,
                   split.share_file('A', 3)});
    CHECK(run.exit_code == 3);
    CHECK(contains(run.err, "does not start with the line \"smk-facility-key-v1\""));
    run = run_smk(
        {"transport", "seal", "--to", facility.file, "--context", "", split.share_file('A', 3)});
    CHECK(run.exit_code == 2);
    CHECK(contains(run.err, "the ceremony context must be 1 to 200 bytes"));
}
