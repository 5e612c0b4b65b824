#include "passphrase.hpp"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>

#include "io.hpp"
#include "smk/error.hpp"
#include "smk/secret_input.hpp"
#include "smk/slip39.hpp"
#include "tty.hpp"

namespace smk::cli {
namespace {

void check_printable(const Secret& passphrase, std::string_view source) {
    const char* problem = slip39::passphrase_problem(passphrase.bytes());
    if (problem == nullptr) {
        return;
    }
    throw Error(ErrorCategory::invalid_input,
                passphrase.empty()
                    ? fmt::format("the passphrase from {} is empty; to use no passphrase, leave "
                                  "out --passphrase-file and --ask-passphrase",
                                  source)
                    : fmt::format("the passphrase from {} {}", source, problem));
}

}  // namespace

void add_passphrase_options(CLI::App& cmd, PassphraseOptions& options) {
    auto* file = cmd.add_option("--passphrase-file", options.file,
                                "SLIP-39 passphrase: the first line of FILE (never on the "
                                "command line)");
    auto* ask = cmd.add_flag("--ask-passphrase", options.ask,
                             "SLIP-39 passphrase: prompt on /dev/tty without echo");
    file->excludes(ask);
    ask->excludes(file);
}

Secret read_passphrase(const PassphraseOptions& options, bool confirm) {
    if (!options.file.empty()) {
        Secret passphrase = read_first_line(options.file, 64 * 1024);
        check_printable(passphrase, input_name(options.file));
        return passphrase;
    }
    if (!options.ask) {
        return {};
    }
    Tty tty("--ask-passphrase (use --passphrase-file FILE without a terminal)");
    const auto printable = [](const Secret& typed) { check_printable(typed, "the terminal"); };
    if (confirm) {
        return tty.read_twice("SLIP-39 passphrase: ", "SLIP-39 passphrase (again): ",
                              slip39::kMaxPassphraseBytes, "the passphrase", printable,
                              "the two passphrases differ; nothing was done. Run again.");
    }
    Secret passphrase =
        tty.read_line("SLIP-39 passphrase: ", false, slip39::kMaxPassphraseBytes, "the passphrase");
    printable(passphrase);
    return passphrase;
}

}  // namespace smk::cli
