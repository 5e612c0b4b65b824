#include "tree_walk.hpp"

#include <algorithm>
#include <system_error>

#include "smk/error.hpp"

namespace smk::media {
namespace {

namespace fs = std::filesystem;

void walk(const fs::path& root, const std::string& prefix, TreeListing& out) {
    const fs::path dir = prefix.empty() ? root : root / prefix;
    std::error_code ec;
    fs::directory_iterator it(dir, fs::directory_options::none, ec);
    if (ec) {
        throw Error(ErrorCategory::io, "cannot list " + dir.string() + ": " + ec.message());
    }
    std::vector<std::string> subdirs;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().native();
        std::string relative = prefix.empty() ? name : prefix + "/" + name;
        const fs::file_status status = it->symlink_status(ec);
        if (ec) {
            throw Error(ErrorCategory::io,
                        "cannot stat " + (dir / name).string() + ": " + ec.message());
        }
        switch (status.type()) {
            case fs::file_type::regular:
                out.files.push_back(std::move(relative));
                break;
            case fs::file_type::directory:
                subdirs.push_back(std::move(relative));
                break;
            case fs::file_type::symlink:
                out.symlinks.push_back(std::move(relative));
                break;
            default:
                out.special.push_back(std::move(relative));
                break;
        }
    }
    if (ec) {
        throw Error(ErrorCategory::io, "cannot list " + dir.string() + ": " + ec.message());
    }
    for (const std::string& sub : subdirs) {
        walk(root, sub, out);
    }
}

}  // namespace

TreeListing list_tree(const std::filesystem::path& root) {
    TreeListing listing;
    walk(root, "", listing);
    // std::string compares through char_traits<char>, i.e. as unsigned bytes: the
    // order of `LC_ALL=C sort`, the same on every machine.
    std::sort(listing.files.begin(), listing.files.end());
    std::sort(listing.symlinks.begin(), listing.symlinks.end());
    std::sort(listing.special.begin(), listing.special.end());
    return listing;
}

std::optional<std::string> name_in_tree(const std::filesystem::path& canonical_root,
                                        const std::filesystem::path& path) {
    std::error_code ec;
    const fs::path absolute = fs::absolute(path, ec);
    if (ec) {
        return std::nullopt;
    }
    const fs::path resolved = fs::weakly_canonical(absolute, ec);
    if (ec) {
        return std::nullopt;
    }
    const fs::path relative = resolved.lexically_relative(canonical_root);
    if (relative.empty() || relative == "." || *relative.begin() == "..") {
        return std::nullopt;
    }
    return relative.generic_string();
}

}  // namespace smk::media
