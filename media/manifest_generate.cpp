// Writing sha256sum manifests of a tree: the same bytes `cd DIR && sha256sum
// $(find . -type f | LC_ALL=C sort)` prints, less the "./" before each name, then
// one "# symlink NAME -> TARGET" comment line per symbolic link (docs/FORMAT.md §8).

#include <fcntl.h>
#include <sys/stat.h>

#include <cstring>
#include <set>

#include "file_hash.hpp"
#include "link_check.hpp"
#include "name_escape.hpp"
#include "smk/atomic_file.hpp"
#include "smk/hex.hpp"
#include "smk/manifest.hpp"
#include "tree_walk.hpp"

namespace smk::manifest {
namespace {

namespace fs = std::filesystem;

// Manifests are public: anyone checking a drive must be able to read them.
constexpr mode_t kManifestMode = 0644;

}  // namespace

std::string format_line(std::string_view name, const Sha256& digest) {
    // coreutils 9.1 escapes exactly '\', newline and CR, and marks the line with a '\'.
    const bool escape = media::needs_escape(name);
    std::string line;
    line.reserve(name.size() + 68);
    if (escape) {
        line.push_back('\\');
    }
    line += to_hex(digest);
    line += "  ";
    if (escape) {
        media::append_escaped(line, name);
    } else {
        line += name;
    }
    line.push_back('\n');
    return line;
}

std::string format_link_line(std::string_view name, std::string_view target) {
    std::string line = "# symlink ";
    media::append_escaped(line, name, true);
    line += " -> ";
    media::append_escaped(line, target, true);
    line.push_back('\n');
    return line;
}

std::string Generated::text() const {
    std::string out;
    for (const FileEntry& file : files) {
        out += format_line(file.name, file.digest);
    }
    for (const LinkEntry& link : links) {
        out += format_link_line(link.name, link.target);
    }
    return out;
}

Generated generate(const std::filesystem::path& root, const GenerateOptions& options) {
    std::error_code ec;
    if (!fs::is_directory(root, ec)) {
        throw Error(ErrorCategory::io, root.string() + " is not a directory (or cannot be read)");
    }
    const fs::path canonical_root = fs::canonical(root, ec);
    if (ec) {
        throw Error(ErrorCategory::io, "cannot resolve " + root.string() + ": " + ec.message());
    }
    std::set<std::string> excluded;
    for (const fs::path& path : options.exclude) {
        if (auto name = media::name_in_tree(canonical_root, path)) {
            excluded.insert(std::move(*name));
        }
    }

    media::TreeListing listing = media::list_tree(root);
    Generated generated;
    generated.skipped_special = std::move(listing.special);

    const media::UniqueFd dirfd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dirfd.valid()) {
        throw Error(ErrorCategory::io,
                    "cannot open " + root.string() + ": " + std::strerror(errno));
    }
    for (std::string& name : listing.symlinks) {
        // Read beneath the root without crossing links, as the files are opened.
        const media::LinkState link = media::read_link_beneath(dirfd.get(), name);
        if (link.error != 0 || !S_ISLNK(link.mode)) {
            throw Error(ErrorCategory::io,
                        "cannot read the symbolic link " + (root / name).string() + ": " +
                            (link.error != 0 ? std::strerror(link.error)
                                             : "it changed while the tree was listed"));
        }
        generated.links.push_back({std::move(name), link.target, 0});
    }
    for (std::string& name : listing.files) {
        if (excluded.contains(name)) {
            continue;
        }
        const std::string display = (root / name).string();
        // Opened beneath the root without crossing links, so that a file swapped for
        // a link after the listing is refused rather than followed.
        media::OpenResult opened =
            media::open_for_reading(dirfd.get(), name.c_str(), options.read_mode, true);
        if (!opened.fd.valid()) {
            throw Error(ErrorCategory::io,
                        "cannot open " + display + ": " + std::strerror(opened.error));
        }
        struct stat st {};
        if (::fstat(opened.fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
            throw Error(ErrorCategory::io, display + " changed while the tree was listed");
        }
        const FileDigest digest = media::hash_open_file(opened.fd.get(), opened.mode, display);
        generated.files.push_back({std::move(name), digest.sha256, digest.size});
    }
    if (generated.files.empty()) {
        // sha256sum -c rejects an empty manifest ("no properly formatted checksum lines").
        throw Error(ErrorCategory::invalid_input,
                    root.string() + " holds no regular file; an empty manifest proves nothing");
    }
    return generated;
}

Generated write_manifest(const std::filesystem::path& root, const std::filesystem::path& out,
                         const GenerateOptions& options) {
    // Created first: a manifest that already exists is refused before any file is read.
    AtomicFile file(out, kManifestMode);
    GenerateOptions with_exclusions = options;
    with_exclusions.exclude.push_back(file.final_path());
    with_exclusions.exclude.push_back(file.temp_path());
    Generated generated = generate(root, with_exclusions);
    const std::string text = generated.text();
    file.write({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    file.commit();
    return generated;
}

}  // namespace smk::manifest
