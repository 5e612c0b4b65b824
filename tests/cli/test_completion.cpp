// The bash completion (build/<preset>/completion/smk, written by `smk manual
// --bash-completion` from the command tree --help prints): it is valid bash, and
// loaded into a bash as bash-completion loads it, the function it registers for smk
// completes subcommands at each level and every option `smk media copy --help` lists.
// Without bash these tests fail (never skip).

#include <doctest/doctest.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "help_names.hpp"
#include "run.hpp"

namespace {

using namespace smk_test;

// Sources the completion file in a new bash, finds the function `complete -p smk`
// names and calls it as bash does with COMP_WORDS = `words` (the cursor on the last
// one): the candidates it leaves in COMPREPLY.
std::set<std::string> complete(const std::vector<std::string>& words) {
    const std::string script = R"(set -eu
source "$1"; shift
spec=$(complete -p smk)
fn=${spec##*-F }; fn=${fn%% *}
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
"$fn" smk "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
)";
    std::vector<std::string> argv = {"bash", "-c", script, "bash", SMK_BASH_COMPLETION};
    argv.insert(argv.end(), words.begin(), words.end());
    const auto r = run_process(Command(argv));
    REQUIRE_MESSAGE(r.shell_status() == 0, "bash: " << r.err);
    std::set<std::string> candidates;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) {
            candidates.insert(line);
        }
    }
    return candidates;
}

}  // namespace

TEST_CASE("completion: the built completion/smk is what smk manual --bash-completion prints") {
    const auto r = run_smk({"manual", "--bash-completion"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(read_file(SMK_BASH_COMPLETION) == r.out);
    const auto syntax = run_process(Command({"bash", "-n", SMK_BASH_COMPLETION}));
    CHECK_MESSAGE(syntax.shell_status() == 0, "bash -n: " << syntax.err);
    CHECK(syntax.err.empty());
}

TEST_CASE("completion: subcommands at each level") {
    CHECK(complete({"smk", "med"}) == std::set<std::string>{"media"});
    CHECK(complete({"smk", "media", "co"}) == std::set<std::string>{"copy"});
    const std::vector<std::string> top = help_names({}).subcommands;
    CHECK(complete({"smk", ""}) == std::set<std::string>(top.begin(), top.end()));
    // An option before the command does not hide it.
    CHECK(complete({"smk", "media", "--help", "co"}) == std::set<std::string>{"copy"});
}

TEST_CASE("completion: every option smk media copy --help lists") {
    std::set<std::string> expected;
    for (const std::string& name : help_names({"media", "copy"}).options) {
        if (name.rfind("-", 0) == 0) {
            expected.insert(name);
        }
    }
    REQUIRE(expected.size() > 3);
    CHECK(complete({"smk", "media", "copy", "-"}) == expected);
    std::set<std::string> long_only;
    for (const std::string& name : expected) {
        if (name.rfind("--", 0) == 0) {
            long_only.insert(name);
        }
    }
    CHECK(complete({"smk", "media", "copy", "--"}) == long_only);
}
