#pragma once
// Internal: a symbolic link in a tree, read without following it. Manifests record
// links (manifest_generate.cpp), and verify (manifest_verify.cpp) and the copy's
// read-back (copy_engine.cpp) compare what is there with the expected target.

#include <sys/types.h>

#include <string>
#include <string_view>

namespace smk::media {

struct LinkState {
    int error = 0;       // errno of the lookup: ENOENT or ENOTDIR nothing there, ELOOP
                         // a link on the path, EXDEV a name leaving the tree
    mode_t mode = 0;     // the type of what is there (error == 0)
    std::string target;  // what readlink gives, when it is a symbolic link
};

// `name` (relative, '/'-separated) below dirfd, looked up without following any
// symbolic link on its path or at its end (open_beneath() for its directory).
[[nodiscard]] LinkState read_link_beneath(int dirfd, const std::string& name);

// "a directory", "a regular file", "a FIFO", ...: what a mode's file type is.
[[nodiscard]] std::string describe_file_type(mode_t mode);

enum class LinkVerdict {
    ok,          // a symbolic link with exactly the expected target
    differs,     // another target, something else there, or a link on its path
    missing,     // nothing there
    unreadable,  // the lookup failed otherwise (permissions, I/O)
};

struct LinkCheck {
    LinkVerdict verdict = LinkVerdict::ok;
    std::string actual_target;  // when a symbolic link is there
    // When not ok: what is there and what was expected, both targets named
    // ("a symbolic link -> B, but the manifest records -> A"); targets escaped as
    // names are (one line). `expected_by` names the expectation ("the manifest records").
    std::string detail;
};

[[nodiscard]] LinkCheck check_link(int dirfd, const std::string& name,
                                   const std::string& expected_target,
                                   std::string_view expected_by);

}  // namespace smk::media
