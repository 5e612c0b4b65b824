#pragma once
// The manual page smk(1) as roff (man(7) macros), from a plain description of the
// command tree. cli/manual.cpp fills the description from the CLI11 App tree that
// --help prints, so the page and --help come from one source; this half knows
// nothing of CLI11 (a pure function of its input, no I/O).

#include <string>
#include <string_view>
#include <vector>

namespace smk::cli::manual {

// One option or positional argument, as --help shows it.
struct OptionDoc {
    std::vector<std::string> names;  // "-h", "--help"; a positional: its one name
    bool positional = false;
    std::string value;  // the value's label ("TEXT", "UINT:UINT in [1 - 86400]"); empty: a flag
    bool repeatable = false;  // takes any number of values
    bool required = false;
    std::string default_value;
    std::string env;                    // the environment variable that sets it
    std::vector<std::string> needs;     // option names
    std::vector<std::string> excludes;  // option names
    std::string description;
};

// One command: its path below the program ("card", "change-pin").
struct CommandDoc {
    std::vector<std::string> path;
    std::string description;
    bool has_subcommands = false;
    std::vector<OptionDoc> options;  // positionals and options, in --help's order
    std::string footer;              // its own footer, when it has one
};

struct ExitCode {
    std::string code;
    std::string meaning;
};

struct PageDoc {
    std::string program;  // "smk"
    std::string version;
    std::string summary;               // one line, for NAME
    std::string description;           // the program's, for DESCRIPTION
    std::vector<OptionDoc> options;    // the program's own options
    std::vector<CommandDoc> commands;  // every command, depth first
    std::vector<ExitCode> exit_codes;
    std::string exit_text;  // the exit code text, when it does not parse into codes
};

// "Exit codes: 0 ok, 2 usage, 130 interrupted (Ctrl-C or SIGTERM; ...)." as a list
// of codes; empty unless the text has that shape (commas inside parentheses stay).
[[nodiscard]] std::vector<ExitCode> parse_exit_codes(std::string_view footer);

// Text escaped for roff: backslashes, a '.' or '\'' that starts a line, and the
// hyphens of words that start with '-' (options) as \-.
[[nodiscard]] std::string escape_text(std::string_view text);

// A name typed as it is (a command, an option, a plan key): every '-' a minus sign.
[[nodiscard]] std::string escape_name(std::string_view name);

// A name in bold and never hyphenated (\%): "\fB\%\-\-help\fR".
[[nodiscard]] std::string bold(std::string_view name);

// Text as .PP paragraphs: a blank line starts a new one, other line breaks are spaces.
void add_paragraphs(std::string& page, std::string_view text);

// The whole page.
[[nodiscard]] std::string render_page(const PageDoc& page);

}  // namespace smk::cli::manual
