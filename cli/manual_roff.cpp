// smk(1) as roff: man(7) macros only (.TH .SH .SS .TP .PP .B .BR .br), every piece
// of text through escape_text, so the page renders under `man --warnings` without
// a warning whatever the descriptions say.

#include "manual_roff.hpp"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace smk::cli::manual {
namespace {

bool is_word_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

std::string italic(std::string_view text) {
    return "\\fI" + escape_text(text) + "\\fR";
}

std::string joined(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (const std::string& part : parts) {
        if (!out.empty()) {
            out += separator;
        }
        out += part;
    }
    return out;
}

std::string command_name(std::string_view program, const std::vector<std::string>& path) {
    std::string name(program);
    for (const std::string& part : path) {
        name += ' ';
        name += part;
    }
    return name;
}

// The names list of Needs/Excludes: "\-\-pin\-fd, \-\-pin\-file".
std::string name_list(const std::vector<std::string>& names) {
    std::vector<std::string> escaped;
    for (const std::string& name : names) {
        escaped.push_back(bold(name));
    }
    return joined(escaped, ", ");
}

// ".TP" with the option's names and value, then its description and what --help
// shows beside it (required, default, environment, needs, excludes).
void add_option(std::string& page, const OptionDoc& option) {
    std::string tag;
    if (option.positional) {
        tag = italic(option.names.empty() ? std::string() : option.names.front());
    } else {
        std::vector<std::string> names;
        for (const std::string& name : option.names) {
            names.push_back(bold(name));
        }
        tag = joined(names, ", ");
        if (!option.value.empty()) {
            tag += " " + italic(option.value);
        }
    }
    if (option.repeatable) {
        tag += " ...";
    }
    page += ".TP\n" + tag + "\n";
    std::string extras;  // on a line of their own, as --help shows them beside the names
    auto sentence = [&extras](const std::string& text) {
        if (!extras.empty()) {
            extras += ' ';
        }
        extras += text;
    };
    if (option.required) {
        sentence("Required.");
    }
    if (!option.default_value.empty()) {
        sentence("Default: " + escape_text(option.default_value) + ".");
    }
    if (!option.env.empty()) {
        sentence("Environment: \\fB" + escape_text(option.env) + "\\fR.");
    }
    if (!option.needs.empty()) {
        sentence("Needs: " + name_list(option.needs) + ".");
    }
    if (!option.excludes.empty()) {
        sentence("Excludes: " + name_list(option.excludes) + ".");
    }
    const std::string description = escape_text(option.description);
    if (description.empty() && extras.empty()) {
        page += "\\&\n";
    } else if (extras.empty()) {
        page += description + "\n";
    } else if (description.empty()) {
        page += extras + "\n";
    } else {
        page += description + "\n.br\n" + extras + "\n";
    }
}

// "smk card change-pin [OPTIONS] [file]" as --help's Usage line.
std::string usage(std::string_view program, const CommandDoc& command) {
    std::string line = bold(command_name(program, command.path));
    if (command.has_subcommands) {
        line += " " + italic("SUBCOMMAND");
    }
    bool has_options = false;
    for (const OptionDoc& option : command.options) {
        has_options = has_options || !option.positional;
    }
    if (has_options) {
        line += " [" + italic("OPTIONS") + "]";
    }
    for (const OptionDoc& option : command.options) {
        if (!option.positional || option.names.empty()) {
            continue;
        }
        std::string argument = italic(option.names.front());
        if (option.repeatable) {
            argument += " ...";
        }
        line += " " + (option.required ? argument : "[" + argument + "]");
    }
    return line;
}

}  // namespace

// A name typed as it is (a command, an option): every '-' a minus sign.
std::string escape_name(std::string_view name) {
    std::string out;
    for (const char c : name) {
        if (c == '-') {
            out += "\\-";
        } else if (c == '\\') {
            out += "\\e";
        } else {
            out += c;
        }
    }
    return out;
}

// Bold and never hyphenated (\%): a name to type.
std::string bold(std::string_view name) {
    return "\\fB\\%" + escape_name(name) + "\\fR";
}

// Text as paragraphs: a blank line starts a new one, other line breaks are spaces.
void add_paragraphs(std::string& page, std::string_view text) {
    std::string paragraph;
    std::size_t start = 0;
    auto flush = [&] {
        if (!paragraph.empty()) {
            page += ".PP\n" + escape_text(paragraph) + "\n";
            paragraph.clear();
        }
    };
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        std::string_view line = text.substr(start, end - start);
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
            line.remove_prefix(1);
        }
        if (line.empty()) {
            flush();
        } else {
            if (!paragraph.empty()) {
                paragraph += ' ';
            }
            paragraph += line;
        }
        start = end + 1;
    }
    flush();
}

std::string escape_text(std::string_view text) {
    std::string out;
    bool line_start = true;
    bool in_option = false;  // inside a word that started with '-'
    char previous = ' ';
    for (const char c : text) {
        if (line_start && (c == '.' || c == '\'')) {
            out += "\\&";
        }
        if (c == '-') {
            in_option = in_option || !(is_word_char(previous) || previous == '-');
            out += in_option ? "\\-" : "-";
        } else {
            if (!is_word_char(c) && c != '=') {
                in_option = false;
            }
            if (c == '\\') {
                out += "\\e";
            } else {
                out += c;
            }
        }
        line_start = c == '\n';
        previous = c;
    }
    return out;
}

std::vector<ExitCode> parse_exit_codes(std::string_view footer) {
    constexpr std::string_view kPrefix = "Exit codes:";
    if (footer.substr(0, kPrefix.size()) != kPrefix) {
        return {};
    }
    std::string_view rest = footer.substr(kPrefix.size());
    while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.back())) != 0) {
        rest.remove_suffix(1);
    }
    if (!rest.empty() && rest.back() == '.') {
        rest.remove_suffix(1);
    }
    std::vector<std::string> items(1);
    int depth = 0;
    for (const char c : rest) {
        depth += c == '(' ? 1 : (c == ')' ? -1 : 0);
        if (c == ',' && depth == 0) {
            items.emplace_back();
        } else {
            items.back() += c;
        }
    }
    std::vector<ExitCode> codes;
    for (std::string& item : items) {
        const std::size_t first = item.find_first_not_of(' ');
        if (first == std::string::npos) {
            return {};
        }
        item.erase(0, first);
        std::size_t digits = 0;
        while (digits < item.size() && std::isdigit(static_cast<unsigned char>(item[digits]))) {
            ++digits;
        }
        if (digits == 0 || digits >= item.size() || item[digits] != ' ') {
            return {};
        }
        codes.push_back({item.substr(0, digits), item.substr(digits + 1)});
    }
    return codes;
}

std::string render_page(const PageDoc& page) {
    std::string out;
    std::string upper;
    for (const char c : page.program) {
        upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    out += ".\\\" " + escape_name(page.program) + "(1), generated by `" +
           escape_name(page.program) +
           " manual` from the command tree its --help prints. Do not edit.\n";
    out += ".TH " + upper + " 1 \"\" \"" + escape_name(page.program) + " " +
           escape_name(page.version) + "\" \"User Commands\"\n";

    out += ".SH NAME\n" + escape_name(page.program) + " \\- " + escape_text(page.summary) + "\n";

    out += ".SH SYNOPSIS\n";
    out += bold(page.program) + " [" + bold("--help") + "] [" + bold("--version") + "]\n";
    for (const CommandDoc& command : page.commands) {
        if (command.path.size() == 1) {
            out += ".br\n" + usage(page.program, command) + "\n";
        }
    }

    out += ".SH DESCRIPTION\n";
    out += escape_text(page.description) + ".\n";
    out += ".PP\nEach command below is shown as " + bold(page.program + " COMMAND --help") +
           " shows it: its usage, what it does and its options (every command also takes " +
           bold("-h") + ", " + bold("--help") +
           "). A command with subcommands does nothing by itself.\n";

    out += ".SH OPTIONS\n";
    for (const OptionDoc& option : page.options) {
        add_option(out, option);
    }

    out += ".SH COMMANDS\n";
    for (const CommandDoc& command : page.commands) {
        out += ".SS \"" + escape_name(command_name(page.program, command.path)) + "\"\n";
        out += usage(page.program, command) + "\n";
        add_paragraphs(out, command.description);
        if (command.has_subcommands) {
            std::vector<std::string> children;
            for (const CommandDoc& other : page.commands) {
                if (other.path.size() == command.path.size() + 1 &&
                    std::equal(command.path.begin(), command.path.end(), other.path.begin())) {
                    children.push_back(bold(other.path.back()));
                }
            }
            out += ".PP\nSubcommands: " + joined(children, ", ") + ".\n";
        }
        for (const OptionDoc& option : command.options) {
            add_option(out, option);
        }
        add_paragraphs(out, command.footer);
    }

    out += ".SH \"EXIT STATUS\"\n";
    for (const ExitCode& code : page.exit_codes) {
        out += ".TP\n.B " + escape_name(code.code) + "\n" + escape_text(code.meaning) + "\n";
    }
    if (page.exit_codes.empty()) {
        add_paragraphs(out, page.exit_text);
    }

    out += ".SH \"SEE ALSO\"\n";
    out += ".BR pcscd (8),\n.BR pkcs11\\-tool (1),\n.BR softhsm2\\-util (1)\n";
    out +=
        ".PP\nThe README.md and docs/ of the smk source: the ceremonies, the plan, the "
        "formats.\n";
    return out;
}

}  // namespace smk::cli::manual
