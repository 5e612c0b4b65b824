// Refusing destinations that overlap the source or each other, before any write.
// Canonical paths catch the plain cases; st_dev/st_ino of every ancestor catches a
// directory reached under two names (a bind mount, a link in a parent).

#include <sys/stat.h>

#include <optional>
#include <utility>

#include "copy_plan.hpp"
#include "smk/error.hpp"

namespace smk::copy::detail {
namespace {

namespace fs = std::filesystem;

struct Identity {
    dev_t dev = 0;
    ino_t ino = 0;
    friend bool operator==(const Identity&, const Identity&) = default;
};

std::optional<Identity> identity_of(const fs::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return std::nullopt;
    }
    return Identity{st.st_dev, st.st_ino};
}

// The absolute path with links resolved as far as it exists.
fs::path resolved(const fs::path& path) {
    std::error_code ec;
    fs::path out = fs::weakly_canonical(fs::absolute(path), ec);
    return ec ? fs::absolute(path).lexically_normal() : out;
}

bool lexically_within(const fs::path& inner, const fs::path& outer) {
    auto o = outer.begin();
    auto i = inner.begin();
    for (; o != outer.end(); ++o, ++i) {
        if (o->empty()) {
            continue;  // a trailing separator
        }
        if (i == inner.end() || *i != *o) {
            return false;
        }
    }
    return true;
}

// `inner` is `outer` or lies below it: by name, or because one of inner's existing
// ancestors (inner included) is the same directory as outer.
bool within(const fs::path& inner, const fs::path& outer) {
    const fs::path a = resolved(inner);
    const fs::path b = resolved(outer);
    if (lexically_within(a, b)) {
        return true;
    }
    const std::optional<Identity> target = identity_of(b);
    if (!target) {
        return false;
    }
    for (fs::path p = a;; p = p.parent_path()) {
        if (const auto id = identity_of(p); id && *id == *target) {
            return true;
        }
        if (!p.has_parent_path() || p == p.parent_path()) {
            return false;
        }
    }
}

[[noreturn]] void refuse(const std::string& why) {
    throw Error(ErrorCategory::refused, why + "; nothing was written.");
}

}  // namespace

void refuse_overlaps(const SourceTree& tree, const std::vector<fs::path>& targets) {
    for (std::size_t i = 0; i < targets.size(); ++i) {
        const fs::path& target = targets[i];
        if (tree.single) {
            // One file into DST: only writing onto the source itself is a problem.
            const fs::path landing = target / tree.name;
            const auto a = identity_of(landing);
            const auto b = identity_of(tree.root);
            if (resolved(landing) == resolved(tree.root) || (a && b && *a == *b)) {
                refuse("destination " + target.string() + " would overwrite the source " +
                       tree.root.string() + " itself");
            }
        } else {
            const bool inside = within(target, tree.root);
            const bool contains = within(tree.root, target);
            if (inside && contains) {
                refuse("destination " + target.string() + " is the source " + tree.root.string());
            }
            if (inside) {
                refuse("destination " + target.string() + " lies inside the source " +
                       tree.root.string());
            }
            if (contains) {
                refuse("destination " + target.string() + " contains the source " +
                       tree.root.string());
            }
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (within(target, targets[j]) || within(targets[j], target)) {
                refuse("destinations " + targets[j].string() + " and " + target.string() +
                       " overlap");
            }
        }
    }
}

}  // namespace smk::copy::detail
