#pragma once
// A generated manual page renders under man(1) with --warnings and under groff with
// every warning on, without a word on stderr. Without man (man-db) or groff
// (groff-base) the check fails (never skips).

#include <doctest/doctest.h>

#include <string>

#include "support/process.hpp"

namespace smk_test {

// Renders `page` with `man --warnings -l` (80 columns) and returns the text, after
// checking both renderers are silent and succeed.
inline std::string check_man_renders_clean(const std::string& page) {
    Command man({"man", "--warnings", "-l", page});
    man.env = {"MANWIDTH=80", "MANPAGER=cat", "PAGER=cat"};
    const auto r = run_process(man);
    REQUIRE_MESSAGE(r.shell_status() != 127,
                    "man is missing: scripts/install-deps.sh installs man-db (and groff-base)");
    CHECK_MESSAGE(r.err.empty(), "man --warnings -l " << page << ":\n" << r.err);
    CHECK(r.shell_status() == 0);

    // groff with every warning on, as a second opinion.
    const auto groff = run_process(Command({"groff", "-man", "-Tutf8", "-ww", "-z", page}));
    REQUIRE_MESSAGE(groff.shell_status() != 127,
                    "groff is missing: scripts/install-deps.sh installs groff-base");
    CHECK_MESSAGE(groff.err.empty(), "groff -ww " << page << ":\n" << groff.err);
    CHECK(groff.shell_status() == 0);
    return r.out;
}

}  // namespace smk_test
