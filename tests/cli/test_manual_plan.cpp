// The manual page smk-plan(5) (build/<preset>/man/smk-plan.5, written by `smk manual
// --plan` from the plan schema): it is what the binary prints, it renders under
// man(1) and groff without a warning, and it has the sections a reader looks for.
// That every key of the schema is in it is tests/ceremony/test_plan_schema.cpp's,
// beside the schema.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "man_render.hpp"
#include "run.hpp"

namespace {

using namespace smk_test;

std::string plan_page() {
    const auto r = run_smk({"manual", "--plan"});
    REQUIRE_MESSAGE(r.exit_code == 0, "smk manual --plan: " << r.err);
    REQUIRE(r.err.empty());
    return r.out;
}

}  // namespace

TEST_CASE("plan page: the built man/smk-plan.5 is what smk manual --plan prints") {
    CHECK(read_file(SMK_PLAN_PAGE) == plan_page());
    const auto both = run_smk({"manual", "--plan", "--bash-completion"});
    CHECK(both.exit_code == 2);
}

TEST_CASE("plan page: man and groff render smk-plan(5) without warnings") {
    const std::string text = check_man_renders_clean(SMK_PLAN_PAGE);
    CHECK(contains(text, "SMK-PLAN(5)"));
    for (const char* section :
         {"NAME", "SYNOPSIS", "DESCRIPTION", "TABLES", "THE ISSUED PLAN", "EXAMPLE", "SEE ALSO"}) {
        CHECK_MESSAGE(contains(text, std::string("\n") + section + "\n"), section);
    }
    CHECK(contains(text, "smk(1)"));
    CHECK(contains(text, "[[holders.cards]]"));
}

TEST_CASE("plan page: the complete example it points to is the one the package installs") {
    const std::string page = plan_page();
    const std::string example = "/usr/share/doc/smk/examples/ceremony-plan.toml";
    std::string escaped;
    for (const char c : example) {
        escaped += c == '-' ? std::string("\\-") : std::string(1, c);
    }
    CHECK(contains(page, escaped));
    // docs/examples/* is what the package installs under /usr/share/doc/smk/examples.
    CHECK(std::filesystem::is_regular_file(std::filesystem::path(SMK_SOURCE_DIR) /
                                           "docs/examples/ceremony-plan.toml"));
}
