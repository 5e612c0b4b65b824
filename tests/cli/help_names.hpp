#pragma once
// The names `smk ... --help` lists for one command: its options and positionals, and
// its subcommands, read from the help text as a user sees it (tests of the
// generated manual page and bash completion compare against these).

#include <doctest/doctest.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "run.hpp"

namespace smk_test {

// The names --help lists for one command.
struct HelpNames {
    std::set<std::string> options;  // "-h", "--help", "--reader", ... and positionals
    std::vector<std::string> subcommands;
};

// `smk PATH... --help`, its "Options:", "Positionals:" and "Subcommands:" sections:
// an entry line starts with two spaces and its names ("-h,--help", "files TEXT"),
// a wrapped description with many.
inline HelpNames help_names(const std::vector<std::string>& path) {
    std::vector<std::string> args = path;
    args.push_back("--help");
    const auto r = run_smk(args);
    REQUIRE_MESSAGE(r.exit_code == 0, "smk " << path.size() << " --help: " << r.err);
    HelpNames names;
    std::string section;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) {
            section.clear();
            continue;
        }
        if (line == "Options:" || line == "Positionals:" || line == "Subcommands:") {
            section = line;
            continue;
        }
        if (section.empty() || line.size() < 3 || line.rfind("  ", 0) != 0 || line[2] == ' ') {
            continue;
        }
        const std::string first = line.substr(2, line.find(' ', 2) - 2);
        if (section == "Subcommands:") {
            names.subcommands.push_back(first);
            continue;
        }
        std::istringstream parts(first);
        for (std::string name; std::getline(parts, name, ',');) {
            names.options.insert(name);
        }
    }
    return names;
}

}  // namespace smk_test
