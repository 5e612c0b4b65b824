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
#include "smk/hex.hpp"
#include "smk/random.hpp"

namespace smk::copy::detail {
namespace {

namespace fs = std::filesystem;

// Room for ".smk-tmp-" + 12 hex + "-" within NAME_MAX (255).
constexpr std::size_t kMaxKeptName = 200;

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

fs::path temp_name_for(const fs::path& final_path) {
    std::array<std::uint8_t, 6> tag{};
    system_random().fill(tag);
    std::string name = final_path.filename().native();
    if (name.size() > kMaxKeptName) {
        name.resize(kMaxKeptName);
    }
    return final_path.parent_path() / (".smk-tmp-" + to_hex(tag) + "-" + name);
}

TempFileWriter::TempFileWriter(fs::path final_path) : m_final(std::move(final_path)) {
    m_temp = temp_name_for(m_final);
    m_fd = ::open(m_temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (m_fd < 0) {
        throw_write_error("cannot create a temporary file beside", m_final, errno);
    }
}

TempFileWriter::~TempFileWriter() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
    if (!m_committed) {
        ::unlink(m_temp.c_str());
    }
}

void TempFileWriter::write(std::span<const std::uint8_t> bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(m_fd, bytes.data() + done, bytes.size() - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw_write_error("cannot write", m_final, errno);
        }
        done += static_cast<std::size_t>(n);
    }
    m_written += bytes.size();
}

void TempFileWriter::seal(const struct stat& source, const MetadataPolicy& policy) {
    apply_owner_and_mode(m_fd, m_final, source, policy);
    apply_mtime(AT_FDCWD, nullptr, m_fd, m_final, source, 0);
    const int fd = m_fd;
    m_fd = -1;
    if (::close(fd) != 0) {
        throw_write_error("cannot close", m_final, errno);
    }
}

void TempFileWriter::place(bool replace) {
    if (const int err = rename_into_place(m_temp, m_final, replace); err != 0) {
        if (err == EEXIST) {
            throw Error(ErrorCategory::refused,
                        m_final.string() +
                            " appeared while smk was writing it; nothing was "
                            "overwritten. Run again.");
        }
        throw_write_error("cannot move into place", m_final, err);
    }
    m_committed = true;
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
    const fs::path temp = temp_name_for(path);
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
