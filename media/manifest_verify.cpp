// Checking a tree against sha256sum manifests, as `cd DIR && sha256sum -c` would,
// but reading from the device, checking the symbolic links the manifests record,
// and reporting files and links nobody listed.

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "file_hash.hpp"
#include "link_check.hpp"
#include "smk/hex.hpp"
#include "smk/manifest.hpp"
#include "tree_walk.hpp"

namespace smk::manifest {
namespace {

namespace fs = std::filesystem;

// Far above any real manifest (a line per file), far below trouble.
constexpr std::size_t kMaxManifestBytes = std::size_t{64} << 20;

bool is_manifest_name(const std::string& name) {
    return name == "SHA256SUMS" || name.ends_with(".sha256sum");
}

// The name the tree walk would give the entry ("./a//b" -> "a/b"), or nullopt for
// absolute names and names that climb out of the root.
std::optional<std::string> normalized_name(const std::string& name) {
    if (name.starts_with('/')) {
        return std::nullopt;
    }
    const fs::path normal = fs::path(name).lexically_normal();
    if (!normal.empty() && *normal.begin() == "..") {
        return std::nullopt;
    }
    return normal.generic_string();
}

FileResult check_entry(int dirfd, const fs::path& root, const Entry& entry,
                       const fs::path& manifest, ReadMode mode) {
    FileResult result;
    result.name = entry.name;
    result.expected_hex = to_hex(entry.digest);
    result.manifest = manifest;
    result.line = entry.line;
    const std::string display = (root / entry.name).string();

    media::OpenResult opened = media::open_for_reading(dirfd, entry.name.c_str(), mode, true);
    if (!opened.fd.valid()) {
        switch (opened.error) {
            case ENOENT:
            case ENOTDIR:
                result.status = FileStatus::missing;
                result.detail = "no such file";
                break;
            case ELOOP:
                result.status = FileStatus::failed;
                result.detail =
                    "a symbolic link is on its path; smk does not follow links "
                    "on a backup drive";
                break;
            case EXDEV:
                result.status = FileStatus::failed;
                result.detail = "resolves outside " + root.string();
                break;
            default:
                result.status = FileStatus::unreadable;
                result.detail = std::string("cannot open: ") + std::strerror(opened.error);
                break;
        }
        return result;
    }
    struct stat st {};
    if (::fstat(opened.fd.get(), &st) != 0) {
        result.status = FileStatus::unreadable;
        result.detail = std::string("cannot stat: ") + std::strerror(errno);
        return result;
    }
    if (!S_ISREG(st.st_mode)) {
        result.status = FileStatus::failed;
        result.detail = media::describe_file_type(st.st_mode) + ", not a regular file";
        return result;
    }
    try {
        const FileDigest digest = media::hash_open_file(opened.fd.get(), opened.mode, display);
        result.actual_hex = to_hex(digest.sha256);
        if (digest.sha256 == entry.digest) {
            result.status = FileStatus::ok;
        } else {
            result.status = FileStatus::failed;
            result.detail = "SHA-256 differs from the manifest";
        }
    } catch (const Error& e) {
        result.status = FileStatus::unreadable;
        result.detail = e.what();
    }
    return result;
}

LinkResult check_link_entry(int dirfd, const LinkEntry& entry, const std::string& normalized,
                            const fs::path& manifest) {
    LinkResult result;
    result.name = entry.name;
    result.expected_target = entry.target;
    result.manifest = manifest;
    result.line = entry.line;
    media::LinkCheck check =
        media::check_link(dirfd, normalized, entry.target, "the manifest records");
    result.actual_target = std::move(check.actual_target);
    result.detail = std::move(check.detail);
    switch (check.verdict) {
        case media::LinkVerdict::ok:
            result.status = FileStatus::ok;
            break;
        case media::LinkVerdict::differs:
            result.status = FileStatus::failed;
            break;
        case media::LinkVerdict::missing:
            result.status = FileStatus::missing;
            break;
        case media::LinkVerdict::unreadable:
            result.status = FileStatus::unreadable;
            break;
    }
    return result;
}

// The name as the tree walk gives it; Error(invalid_input) naming manifest and line
// for a name outside dir.
std::string name_inside(const std::string& name, const fs::path& manifest, std::size_t line,
                        const fs::path& dir) {
    auto normal = normalized_name(name);
    if (!normal) {
        throw Error(ErrorCategory::invalid_input,
                    manifest.string() + " line " + std::to_string(line) + ": '" + name +
                        "' lies outside " + dir.string() +
                        "; smk checks only files inside the directory it verifies");
    }
    return std::move(*normal);
}

struct LoadedManifest {
    fs::path path;
    Parsed parsed;
};

}  // namespace

std::string_view status_name(FileStatus status) noexcept {
    switch (status) {
        case FileStatus::ok:
            return "OK";
        case FileStatus::failed:
            return "FAILED";
        case FileStatus::missing:
            return "MISSING";
        case FileStatus::unreadable:
            return "UNREADABLE";
    }
    return "FAILED";
}

std::size_t VerifyReport::count(FileStatus status) const noexcept {
    return static_cast<std::size_t>(std::count_if(
        files.begin(), files.end(), [status](const FileResult& f) { return f.status == status; }));
}

std::size_t VerifyReport::count_links(FileStatus status) const noexcept {
    return static_cast<std::size_t>(std::count_if(
        links.begin(), links.end(), [status](const LinkResult& l) { return l.status == status; }));
}

std::optional<ErrorCategory> VerifyReport::failure() const noexcept {
    const auto any = [this](FileStatus status) {
        return count(status) > 0 || count_links(status) > 0;
    };
    if (any(FileStatus::failed) || any(FileStatus::missing) || (strict && !extra_files.empty())) {
        return ErrorCategory::verification;
    }
    if (any(FileStatus::unreadable)) {
        return ErrorCategory::io;
    }
    return std::nullopt;
}

VerifyReport verify_directory(const std::filesystem::path& dir, const VerifyOptions& options) {
    std::vector<fs::path> manifests;
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
        throw Error(ErrorCategory::io, "cannot list " + dir.string() + ": " + ec.message());
    }
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        if (is_manifest_name(it->path().filename().native()) &&
            it->symlink_status(ec).type() == fs::file_type::regular) {
            manifests.push_back(it->path());
        }
    }
    if (ec) {
        throw Error(ErrorCategory::io, "cannot list " + dir.string() + ": " + ec.message());
    }
    if (manifests.empty()) {
        throw Error(ErrorCategory::invalid_input, "no manifest (*.sha256sum or SHA256SUMS) in " +
                                                      dir.string() + "; name one with --manifest");
    }
    std::sort(manifests.begin(), manifests.end());
    return verify(dir, manifests, options);
}

VerifyReport verify(const std::filesystem::path& dir,
                    std::span<const std::filesystem::path> manifests,
                    const VerifyOptions& options) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        throw Error(ErrorCategory::io, dir.string() + " is not a directory (or cannot be read)");
    }
    const fs::path canonical_root = fs::canonical(dir, ec);
    if (ec) {
        throw Error(ErrorCategory::io, "cannot resolve " + dir.string() + ": " + ec.message());
    }
    VerifyReport report;
    report.root = dir;
    report.strict = options.strict;
    report.manifests.assign(manifests.begin(), manifests.end());

    // Every manifest is read (from the device, like the files it lists) and checked
    // before the first file is.
    std::vector<LoadedManifest> loaded;
    std::set<std::string> listed;
    for (const fs::path& path : manifests) {
        const std::string text = media::read_small_file(path, options.read_mode, kMaxManifestBytes);
        LoadedManifest manifest{path, parse(text, path.string(), options.strict)};
        for (const Entry& entry : manifest.parsed.entries) {
            listed.insert(name_inside(entry.name, path, entry.line, dir));
        }
        for (const LinkEntry& link : manifest.parsed.links) {
            listed.insert(name_inside(link.name, path, link.line, dir));
        }
        for (const ImproperLine& improper : manifest.parsed.improper) {
            report.improper_lines.push_back({path, improper.line, improper.reason});
        }
        loaded.push_back(std::move(manifest));
    }

    const media::UniqueFd dirfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dirfd.valid()) {
        throw Error(ErrorCategory::io, "cannot open " + dir.string() + ": " + std::strerror(errno));
    }
    for (const LoadedManifest& manifest : loaded) {
        for (const Entry& entry : manifest.parsed.entries) {
            report.files.push_back(
                check_entry(dirfd.get(), dir, entry, manifest.path, options.read_mode));
        }
        for (const LinkEntry& link : manifest.parsed.links) {
            const std::string name = name_inside(link.name, manifest.path, link.line, dir);
            report.links.push_back(check_link_entry(dirfd.get(), link, name, manifest.path));
        }
    }

    // Anything in the tree that no manifest lists, other than the manifests themselves.
    std::set<std::string> own;
    for (const fs::path& path : manifests) {
        if (auto name = media::name_in_tree(canonical_root, path)) {
            own.insert(std::move(*name));
        }
    }
    const media::TreeListing listing = media::list_tree(dir);
    for (const auto* names : {&listing.files, &listing.symlinks, &listing.special}) {
        for (const std::string& name : *names) {
            if (!listed.contains(name) && !own.contains(name)) {
                report.extra_files.push_back(name);
            }
        }
    }
    std::sort(report.extra_files.begin(), report.extra_files.end());
    return report;
}

}  // namespace smk::manifest
