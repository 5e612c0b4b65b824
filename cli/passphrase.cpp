#include "passphrase.hpp"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>

#include "io.hpp"
#include "smk/error.hpp"
#include "tty.hpp"

namespace smk::cli {
namespace {

constexpr std::size_t kMaxPassphraseBytes = 1024;

// First line of the file, without its line terminator.
Secret passphrase_from_file(const std::string& path) {
    Secret content = read_input(path, 64 * 1024);
    const std::string_view text = content.text();
    std::size_t end = text.find('\n');
    if (end == std::string_view::npos) {
        end = text.size();
    }
    if (end > 0 && text[end - 1] == '\r') {
        --end;
    }
    content.truncate(end);
    return content;
}

// SLIP-39 passphrases are printable ASCII; checked without branching per byte.
void check_printable(const Secret& passphrase, std::string_view source) {
    if (passphrase.empty()) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("the passphrase from {} is empty; to use no passphrase, leave "
                                "out --passphrase-file and --ask-passphrase",
                                source));
    }
    unsigned bad = 0;
    for (const std::uint8_t c : passphrase.bytes()) {
        // (c - 32) underflows for c < 32 and 126 - c for c > 126: bit 8 set either way.
        bad |= ((static_cast<unsigned>(c) - 32U) | (126U - static_cast<unsigned>(c))) >> 8U;
    }
    if (bad != 0) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("the passphrase from {} has a character that is not printable "
                                "ASCII; SLIP-39 passphrases may use only ASCII 32..126",
                                source));
    }
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
        Secret passphrase = passphrase_from_file(options.file);
        check_printable(passphrase, input_name(options.file));
        return passphrase;
    }
    if (!options.ask) {
        return {};
    }
    Tty tty("--ask-passphrase (use --passphrase-file FILE without a terminal)");
    Secret passphrase =
        tty.read_line("SLIP-39 passphrase: ", false, kMaxPassphraseBytes, "the passphrase");
    check_printable(passphrase, "the terminal");
    if (confirm) {
        const Secret again = tty.read_line("SLIP-39 passphrase (again): ", false,
                                           kMaxPassphraseBytes, "the passphrase");
        if (!constant_time_equal(passphrase.bytes(), again.bytes())) {
            throw Error(ErrorCategory::invalid_input,
                        "the two passphrases differ; nothing was done. Run again.");
        }
    }
    return passphrase;
}

}  // namespace smk::cli
