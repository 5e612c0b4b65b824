// smk: entry point. Hardens the process, registers the command groups, and maps
// smk::Error categories to exit codes in this one place.

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cstdio>
#include <exception>

#include "smk/error.hpp"
#include "smk/process_hardening.hpp"
#include "smk/secret.hpp"

int main(int argc, char** argv) {
    try {
        smk::disable_core_dumps();
        smk::crypto_init();
        CLI::App app{"smk: split, store and restore an HSM Storage Master Key"};
        app.set_version_flag("--version", std::string("smk ") + SMK_VERSION);
        app.require_subcommand(1);
        CLI11_PARSE(app, argc, argv);
        return 0;
    } catch (const smk::Error& e) {
        fmt::print(stderr, "smk: {}: {}\n", smk::category_name(e.category()), e.what());
        return smk::exit_code(e.category());
    } catch (const std::exception& e) {
        fmt::print(stderr, "smk: internal error: {}\n", e.what());
        return smk::exit_code(smk::ErrorCategory::internal);
    }
}
