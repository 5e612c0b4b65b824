// smk version: which smk this is, so the paper script can record the binary that ran
// a ceremony: the version, the source commit it was built from and the SHA-256 of the
// running binary, in hex (compare with `sha256sum $(command -v smk)`) and PGP words
// (read aloud). The same values open every flow's transcript
// (smk/ceremony/provenance.hpp).

#include "version.hpp"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>

#include "io.hpp"
#include "smk/ceremony/provenance.hpp"
#include "smk/pgp_words.hpp"

namespace smk::cli {
namespace {

// The running binary's path, as the kernel names it (for the reader; the digest is
// of what runs, /proc/self/exe, even if that path was replaced since).
std::string binary_path() {
    std::error_code ec;
    const auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::string("/proc/self/exe") : path.string();
}

void run_version(bool json) {
    const auto& p = ceremony::provenance();
    if (json) {
        const nlohmann::json out = {{"version", p.version},
                                    {"commit", p.commit},
                                    {"binary", binary_path()},
                                    {"sha256", p.binary_sha256},
                                    {"pgp_words", pgp_words(p.binary_digest)}};
        print_out(out.dump(2) + "\n");
        return;
    }
    print_out(fmt::format("smk {}\nsource commit {}\nbinary {}\n  sha256sum  {}\n  PGP words\n{}",
                          p.version, p.commit, binary_path(), p.binary_sha256,
                          pgp_words_block(p.binary_digest, "    ")));
}

}  // namespace

void register_version(CLI::App& app, Context& /*ctx*/) {
    auto json = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand(
        "version",
        "Which smk this is: version, source commit and the SHA-256 of the running binary "
        "(hex and PGP words), for the paper script");
    cmd->add_flag("--json", *json, "Print the same as JSON");
    cmd->callback([json] { run_version(*json); });
}

}  // namespace smk::cli
