// smk manual: walks the CLI11 App tree (what --help prints) into a manual::PageDoc
// and prints it as roff (cli/manual_roff.cpp). Commands and options in the group ""
// are hidden from --help and left out here too, `manual` itself among them.

#include "manual.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "io.hpp"
#include "manual_completion.hpp"
#include "manual_plan.hpp"
#include "manual_roff.hpp"

namespace smk::cli {
namespace {

bool hidden(const CLI::App& command) {
    return command.get_group().empty();
}

std::vector<std::string> sorted_names(const std::set<CLI::Option*>& options) {
    std::vector<std::string> names;
    for (const CLI::Option* option : options) {
        names.push_back(option->get_name());
    }
    std::sort(names.begin(), names.end());
    return names;
}

manual::OptionDoc option_doc(const CLI::Option& option) {
    manual::OptionDoc doc;
    doc.positional = !option.nonpositional();
    if (doc.positional) {
        doc.names.push_back(option.get_name(true, false));
    } else {
        for (const std::string& name : option.get_snames()) {
            doc.names.push_back("-" + name);
        }
        for (const std::string& name : option.get_lnames()) {
            doc.names.push_back("--" + name);
        }
    }
    if (!option.get_option_text().empty()) {
        doc.value = option.get_option_text();
    } else if (option.get_type_size() != 0) {
        doc.value = option.get_type_name();
        doc.repeatable = option.get_expected_max() == CLI::detail::expected_max_vector_size;
        doc.required = option.get_required();
        doc.default_value = option.get_default_str();
    }
    doc.env = option.get_envname();
    doc.needs = sorted_names(option.get_needs());
    doc.excludes = sorted_names(option.get_excludes());
    doc.description = option.get_description();
    return doc;
}

// The options --help lists for `command`: positionals first, then the others, each
// in the order they were added, its option groups' (unnamed subcommands) included.
std::vector<manual::OptionDoc> option_docs(const CLI::App& command, bool with_help) {
    std::vector<const CLI::Option*> options;
    auto take = [&options](const CLI::App& app) {
        for (const CLI::Option* option : app.get_options()) {
            options.push_back(option);
        }
    };
    take(command);
    for (const CLI::App* group : command.get_subcommands({})) {
        if (group->get_name().empty()) {
            take(*group);
        }
    }
    std::vector<manual::OptionDoc> docs;
    for (const bool positional : {true, false}) {
        for (const CLI::Option* option : options) {
            const bool shown =
                !option->get_group().empty() && (with_help || option != command.get_help_ptr());
            if (shown && option->nonpositional() != positional) {
                docs.push_back(option_doc(*option));
            }
        }
    }
    return docs;
}

void add_commands(const CLI::App& parent, std::vector<std::string> path,
                  std::vector<manual::CommandDoc>& out) {
    for (const CLI::App* command : parent.get_subcommands({})) {
        if (command->get_name().empty() || hidden(*command)) {
            continue;
        }
        manual::CommandDoc doc;
        doc.path = path;
        doc.path.push_back(command->get_name());
        doc.description = command->get_description();
        doc.options = option_docs(*command, false);
        doc.has_subcommands = !command
                                   ->get_subcommands([](const CLI::App* sub) {
                                       return !sub->get_name().empty() && !hidden(*sub);
                                   })
                                   .empty();
        if (command->get_footer() != parent.get_footer()) {
            doc.footer = command->get_footer();  // its own, not the one inherited
        }
        const std::vector<std::string> below = doc.path;
        out.push_back(std::move(doc));
        add_commands(*command, below, out);
    }
}

manual::PageDoc page_doc(const CLI::App& root) {
    manual::PageDoc page;
    page.program = "smk";
    page.version = SMK_VERSION;
    page.description = root.get_description();
    page.summary = page.description;
    const std::string prefix = page.program + ": ";
    if (page.summary.rfind(prefix, 0) == 0) {
        page.summary.erase(0, prefix.size());
    }
    page.options = option_docs(root, true);
    add_commands(root, {}, page.commands);
    page.exit_text = root.get_footer();
    page.exit_codes = manual::parse_exit_codes(page.exit_text);
    return page;
}

}  // namespace

void register_manual(CLI::App& app) {
    CLI::App* cmd = app.add_subcommand(
        "manual", "Print the manual page smk(1) (roff) on stdout, or another generated file");
    cmd->group("");
    struct Choice {
        bool plan = false;
        bool completion = false;
    };
    auto choice = std::make_shared<Choice>();
    CLI::Option* plan_flag = cmd->add_flag(
        "--plan", choice->plan, "The manual page smk-plan(5), the ceremony plan, instead");
    cmd->add_flag("--bash-completion", choice->completion, "The bash completion script instead")
        ->excludes(plan_flag);
    cmd->callback([&app, choice] {
        if (choice->plan) {
            print_out(manual::render_plan_page(SMK_VERSION));
        } else if (choice->completion) {
            print_out(manual::render_bash_completion(page_doc(app)));
        } else {
            print_out(manual::render_page(page_doc(app)));
        }
    });
}

}  // namespace smk::cli
