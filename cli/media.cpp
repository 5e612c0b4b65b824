// smk media: sha256sum-compatible manifests of backup drives, their verification
// (reading from the device, not the page cache), and a file's digest in the three
// forms people compare. Options only: smk_media does the work and writes the
// reports (smk/manifest_report.hpp).

#include "media.hpp"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "io.hpp"
#include "media_copy.hpp"
#include "media_drive.hpp"
#include "smk/digest.hpp"
#include "smk/manifest.hpp"
#include "smk/manifest_report.hpp"

namespace smk::cli {
namespace {

namespace fs = std::filesystem;
namespace mf = smk::manifest;

struct ManifestCommand {
    std::string dir;
    std::string out;
    bool json = false;
};

struct VerifyCommand {
    std::string dir;
    std::vector<std::string> manifests;
    bool strict = false;
    bool json = false;
};

struct DigestCommand {
    std::string file;
    bool json = false;
};

void run_manifest(const ManifestCommand& cmd) {
    const mf::Generated generated =
        cmd.out.empty() ? mf::generate(cmd.dir) : mf::write_manifest(cmd.dir, cmd.out);
    if (cmd.json) {
        write_all(1, mf::generated_json(generated, cmd.dir, cmd.out));
        return;
    }
    if (cmd.out.empty()) {
        write_all(1, generated.text());  // exactly what sha256sum would print
    }
    // With the manifest on stdout, everything else goes to stderr so that
    // `smk media manifest DIR > SHA256SUMS` stays a clean manifest.
    write_all(cmd.out.empty() ? 2 : 1, mf::generated_notes(generated, cmd.dir, cmd.out));
}

void run_verify(const VerifyCommand& cmd) {
    const mf::VerifyOptions options{.strict = cmd.strict, .read_mode = ReadMode::direct};
    const std::vector<fs::path> manifests(cmd.manifests.begin(), cmd.manifests.end());
    const mf::VerifyReport report = manifests.empty() ? mf::verify_directory(cmd.dir, options)
                                                      : mf::verify(cmd.dir, manifests, options);
    if (cmd.json) {
        write_all(1, mf::verify_json(report, cmd.dir, options.read_mode));
    } else {
        write_all(2, mf::verify_warnings(report));
        write_all(1, mf::verify_text(report));
    }
    mf::throw_if_failed(report, cmd.dir);
}

void run_digest(const DigestCommand& cmd) {
    const FileDigest digest = sha256_file(cmd.file, ReadMode::direct);
    write_all(1, cmd.json ? digest_json(digest, cmd.file) : digest_text(digest, cmd.file));
}

}  // namespace

void register_media(CLI::App& app) {
    auto* media = app.add_subcommand("media",
                                     "Backup drives: USB serial check, copy, manifests, "
                                     "verification from the device, digests, eject");
    media->require_subcommand(1);

    // Each command's options are owned by its callback (no statics, no globals).
    auto manifest = std::make_shared<ManifestCommand>();
    auto* manifest_cmd = media->add_subcommand(
        "manifest",
        "List every regular file under DIR with its SHA-256, in sha256sum format (names "
        "relative to DIR, sorted), then every symbolic link with its target as a "
        "'# symlink NAME -> TARGET' comment line, which sha256sum -c skips (links are never "
        "followed)");
    manifest_cmd->add_option("dir", manifest->dir, "The tree to list")->required();
    manifest_cmd->add_option("--out", manifest->out,
                             "Write the manifest to this new file (never overwritten) instead "
                             "of stdout");
    manifest_cmd->add_flag("--json", manifest->json, "Print the result as JSON");
    manifest_cmd->callback([manifest] { run_manifest(*manifest); });

    auto verify = std::make_shared<VerifyCommand>();
    auto* verify_cmd = media->add_subcommand(
        "verify",
        "Check DIR against its manifests (every *.sha256sum and SHA256SUMS in DIR, or "
        "--manifest), as 'cd DIR && sha256sum -c' would, reading from the device, and check "
        "that every recorded symbolic link is there with exactly its target");
    verify_cmd->add_option("dir", verify->dir, "The tree to check")->required();
    verify_cmd
        ->add_option("--manifest", verify->manifests,
                     "A manifest to check (may be repeated; names in it are relative to DIR)")
        ->allow_extra_args(false);
    verify_cmd->add_flag("--strict", verify->strict,
                         "Fail on any improperly formatted manifest line and on files or links "
                         "that no manifest lists");
    verify_cmd->add_flag("--json", verify->json, "Print the result as JSON");
    verify_cmd->callback([verify] { run_verify(*verify); });

    auto digest = std::make_shared<DigestCommand>();
    auto* digest_cmd = media->add_subcommand(
        "digest", "Show a file's SHA-256 as hex, as openssl's colon groups and as PGP words");
    digest_cmd->add_option("file", digest->file, "The file to hash")->required();
    digest_cmd->add_flag("--json", digest->json, "Print the result as JSON");
    digest_cmd->callback([digest] { run_digest(*digest); });

    add_media_copy_command(*media);
    add_media_drive_commands(*media);
}

void register_media(CLI::App& app, Context& /*ctx*/) {
    register_media(app);
}

}  // namespace smk::cli
