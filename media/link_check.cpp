#include "link_check.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "file_hash.hpp"
#include "name_escape.hpp"

namespace smk::media {
LinkState read_link_beneath(int dirfd, const std::string& name) {
    LinkState state;
    const std::size_t slash = name.rfind('/');
    UniqueFd parent;
    int at = dirfd;
    std::string base = name;
    if (slash != std::string::npos) {
        const std::string dir = name.substr(0, slash);
        parent = UniqueFd(open_beneath(dirfd, dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!parent.valid()) {
            state.error = errno;
            return state;
        }
        at = parent.get();
        base = name.substr(slash + 1);
    }
    struct stat st {};
    if (::fstatat(at, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        state.error = errno;
        return state;
    }
    state.mode = st.st_mode;
    if (!S_ISLNK(st.st_mode)) {
        return state;
    }
    // st_size is the target's length on most filesystems, 0 on some: grow until it fits.
    std::string target(static_cast<std::size_t>(PATH_MAX), '\0');
    for (;;) {
        const ssize_t n = ::readlinkat(at, base.c_str(), target.data(), target.size());
        if (n < 0) {
            state.error = errno;
            return state;
        }
        if (static_cast<std::size_t>(n) < target.size()) {
            target.resize(static_cast<std::size_t>(n));
            break;
        }
        target.resize(target.size() * 2);
    }
    state.target = std::move(target);
    return state;
}

std::string describe_file_type(mode_t mode) {
    if (S_ISREG(mode)) {
        return "a regular file";
    }
    if (S_ISDIR(mode)) {
        return "a directory";
    }
    if (S_ISLNK(mode)) {
        return "a symbolic link";
    }
    if (S_ISFIFO(mode)) {
        return "a FIFO";
    }
    if (S_ISSOCK(mode)) {
        return "a socket";
    }
    if (S_ISCHR(mode) || S_ISBLK(mode)) {
        return "a device node";
    }
    return "not a regular file";
}

LinkCheck check_link(int dirfd, const std::string& name, const std::string& expected_target,
                     std::string_view expected_by) {
    const LinkState state = read_link_beneath(dirfd, name);
    const std::string expected = std::string(expected_by) + " -> " + escaped(expected_target);
    LinkCheck check;
    switch (state.error) {
        case 0:
            break;
        case ENOENT:
        case ENOTDIR:
            check.verdict = LinkVerdict::missing;
            check.detail = "no such link; " + expected;
            return check;
        case ELOOP:
            check.verdict = LinkVerdict::differs;
            check.detail =
                "a symbolic link is on its path (smk does not follow links on a backup "
                "drive); " +
                expected;
            return check;
        case EXDEV:
            check.verdict = LinkVerdict::differs;
            check.detail = "resolves outside the tree; " + expected;
            return check;
        default:
            check.verdict = LinkVerdict::unreadable;
            check.detail =
                std::string("cannot read: ") + std::strerror(state.error) + "; " + expected;
            return check;
    }
    if (!S_ISLNK(state.mode)) {
        check.verdict = LinkVerdict::differs;
        check.detail = describe_file_type(state.mode) + ", not a symbolic link; " + expected;
        return check;
    }
    check.actual_target = state.target;
    if (state.target != expected_target) {
        check.verdict = LinkVerdict::differs;
        check.detail = "a symbolic link -> " + escaped(state.target) + ", but " + expected;
    }
    return check;
}

}  // namespace smk::media
