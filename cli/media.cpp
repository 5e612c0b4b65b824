// smk media: sha256sum-compatible manifests of backup drives, their verification
// (reading from the device, not the page cache), and a file's digest in the three
// forms people compare: hex, openssl's colon groups, and PGP words to read aloud.

#include "media.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "io.hpp"
#include "json_text.hpp"
#include "media_copy.hpp"
#include "media_drive.hpp"
#include "smk/digest.hpp"
#include "smk/error.hpp"
#include "smk/manifest.hpp"

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

// A name on one line, escaped as `sha256sum -c` prints it (a leading '\' when the
// name holds '\', newline or CR).
std::string shown(std::string_view name) {
    if (name.find_first_of("\\\n\r") == std::string_view::npos) {
        return std::string(name);
    }
    std::string out = "\\";
    for (const char c : name) {
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            default:
                out.push_back(c);
                break;
        }
    }
    return out;
}

std::string_view read_mode_name(ReadMode mode) {
    switch (mode) {
        case ReadMode::direct:
            return "direct";
        case ReadMode::drop_cache:
            return "drop_cache";
        case ReadMode::cached:
            return "cached";
    }
    return "cached";
}

std::vector<std::string> words_of(const Sha256& digest) {
    std::vector<std::string> words;
    const std::string all = pgp_words(digest);
    std::size_t start = 0;
    while (start < all.size()) {
        const std::size_t space = all.find(' ', start);
        words.push_back(all.substr(start, space - start));
        start = (space == std::string::npos) ? all.size() : space + 1;
    }
    return words;
}

// Eight words a line: four lines for a SHA-256 digest, numbered to keep one's place.
std::string words_block(const Sha256& digest, std::string_view indent) {
    const std::vector<std::string> words = words_of(digest);
    std::string text;
    for (std::size_t i = 0; i < words.size(); i += 8) {
        text += fmt::format("{}{:2}-{:2}  ", indent, i + 1, std::min(i + 8, words.size()));
        for (std::size_t j = i; j < std::min(i + 8, words.size()); ++j) {
            text += words[j];
            text += (j + 1 == std::min(i + 8, words.size())) ? "\n" : " ";
        }
    }
    return text;
}

void run_manifest(const ManifestCommand& cmd) {
    const fs::path dir = cmd.dir;
    mf::Generated generated;
    if (cmd.out.empty()) {
        generated = mf::generate(dir);
    } else {
        generated = mf::write_manifest(dir, cmd.out);
    }
    const std::string text = generated.text();
    const Sha256 manifest_digest = sha256_text(text);
    if (cmd.json) {
        nlohmann::json files = nlohmann::json::array();
        for (const mf::FileEntry& f : generated.files) {
            files.push_back({{"name", f.name}, {"sha256", digest_hex(f.digest)}, {"size", f.size}});
        }
        nlohmann::json json = {{"root", cmd.dir},
                               {"files", files},
                               {"skipped_symlinks", generated.skipped_symlinks},
                               {"skipped_special", generated.skipped_special},
                               {"manifest_sha256", digest_hex(manifest_digest)},
                               {"manifest_pgp_words", words_of(manifest_digest)}};
        if (cmd.out.empty()) {
            json["manifest"] = text;
        } else {
            json["out"] = cmd.out;
        }
        write_all(1, json_text(json));
        return;
    }
    if (cmd.out.empty()) {
        write_all(1, text);  // exactly what sha256sum would print
    }
    std::string notes;
    for (const std::string& link : generated.skipped_symlinks) {
        notes += "note: symbolic link not followed, not listed: " + shown(link) + "\n";
    }
    for (const std::string& other : generated.skipped_special) {
        notes += "note: not a regular file, not listed: " + shown(other) + "\n";
    }
    if (!cmd.out.empty()) {
        notes +=
            fmt::format("Wrote {}: {} files. Check it with: cd {} && sha256sum -c {}\n", cmd.out,
                        generated.files.size(), cmd.dir, fs::absolute(cmd.out).string());
        notes += "Manifest SHA-256 " + digest_hex(manifest_digest) + "\n" +
                 words_block(manifest_digest, "  ");
    }
    // With the manifest on stdout, everything else goes to stderr so that
    // `smk media manifest DIR > SHA256SUMS` stays a clean manifest.
    write_all(cmd.out.empty() ? 2 : 1, notes);
}

std::string summary_of(const mf::VerifyReport& report) {
    std::string_view extra_note;
    if (!report.extra_files.empty()) {
        extra_note = report.strict ? " (not allowed with --strict)"
                                   : " (allowed; --strict would fail on them)";
    }
    std::string text = fmt::format(
        "{} OK, {} FAILED, {} MISSING, {} unreadable, {} extra{}", report.count(mf::FileStatus::ok),
        report.count(mf::FileStatus::failed), report.count(mf::FileStatus::missing),
        report.count(mf::FileStatus::unreadable), report.extra_files.size(), extra_note);
    if (!report.improper_lines.empty()) {
        text +=
            fmt::format(", {} improperly formatted line(s) skipped", report.improper_lines.size());
    }
    return text;
}

void run_verify(const VerifyCommand& cmd) {
    const mf::VerifyOptions options{.strict = cmd.strict, .read_mode = ReadMode::direct};
    mf::VerifyReport report;
    if (cmd.manifests.empty()) {
        report = mf::verify_directory(cmd.dir, options);
    } else {
        const std::vector<fs::path> manifests(cmd.manifests.begin(), cmd.manifests.end());
        report = mf::verify(cmd.dir, manifests, options);
    }
    const std::string summary = summary_of(report);
    if (cmd.json) {
        nlohmann::json files = nlohmann::json::array();
        for (const mf::FileResult& f : report.files) {
            files.push_back({{"name", f.name},
                             {"status", mf::status_name(f.status)},
                             {"detail", f.detail},
                             {"expected_sha256", f.expected_hex},
                             {"actual_sha256", f.actual_hex},
                             {"manifest", f.manifest.string()},
                             {"line", f.line}});
        }
        nlohmann::json improper = nlohmann::json::array();
        for (const mf::ManifestIssue& issue : report.improper_lines) {
            improper.push_back({{"manifest", issue.manifest.string()},
                                {"line", issue.line},
                                {"reason", issue.reason}});
        }
        nlohmann::json manifests = nlohmann::json::array();
        for (const fs::path& m : report.manifests) {
            manifests.push_back(m.string());
        }
        write_all(1, json_text({{"root", cmd.dir},
                                {"manifests", manifests},
                                {"strict", report.strict},
                                {"read_mode", read_mode_name(options.read_mode)},
                                {"files", files},
                                {"extra_files", report.extra_files},
                                {"improper_lines", improper},
                                {"ok", !report.failure().has_value()},
                                {"summary", summary}}));
    } else {
        std::string warnings;
        for (const mf::ManifestIssue& issue : report.improper_lines) {
            warnings += fmt::format("warning: {} line {}: {}\n", issue.manifest.string(),
                                    issue.line, issue.reason);
        }
        write_all(2, warnings);
        std::string text;
        for (const mf::FileResult& f : report.files) {
            text += shown(f.name) + ": " + std::string(mf::status_name(f.status));
            text += f.detail.empty() ? "\n" : " (" + f.detail + ")\n";
        }
        for (const std::string& extra : report.extra_files) {
            text += shown(extra) + ": EXTRA (in no manifest)\n";
        }
        text += summary + "\n";
        write_all(1, text);
    }
    if (const auto category = report.failure()) {
        throw Error(*category, cmd.dir + ": " + summary);
    }
}

void run_digest(const DigestCommand& cmd) {
    const FileDigest digest = sha256_file(cmd.file, ReadMode::direct);
    if (cmd.json) {
        write_all(1, json_text({{"file", cmd.file},
                                {"size", digest.size},
                                {"sha256", digest_hex(digest.sha256)},
                                {"sha256_colon", digest_colon_hex(digest.sha256)},
                                {"openssl", openssl_dgst_line(digest.sha256, cmd.file)},
                                {"pgp_words", words_of(digest.sha256)},
                                {"read_mode", read_mode_name(digest.used)}}));
        return;
    }
    const std::string how = digest.used == ReadMode::direct
                                ? "read from the device with O_DIRECT"
                                : "read after dropping the page cache, O_DIRECT refused";
    write_all(1, fmt::format("{}  ({} bytes, {})\n"
                             "  sha256sum  {}\n"
                             "  openssl    {}\n"
                             "  PGP words\n{}",
                             cmd.file, digest.size, how, digest_hex(digest.sha256),
                             openssl_dgst_line(digest.sha256, cmd.file),
                             words_block(digest.sha256, "    ")));
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
        "relative to DIR, sorted; symbolic links are not followed)");
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
        "--manifest), as 'cd DIR && sha256sum -c' would, reading from the device");
    verify_cmd->add_option("dir", verify->dir, "The tree to check")->required();
    verify_cmd
        ->add_option("--manifest", verify->manifests,
                     "A manifest to check (may be repeated; names in it are relative to DIR)")
        ->allow_extra_args(false);
    verify_cmd->add_flag("--strict", verify->strict,
                         "Fail on any improperly formatted manifest line and on files that no "
                         "manifest lists");
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
