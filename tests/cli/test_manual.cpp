// The manual page smk(1) (build/<preset>/man/smk.1, written by the hidden `smk manual`):
// it renders under man(1) and groff without a warning, and it cannot drift from --help:
// every command, option and positional that `smk ... --help` prints, walked from the
// binary, is in the page's section for that command and the page has no other; every
// exit code of the footer is in EXIT STATUS.
// Without man (man-db) or groff (groff-base) these tests fail (never skip).

#include <doctest/doctest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "help_names.hpp"
#include "man_render.hpp"
#include "run.hpp"

namespace {

using namespace smk_test;

std::string joined(const std::vector<std::string>& path) {
    std::string out = "smk";
    for (const std::string& part : path) {
        out += " " + part;
    }
    return out;
}

// Every command below `path`, depth first, with the names its --help lists.
void walk_help(const std::vector<std::string>& path, std::map<std::string, HelpNames>& out) {
    HelpNames names = help_names(path);
    const std::vector<std::string> subcommands = names.subcommands;
    out[joined(path)] = std::move(names);
    for (const std::string& sub : subcommands) {
        std::vector<std::string> below = path;
        below.push_back(sub);
        walk_help(below, out);
    }
}

// Roff text without its escapes: \- \fB \fI \fR \% \& \e.
std::string plain(std::string text) {
    static const std::vector<std::pair<std::string, std::string>> kEscapes = {
        {"\\-", "-"}, {"\\fB", ""}, {"\\fI", ""}, {"\\fR", ""},
        {"\\%", ""},  {"\\&", ""},  {"\\e", "\\"}};
    for (const auto& [escape, replacement] : kEscapes) {
        for (std::size_t at = text.find(escape); at != std::string::npos;
             at = text.find(escape, at + replacement.size())) {
            text.replace(at, escape.size(), replacement);
        }
    }
    return text;
}

// The page as its sections: "smk" (the program's OPTIONS), "smk card change-pin"
// (each .SS of COMMANDS), "EXIT STATUS", ...; each the roff lines below its heading.
std::map<std::string, std::vector<std::string>> page_sections(const std::string& page) {
    std::map<std::string, std::vector<std::string>> sections;
    std::string current;
    std::istringstream in(page);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(".SH ", 0) == 0 || line.rfind(".SS ", 0) == 0) {
            std::string title = plain(line.substr(4));
            if (title.size() >= 2 && title.front() == '"' && title.back() == '"') {
                title = title.substr(1, title.size() - 2);
            }
            current = title == "OPTIONS" ? "smk" : title;
            sections[current];
            continue;
        }
        if (!current.empty()) {
            sections[current].push_back(line);
        }
    }
    return sections;
}

// The names of a section's .TP entries: the options' names (bold: \fB\%NAME\fR; the
// value is in italics) or a positional's (a tag that starts in italics).
std::set<std::string> tagged_names(const std::vector<std::string>& lines) {
    static const std::regex kBold(R"(\\fB\\%(.*?)\\fR)");
    static const std::regex kPositional(R"(^\\fI(.*?)\\fR)");
    std::set<std::string> names;
    for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
        if (lines[i] != ".TP") {
            continue;
        }
        const std::string& tag = lines[i + 1];
        std::smatch match;
        if (std::regex_search(tag, match, kPositional)) {
            names.insert(plain(match[1]));
            continue;
        }
        for (auto it = std::sregex_iterator(tag.begin(), tag.end(), kBold);
             it != std::sregex_iterator(); ++it) {
            names.insert(plain((*it)[1]));
        }
    }
    return names;
}

std::string manual_page() {
    const auto r = run_smk({"manual"});
    REQUIRE_MESSAGE(r.exit_code == 0, "smk manual: " << r.err);
    REQUIRE(r.err.empty());
    return r.out;
}

std::string listed(const std::set<std::string>& names) {
    std::string out;
    for (const std::string& name : names) {
        out += " " + name;
    }
    return out;
}

}  // namespace

TEST_CASE("man page: the built man/smk.1 is what smk manual prints and --help hides manual") {
    CHECK(read_file(SMK_MAN_PAGE) == manual_page());
    const auto help = run_smk({"--help"});
    CHECK(help.exit_code == 0);
    CHECK_FALSE(contains(help.out, "manual"));
}

TEST_CASE("man page: man and groff render smk(1) without warnings") {
    const std::string text = check_man_renders_clean(SMK_MAN_PAGE);
    CHECK(contains(text, "EXIT STATUS"));
    CHECK(contains(text, "smk card change-pin"));
}

TEST_CASE("man page: every command and option smk --help lists is in smk(1) and no other") {
    std::map<std::string, HelpNames> help;
    walk_help({}, help);
    REQUIRE(help.size() > 40);  // the walk found the command tree
    const auto sections = page_sections(manual_page());

    std::set<std::string> page_commands;
    for (const auto& [title, lines] : sections) {
        if (title.rfind("smk", 0) == 0) {
            page_commands.insert(title);
        }
    }
    std::set<std::string> help_commands;
    for (const auto& [command, names] : help) {
        help_commands.insert(command);
    }
    CHECK_MESSAGE(page_commands == help_commands,
                  "page:" << listed(page_commands) << "\n--help:" << listed(help_commands));

    for (const auto& [command, names] : help) {
        INFO(command);
        REQUIRE(sections.count(command) == 1);
        std::set<std::string> expected = names.options;
        if (command != "smk") {
            // Said once, in DESCRIPTION and OPTIONS: every command takes -h, --help.
            expected.erase("-h");
            expected.erase("--help");
        }
        const std::set<std::string> in_page = tagged_names(sections.at(command));
        CHECK_MESSAGE(in_page == expected,
                      "page:" << listed(in_page) << "\n--help:" << listed(expected));
    }
}

TEST_CASE("man page: EXIT STATUS has every exit code of the --help footer") {
    const auto help = run_smk({"--help"});
    REQUIRE(help.exit_code == 0);
    const auto footer_at = help.out.find("Exit codes:");
    REQUIRE(footer_at != std::string::npos);
    const std::string footer =
        help.out.substr(footer_at, help.out.find('\n', footer_at) - footer_at);
    std::set<std::string> footer_codes;
    const std::regex code(R"((?:: |, )(\d+) )");
    for (auto it = std::sregex_iterator(footer.begin(), footer.end(), code);
         it != std::sregex_iterator(); ++it) {
        footer_codes.insert((*it)[1]);
    }
    CHECK(footer_codes ==
          std::set<std::string>{"0", "2", "3", "4", "5", "6", "7", "8", "70", "130"});

    const auto sections = page_sections(manual_page());
    REQUIRE(sections.count("EXIT STATUS") == 1);
    const auto& lines = sections.at("EXIT STATUS");
    std::set<std::string> page_codes;
    for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
        if (lines[i] == ".TP" && lines[i + 1].rfind(".B ", 0) == 0) {
            page_codes.insert(lines[i + 1].substr(3));
        }
    }
    CHECK_MESSAGE(page_codes == footer_codes,
                  "page:" << listed(page_codes) << "\nfooter:" << listed(footer_codes));
    // The meaning beside each code too, e.g. "130 interrupted (Ctrl-C or SIGTERM; ...)".
    std::string text;
    for (const std::string& line : lines) {
        text += plain(line) + "\n";
    }
    CHECK(contains(text, ".B 130\ninterrupted (Ctrl-C or SIGTERM; stopped at a safe point)\n"));
    CHECK(contains(text, ".B 7\nrefused (would overwrite)\n"));
}

TEST_CASE("man page: smk(1) escapes what roff would read as a request or an escape") {
    const std::string page = manual_page();
    std::istringstream in(page);
    for (std::string line; std::getline(in, line);) {
        INFO(line);
        if (!line.empty() && (line.front() == '.' || line.front() == '\'')) {
            // Requests: only the man(7) macros and the header comment.
            CHECK(std::regex_match(
                line, std::regex(R"(\.(\\" .*|TH .*|SH .*|SS .*|TP|PP|br|B .*|BR .*))")));
        }
    }
    // Option names are minus signs, not hyphens; no bare backslash escape slips through.
    CHECK(contains(page, "\\fB\\%\\-\\-pin\\-file\\fR"));
    CHECK_FALSE(contains(page, " --pin-file"));
}
