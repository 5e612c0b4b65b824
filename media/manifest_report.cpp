// The texts and JSON of `smk media manifest / verify / digest`
// (include/smk/manifest_report.hpp).

#include "smk/manifest_report.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "report_text.hpp"
#include "smk/error.hpp"

namespace smk {
namespace {

namespace fs = std::filesystem;
using media_report::json_text;
using media_report::one_line;

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

}  // namespace

namespace manifest {

std::string generated_json(const Generated& generated, std::string_view root,
                           std::string_view out) {
    const std::string text = generated.text();
    const Sha256 manifest_digest = sha256_text(text);
    nlohmann::json files = nlohmann::json::array();
    for (const FileEntry& f : generated.files) {
        files.push_back({{"name", f.name}, {"sha256", digest_hex(f.digest)}, {"size", f.size}});
    }
    nlohmann::json links = nlohmann::json::array();
    for (const LinkEntry& l : generated.links) {
        links.push_back({{"name", l.name}, {"target", l.target}});
    }
    nlohmann::json json = {{"root", root},
                           {"files", files},
                           {"symlinks", links},
                           {"skipped_special", generated.skipped_special},
                           {"manifest_sha256", digest_hex(manifest_digest)},
                           {"manifest_pgp_words", words_of(manifest_digest)}};
    if (out.empty()) {
        json["manifest"] = text;
    } else {
        json["out"] = out;
    }
    return json_text(json);
}

std::string generated_notes(const Generated& generated, std::string_view root,
                            std::string_view out) {
    std::string notes;
    for (const std::string& other : generated.skipped_special) {
        notes += "note: not a regular file, not listed: " + one_line(other) + "\n";
    }
    if (!out.empty()) {
        const Sha256 manifest_digest = sha256_text(generated.text());
        std::string links;
        if (!generated.links.empty()) {
            links = fmt::format(
                " and {} symbolic link{} ('# symlink' lines: sha256sum -c skips them, smk "
                "media verify checks them)",
                generated.links.size(), generated.links.size() == 1 ? "" : "s");
        }
        notes += fmt::format("Wrote {}: {} files{}. Check it with: cd {} && sha256sum -c {}\n", out,
                             generated.files.size(), links, root, fs::absolute(out).string());
        notes += "Manifest SHA-256 " + digest_hex(manifest_digest) + "\n" +
                 pgp_words_block(manifest_digest, "  ");
    }
    return notes;
}

std::string verify_summary(const VerifyReport& report) {
    std::string_view extra_note;
    if (!report.extra_files.empty()) {
        extra_note = report.strict ? " (not allowed with --strict)"
                                   : " (allowed; --strict would fail on them)";
    }
    std::string text = fmt::format(
        "{} OK, {} FAILED, {} MISSING, {} unreadable, {} extra{}", report.count(FileStatus::ok),
        report.count(FileStatus::failed), report.count(FileStatus::missing),
        report.count(FileStatus::unreadable), report.extra_files.size(), extra_note);
    if (!report.links.empty()) {
        text += fmt::format(
            "; symbolic links: {} OK, {} FAILED, {} MISSING, {} unreadable",
            report.count_links(FileStatus::ok), report.count_links(FileStatus::failed),
            report.count_links(FileStatus::missing), report.count_links(FileStatus::unreadable));
    }
    if (!report.improper_lines.empty()) {
        text +=
            fmt::format(", {} improperly formatted line(s) skipped", report.improper_lines.size());
    }
    return text;
}

std::string verify_json(const VerifyReport& report, std::string_view root, ReadMode read_mode) {
    nlohmann::json files = nlohmann::json::array();
    for (const FileResult& f : report.files) {
        files.push_back({{"name", f.name},
                         {"status", status_name(f.status)},
                         {"detail", f.detail},
                         {"expected_sha256", f.expected_hex},
                         {"actual_sha256", f.actual_hex},
                         {"manifest", f.manifest.string()},
                         {"line", f.line}});
    }
    nlohmann::json links = nlohmann::json::array();
    for (const LinkResult& l : report.links) {
        links.push_back({{"name", l.name},
                         {"status", status_name(l.status)},
                         {"detail", l.detail},
                         {"expected_target", l.expected_target},
                         {"actual_target", l.actual_target},
                         {"manifest", l.manifest.string()},
                         {"line", l.line}});
    }
    nlohmann::json improper = nlohmann::json::array();
    for (const ManifestIssue& issue : report.improper_lines) {
        improper.push_back({{"manifest", issue.manifest.string()},
                            {"line", issue.line},
                            {"reason", issue.reason}});
    }
    nlohmann::json manifests = nlohmann::json::array();
    for (const fs::path& m : report.manifests) {
        manifests.push_back(m.string());
    }
    return json_text({{"root", root},
                      {"manifests", manifests},
                      {"strict", report.strict},
                      {"read_mode", read_mode_name(read_mode)},
                      {"files", files},
                      {"symlinks", links},
                      {"extra_files", report.extra_files},
                      {"improper_lines", improper},
                      {"ok", !report.failure().has_value()},
                      {"summary", verify_summary(report)}});
}

std::string verify_warnings(const VerifyReport& report) {
    std::string warnings;
    for (const ManifestIssue& issue : report.improper_lines) {
        warnings += fmt::format("warning: {} line {}: {}\n", issue.manifest.string(), issue.line,
                                issue.reason);
    }
    return warnings;
}

std::string verify_text(const VerifyReport& report) {
    std::string text;
    for (const FileResult& f : report.files) {
        text += one_line(f.name) + ": " + std::string(status_name(f.status));
        text += f.detail.empty() ? "\n" : " (" + f.detail + ")\n";
    }
    for (const LinkResult& l : report.links) {
        text += one_line(l.name) + ": " + std::string(status_name(l.status));
        text += l.detail.empty() ? " (symbolic link -> " + media::escaped(l.expected_target) + ")\n"
                                 : " (" + l.detail + ")\n";
    }
    for (const std::string& extra : report.extra_files) {
        text += one_line(extra) + ": EXTRA (in no manifest)\n";
    }
    return text + verify_summary(report) + "\n";
}

void throw_if_failed(const VerifyReport& report, std::string_view root) {
    const auto category = report.failure();
    if (!category) {
        return;
    }
    std::string message = std::string(root) + ": " + verify_summary(report);
    // The first link that did not check out, named with both targets: a link changes
    // nothing a hash would show, so the one line of the error says which.
    for (const LinkResult& l : report.links) {
        if (l.status != FileStatus::ok) {
            message += "; first link: " + one_line(l.name) + ": " +
                       std::string(status_name(l.status)) + " (" + l.detail + ")";
            break;
        }
    }
    throw Error(*category, message);
}

}  // namespace manifest

std::string digest_json(const FileDigest& digest, std::string_view file) {
    return json_text({{"file", file},
                      {"size", digest.size},
                      {"sha256", digest_hex(digest.sha256)},
                      {"sha256_colon", digest_colon_hex(digest.sha256)},
                      {"openssl", openssl_dgst_line(digest.sha256, file)},
                      {"pgp_words", words_of(digest.sha256)},
                      {"read_mode", read_mode_name(digest.used)}});
}

std::string digest_text(const FileDigest& digest, std::string_view file) {
    const std::string how = digest.used == ReadMode::direct
                                ? "read from the device with O_DIRECT"
                                : "read after dropping the page cache, O_DIRECT refused";
    return fmt::format(
        "{}  ({} bytes, {})\n"
        "  sha256sum  {}\n"
        "  openssl    {}\n"
        "  PGP words\n{}",
        file, digest.size, how, digest_hex(digest.sha256), openssl_dgst_line(digest.sha256, file),
        pgp_words_block(digest.sha256, "    "));
}

}  // namespace smk
