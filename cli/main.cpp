// smk: entry point. Hardens the process, registers the command groups, and maps
// smk::Error categories (and CLI11 usage errors) to exit codes in this one place.

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cstdio>
#include <exception>

#include "card.hpp"
#include "ceremony.hpp"
#include "context.hpp"
#include "hsm.hpp"
#include "manual.hpp"
#include "media.hpp"
#include "smk/error.hpp"
#include "smk/process_hardening.hpp"
#include "smk/secret.hpp"
#include "smk/source_commit.hpp"  // generated at build time (top CMakeLists.txt)
#include "transcript.hpp"
#include "transport.hpp"
#include "version.hpp"

namespace {

using RegisterGroup = void (*)(CLI::App&, smk::cli::Context&);

// The dispatch table: one entry per command group (cli/<group>.cpp).
constexpr std::array<RegisterGroup, 10> kCommandGroups = {
    &smk::cli::register_split,    &smk::cli::register_combine,    &smk::cli::register_share,
    &smk::cli::register_media,    &smk::cli::register_card,       &smk::cli::register_hsm,
    &smk::cli::register_ceremony, &smk::cli::register_transcript, &smk::cli::register_transport,
    &smk::cli::register_version,
};

void warn_if_memory_degraded() {
    if (smk::secret_memory_degraded()) {
        fmt::print(stderr,
                   "smk: warning: secret memory could not be locked in RAM (mlock failed; "
                   "raise 'ulimit -l'): secrets may have reached swap\n");
    }
}

}  // namespace

int main(int argc, char** argv) {
    try {
        smk::disable_core_dumps();
        smk::crypto_init();
        smk::cli::Context ctx;
        CLI::App app{"smk: split, store and restore an HSM Storage Master Key"};
        // The version and the commit built from ("+dirty": uncommitted changes), so a
        // ceremony transcript can name the exact source beside the binary's SHA-256.
        app.set_version_flag(
            "--version", std::string("smk ") + SMK_VERSION + " (commit " + SMK_SOURCE_COMMIT + ")");
        app.require_subcommand(1);
        app.footer(
            "Exit codes: 0 ok, 2 usage, 3 invalid input, 4 not enough shares, 5 verification "
            "failed, 6 I/O, 7 refused (would overwrite), 8 device, 70 internal, 130 interrupted "
            "(Ctrl-C or SIGTERM; stopped at a safe point).");
        for (const RegisterGroup register_group : kCommandGroups) {
            register_group(app, ctx);
        }
        smk::cli::register_manual(app);  // hidden; its page walks every group above
        try {
            app.parse(argc, argv);  // the subcommand's callback runs here
        } catch (const CLI::ParseError& e) {
            if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
                return app.exit(e);  // --help, --version
            }
            fmt::print(stderr, "smk: usage: {}\nRun 'smk --help' or 'smk COMMAND --help'.\n",
                       e.what());
            return smk::exit_code(smk::ErrorCategory::usage);
        }
        warn_if_memory_degraded();
        return 0;
    } catch (const smk::Error& e) {
        fmt::print(stderr, "smk: {}: {}\n", smk::category_name(e.category()), e.what());
        warn_if_memory_degraded();
        return smk::exit_code(e.category());
    } catch (const std::exception& e) {
        fmt::print(stderr, "smk: internal error: {}\n", e.what());
        warn_if_memory_degraded();
        return smk::exit_code(smk::ErrorCategory::internal);
    }
}
