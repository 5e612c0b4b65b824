// Walking the source and planning each destination (no writes happen here).

#include "copy_plan.hpp"

#include <dirent.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "smk/error.hpp"

namespace smk::copy::detail {
namespace {

namespace fs = std::filesystem;

constexpr long kMsdosMagic = 0x4d44;
constexpr long kExfatMagic = 0x2011BAB0;
constexpr long kFuseMagic = 0x65735546;  // exfat-fuse (the others are rarely backup drives)

[[noreturn]] void throw_errno(ErrorCategory category, const std::string& what, const fs::path& path,
                              int err) {
    throw Error(category, what + " " + path.string() + ": " + std::strerror(err));
}

Kind kind_of(const struct stat& st) {
    if (S_ISDIR(st.st_mode)) {
        return Kind::directory;
    }
    if (S_ISLNK(st.st_mode)) {
        return Kind::symlink;
    }
    return Kind::file;  // callers filter out special files first
}

bool is_special(const struct stat& st) {
    return !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode) && !S_ISREG(st.st_mode);
}

std::string read_link(const fs::path& path) {
    std::error_code ec;
    const fs::path target = fs::read_symlink(path, ec);
    if (ec) {
        throw Error(ErrorCategory::io,
                    "cannot read the symbolic link " + path.string() + ": " + ec.message());
    }
    return target.native();
}

// Names in one directory, "." and ".." left out. Error(io) naming it otherwise.
std::vector<std::string> list_names(const fs::path& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
        throw_errno(ErrorCategory::io, "cannot list", dir, errno);
    }
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* e = ::readdir(d)) {
        const std::string_view name = e->d_name;
        if (name != "." && name != "..") {
            names.emplace_back(name);
        }
        errno = 0;
    }
    const int err = errno;
    ::closedir(d);
    if (err != 0) {
        throw_errno(ErrorCategory::io, "cannot list", dir, err);
    }
    return names;
}

void add_entry(SourceTree& tree, const std::string& rel, const struct stat& st) {
    const fs::path path = join(tree.base, rel);
    if (is_special(st)) {
        tree.special.push_back(rel);
        return;
    }
    SourceEntry entry{rel, kind_of(st), st, {}};
    if (entry.kind == Kind::symlink) {
        entry.link_target = read_link(path);
    } else if (entry.kind == Kind::file) {
        ++tree.files;
        tree.bytes += static_cast<std::uint64_t>(st.st_size);
    }
    tree.entries.push_back(std::move(entry));
}

void walk_dir(SourceTree& tree, const std::string& rel) {
    for (const std::string& name : list_names(join(tree.base, rel))) {
        const std::string child = rel.empty() ? name : rel + "/" + name;
        struct stat st {};
        if (::lstat(join(tree.base, child).c_str(), &st) != 0) {
            throw_errno(ErrorCategory::io, "cannot stat", join(tree.base, child), errno);
        }
        add_entry(tree, child, st);
        if (S_ISDIR(st.st_mode)) {
            walk_dir(tree, child);
        }
    }
}

bool fat_like_filesystem(const fs::path& existing) {
    struct statfs sfs {};
    if (::statfs(existing.c_str(), &sfs) != 0) {
        return false;
    }
    const long type = static_cast<long>(sfs.f_type);
    return type == kMsdosMagic || type == kExfatMagic || type == kFuseMagic;
}

bool same_mtime(const struct stat& a, const struct stat& b, bool fat_like) {
    if (fat_like) {
        const auto diff = a.st_mtim.tv_sec - b.st_mtim.tv_sec;
        return diff >= -2 && diff <= 2;
    }
    return a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

Action action_for(const SourceEntry& entry, const fs::path& path, const struct stat& dst,
                  bool fat_like) {
    const bool dst_is_dir = S_ISDIR(dst.st_mode);
    if ((entry.kind == Kind::directory) != dst_is_dir) {
        throw Error(ErrorCategory::refused,
                    path.string() + " is " + (dst_is_dir ? "a directory" : "not a directory") +
                        " but the source has " + (dst_is_dir ? "a file or link" : "a directory") +
                        " there; nothing was written. Move it away and run again.");
    }
    switch (entry.kind) {
        case Kind::directory:
            return Action::keep;
        case Kind::symlink:
            if (S_ISLNK(dst.st_mode) && read_link(path) == entry.link_target) {
                return Action::keep;
            }
            return Action::replace_link;
        case Kind::file:
            if (S_ISREG(dst.st_mode) && dst.st_size == entry.st.st_size &&
                same_mtime(dst, entry.st, fat_like)) {
                return Action::compare;
            }
            return Action::update;
    }
    return Action::update;
}

void find_extras(const SourceTree& tree, const std::set<std::string>& known, const fs::path& root,
                 const std::string& rel, DestPlan& plan) {
    for (const std::string& name : list_names(join(root, rel))) {
        const std::string child = rel.empty() ? name : rel + "/" + name;
        struct stat st {};
        const bool is_dir = ::lstat(join(root, child).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
        if (known.count(child) == 0) {
            const bool leftover = name.rfind(".smk-tmp-", 0) == 0 && S_ISREG(st.st_mode);
            (leftover ? plan.leftovers : plan.extra).push_back(child);
            continue;
        }
        if (is_dir) {
            find_extras(tree, known, root, child, plan);
        }
    }
}

}  // namespace

fs::path join(const fs::path& root, const std::string& rel) {
    return rel.empty() ? root : root / rel;
}

SourceTree walk_source(std::string_view source) {
    if (source.empty()) {
        throw Error(ErrorCategory::usage, "the source is empty; give a directory such as /backup/");
    }
    const bool contents = source.back() == '/';
    SourceTree tree;
    struct stat st {};
    const std::string given(source);
    if (::lstat(given.c_str(), &st) != 0) {
        if (errno == ENOENT) {  // a missing input file or directory: I/O, as for any input
            throw Error(ErrorCategory::io,
                        "the source " + given +
                            " does not exist; nothing was written. Check the path (and that "
                            "the drive holding it is mounted), then run again.");
        }
        throw_errno(errno == ENOTDIR ? ErrorCategory::usage : ErrorCategory::io,
                    "cannot use the source", given, errno);
    }
    if (contents && S_ISLNK(st.st_mode) && ::stat(given.c_str(), &st) != 0) {
        throw_errno(ErrorCategory::io, "cannot follow the source", given, errno);
    }
    fs::path path = fs::path(given).lexically_normal();
    if (path.has_filename() == false && path != "/") {
        path = path.parent_path();  // "a/b/" -> "a/b"
    }
    if (S_ISDIR(st.st_mode)) {
        tree.root = path;
        tree.base = path;
        tree.into_subdirectory = !contents;
        tree.name =
            contents ? std::string() : fs::absolute(path).lexically_normal().filename().native();
        if (tree.into_subdirectory && (tree.name.empty() || tree.name == "..")) {
            throw Error(ErrorCategory::usage,
                        given +
                            " has no name to copy it under; write it with a trailing '/' "
                            "to copy its contents");
        }
        add_entry(tree, "", st);
        walk_dir(tree, "");
        std::sort(tree.entries.begin(), tree.entries.end(),
                  [](const SourceEntry& a, const SourceEntry& b) { return a.rel < b.rel; });
        std::sort(tree.special.begin(), tree.special.end());
        return tree;
    }
    if (contents) {
        throw Error(ErrorCategory::usage, given + " is not a directory");
    }
    if (is_special(st)) {
        throw Error(ErrorCategory::usage, given + " is not a regular file, link or directory");
    }
    tree.single = true;
    tree.root = path;
    tree.base = path.has_parent_path() ? path.parent_path() : fs::path(".");
    tree.name = path.filename().native();
    add_entry(tree, tree.name, st);
    return tree;
}

fs::path target_root(const SourceTree& tree, const fs::path& dst) {
    return tree.into_subdirectory ? dst / tree.name : dst;
}

DestPlan plan_destination(const SourceTree& tree, const fs::path& root) {
    DestPlan plan;
    plan.root = root;
    struct stat st {};
    plan.root_exists = ::lstat(root.c_str(), &st) == 0;
    if (plan.root_exists && !S_ISDIR(st.st_mode)) {
        throw Error(ErrorCategory::refused,
                    root.string() + " exists and is not a directory; nothing was written.");
    }
    fs::path existing = root;
    while (!plan.root_exists && existing.has_parent_path() && existing != existing.parent_path() &&
           ::stat(existing.c_str(), &st) != 0) {
        existing = existing.parent_path();
    }
    plan.fat_like = fat_like_filesystem(existing.empty() ? fs::path(".") : existing);
    // Special files are not copied, but a destination entry of that name is not extra.
    std::set<std::string> known(tree.special.begin(), tree.special.end());
    for (const SourceEntry& entry : tree.entries) {
        known.insert(entry.rel);
        const fs::path path = join(root, entry.rel);
        if (!plan.root_exists || ::lstat(path.c_str(), &st) != 0) {
            if (plan.root_exists && errno != ENOENT) {
                throw_errno(ErrorCategory::io, "cannot stat", path, errno);
            }
            plan.actions.push_back(entry.rel.empty() ? Action::keep : Action::create);
            plan.replaced_sizes.push_back(0);
            continue;
        }
        plan.actions.push_back(action_for(entry, path, st, plan.fat_like));
        plan.replaced_sizes.push_back(S_ISREG(st.st_mode) ? static_cast<std::uint64_t>(st.st_size)
                                                          : 0);
    }
    if (plan.root_exists && !tree.single) {
        find_extras(tree, known, root, "", plan);
        std::sort(plan.extra.begin(), plan.extra.end());
        std::sort(plan.leftovers.begin(), plan.leftovers.end());
    }
    return plan;
}

}  // namespace smk::copy::detail
