// The smk command line itself: version, help, usage errors, exit codes.

#include <doctest/doctest.h>

#include <regex>
#include <string>

#include "run.hpp"
#include "slip39_tools.hpp"

namespace {

using namespace smk_test;

}  // namespace

TEST_CASE("smk --version prints the version and the source commit") {
    const auto r = run_smk({"--version"});
    CHECK(r.exit_code == 0);
    CHECK(std::regex_match(
        r.out, std::regex(R"(smk \d+\.\d+\.\d+ \(commit ([0-9a-f]{40}(\+dirty)?|unknown)\)\n)")));
}

TEST_CASE("smk --help lists the commands and exit codes, exits 0") {
    const auto r = run_smk({"--help"});
    CHECK(r.exit_code == 0);
    for (const char* word : {"split", "combine", "share", "Exit codes"}) {
        CHECK_MESSAGE(contains(r.out, word), word);
    }
    const auto split = run_smk({"split", "--help"});
    CHECK(split.exit_code == 0);
    for (const char* option :
         {"--out-dir", "--secret-file", "--group", "--group-threshold", "--passphrase-file",
          "--ask-passphrase", "--exp", "--json", "--stdout", "--format"}) {
        CHECK_MESSAGE(contains(split.out, option), option);
    }
    const auto inspect = run_smk({"share", "inspect", "--help"});
    CHECK(inspect.exit_code == 0);
    CHECK(contains(inspect.out, "--json"));
}

TEST_CASE("usage errors exit 2 with 'smk: usage:'") {
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {},
             {"frobnicate"},
             {"split", "--no-such-option"},
             {"combine", "--bogus", "--out", "-"},
             {"share"},
             {"share", "inspect", "a", "b"},
             {"combine", "--out", "-", "-", "-"},
         }) {
        const auto r = run_smk(args, "\n");
        INFO((args.empty() ? std::string("(none)") : args.back()) << ": " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(contains(r.err, "smk: usage: "));
        CHECK(r.out.empty());
    }
}

TEST_CASE("the test's own SLIP-39 checksum agrees with the official vectors") {
    // Vector 1 (valid, not extendable) and a one-word change of it.
    const std::string valid =
        "duckling enlarge academic academic agency result length solution fridge kidney coal "
        "piece deal husband erode duke ajar critical decision keyboard";
    CHECK(rs1024_ok(valid));
    CHECK_FALSE(rs1024_ok(corrupt_word(valid, 7)));
    CHECK(rs1024_ok(tamper_value(valid)));
}
