#pragma once
// Internal: listing a directory tree by relative name, without following links.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace smk::media {

struct TreeListing {
    // Relative names ("a/b.txt", no "./"), each list sorted by bytes.
    std::vector<std::string> files;     // regular files
    std::vector<std::string> symlinks;  // symbolic links (to anything), not followed
    std::vector<std::string> special;   // FIFOs, sockets, device nodes
};

// Walks root recursively. The root itself may be reached through a link; nothing
// below it is. Throws Error(io) naming a directory that cannot be listed.
[[nodiscard]] TreeListing list_tree(const std::filesystem::path& root);

// The relative name `path` has inside the tree at canonical_root (links in its
// directories resolved), or nullopt when it lies outside or is the root itself.
[[nodiscard]] std::optional<std::string> name_in_tree(const std::filesystem::path& canonical_root,
                                                      const std::filesystem::path& path);

}  // namespace smk::media
