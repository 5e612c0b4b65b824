// Writing one destination entry: temporary name, metadata, fsync, rename.

#include "copy_write.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "smk/atomic_file.hpp"
#include "smk/error.hpp"

namespace smk::copy::detail {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void throw_write_error(const std::string& what, const fs::path& path, int err) {
    std::string message = what + " " + path.string() + ": " + std::strerror(err);
    if (err == ENOSPC || err == EDQUOT) {
        message += " (the destination is full; the partial copy was removed and " +
                   path.filename().string() + " there is unchanged)";
    }
    throw Error(ErrorCategory::io, message);
}

int rename_into_place(const fs::path& from, const fs::path& to, bool replace) {
    if (replace) {
        return ::rename(from.c_str(), to.c_str()) == 0 ? 0 : errno;
    }
    return rename_no_replace(from, to);
}

// chown before chmod: chown clears set-user-ID and set-group-ID bits.
void apply_owner_and_mode(int fd, const fs::path& shown, const struct stat& source,
                          const MetadataPolicy& policy) {
    if (policy.owner && ::fchown(fd, source.st_uid, source.st_gid) != 0 &&
        !policy.tolerate_errors) {
        throw_write_error("cannot set the owner of", shown, errno);
    }
    if (::fchmod(fd, source.st_mode & 07777) != 0 && !policy.tolerate_errors) {
        throw_write_error("cannot set the mode of", shown, errno);
    }
}

void apply_mtime(int dirfd, const char* name, int fd, const fs::path& shown,
                 const struct stat& source, int flags) {
    const std::array<timespec, 2> times = {source.st_atim, source.st_mtim};
    int rc = -1;
    errno = EINVAL;
    if (fd >= 0) {
        rc = ::futimens(fd, times.data());
    } else if (name != nullptr) {  // by name only where there is no descriptor (symlinks)
        rc = ::utimensat(dirfd, name, times.data(), flags);
    }
    if (rc != 0) {
        throw_write_error("cannot set the modification time of", shown, errno);
    }
}

}  // namespace

std::unique_ptr<AtomicFile> new_destination_file(fs::path final_path) {
    return std::make_unique<AtomicFile>(std::move(final_path), 0600,
                                        AtomicFile::Existing::may_replace);
}

void seal(AtomicFile& file, const struct stat& source, const MetadataPolicy& policy) {
    apply_owner_and_mode(file.fd(), file.final_path(), source, policy);
    apply_mtime(AT_FDCWD, nullptr, file.fd(), file.final_path(), source, 0);
    file.close_unsynced();
}

void sync_filesystem(const fs::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        throw_write_error("cannot open", dir, errno);
    }
    const int rc = ::syncfs(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) {
        throw_write_error("cannot flush to the drive holding", dir, err);
    }
}

void place_symlink(const fs::path& path, const std::string& target, const struct stat& source,
                   const MetadataPolicy& policy) {
    const fs::path temp = temp_name_beside(path);
    if (::symlink(target.c_str(), temp.c_str()) != 0) {
        throw_write_error("cannot create the symbolic link", path, errno);
    }
    try {
        if (policy.owner && ::lchown(temp.c_str(), source.st_uid, source.st_gid) != 0 &&
            !policy.tolerate_errors) {
            throw_write_error("cannot set the owner of", path, errno);
        }
        apply_mtime(AT_FDCWD, temp.c_str(), -1, path, source, AT_SYMLINK_NOFOLLOW);
        if (const int err = rename_into_place(temp, path, true); err != 0) {
            throw_write_error("cannot move into place", path, err);
        }
    } catch (...) {
        ::unlink(temp.c_str());
        throw;
    }
}

void make_directory(const fs::path& path) {
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
        throw_write_error("cannot create the directory", path, errno);
    }
}

void set_metadata_in_place(const fs::path& path, const struct stat& source,
                           const MetadataPolicy& policy) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        throw_write_error("cannot open", path, errno);
    }
    try {
        apply_owner_and_mode(fd, path, source, policy);
        apply_mtime(AT_FDCWD, nullptr, fd, path, source, 0);
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
}

}  // namespace smk::copy::detail
