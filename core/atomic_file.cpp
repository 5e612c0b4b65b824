#include "smk/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/random.hpp"

namespace smk {
namespace {

// Room for ".smk-tmp-" + 12 hex + "-" within NAME_MAX (255).
constexpr std::size_t kMaxKeptName = 200;

// EEXIST: refused; anything else: I/O. A full disk says what that means.
[[noreturn]] void throw_io(const std::string& what, const std::filesystem::path& path, int err) {
    const auto category = (err == EEXIST) ? ErrorCategory::refused : ErrorCategory::io;
    std::string message = what + " " + path.string() + ": " + std::strerror(err);
    if (err == ENOSPC || err == EDQUOT) {
        message += " (the destination is full; the partial copy was removed and " +
                   path.filename().string() + " there is unchanged)";
    }
    throw Error(category, message);
}

std::filesystem::path parent_or_dot(const std::filesystem::path& p) {
    auto parent = p.parent_path();
    return parent.empty() ? std::filesystem::path(".") : parent;
}

}  // namespace

int write_all_to_fd(int fd, std::span<const std::uint8_t> bytes) noexcept {
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        }
        done += static_cast<std::size_t>(n);
    }
    return 0;
}

std::filesystem::path temp_name_beside(const std::filesystem::path& final_path) {
    std::array<std::uint8_t, 6> tag{};
    system_random().fill(tag);
    std::string name = final_path.filename().native();
    if (name.size() > kMaxKeptName) {
        name.resize(kMaxKeptName);
    }
    return final_path.parent_path() / (".smk-tmp-" + to_hex(tag) + "-" + name);
}

int rename_no_replace(const std::filesystem::path& from, const std::filesystem::path& to) noexcept {
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
        return 0;
    }
    if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
        return errno;
    }
    // No RENAME_NOREPLACE (some FUSE filesystems): link() never replaces either.
    if (::link(from.c_str(), to.c_str()) == 0) {
        ::unlink(from.c_str());
        return 0;
    }
    if (errno != EPERM && errno != EOPNOTSUPP && errno != ENOSYS) {
        return errno;
    }
    // Neither (exFAT through exfat-fuse has no hard links): make sure the final
    // name is free, then rename. The window between the two is not closed; smk
    // has just created the temporary name beside it and is the only writer there.
    struct stat st {};
    if (::lstat(to.c_str(), &st) == 0) {
        return EEXIST;
    }
    if (errno != ENOENT) {
        return errno;
    }
    return ::rename(from.c_str(), to.c_str()) == 0 ? 0 : errno;
}

void refuse_existing(const std::filesystem::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        throw Error(ErrorCategory::refused, path.string() +
                                                " already exists; smk never overwrites a file. "
                                                "Move it away or choose another name.");
    }
}

AtomicFile::AtomicFile(std::filesystem::path final_path, mode_t mode, Existing existing)
    : m_final(std::move(final_path)), m_may_replace(existing == Existing::may_replace) {
    if (!m_may_replace) {
        refuse_existing(m_final);
    }
    m_temp = temp_name_beside(m_final);
    m_fd = ::open(m_temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (m_fd < 0) {
        throw_io("cannot create a temporary file beside", m_final, errno);
    }
    // The umask may have narrowed the mode; never widened, so set it exactly.
    if (::fchmod(m_fd, mode) != 0) {
        const int err = errno;
        ::close(m_fd);
        ::unlink(m_temp.c_str());
        m_fd = -1;
        throw_io("cannot set the mode of", m_temp, err);
    }
}

AtomicFile::~AtomicFile() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
    if (!m_placed && !m_temp.empty()) {
        ::unlink(m_temp.c_str());
    }
}

void AtomicFile::write(std::span<const std::uint8_t> bytes) {
    if (const int err = write_all_to_fd(m_fd, bytes); err != 0) {
        throw_io("cannot write", m_final, err);
    }
    m_written += bytes.size();
}

void AtomicFile::close_fd() {
    const int fd = m_fd;
    m_fd = -1;
    if (::close(fd) != 0) {
        throw_io("cannot close", m_final, errno);
    }
}

void AtomicFile::commit() {
    if (::fsync(m_fd) != 0) {
        throw_io("cannot flush to disk", m_final, errno);
    }
    close_fd();
    place(false);
    try {
        fsync_directory(parent_or_dot(m_final));
    } catch (const Error&) {
        // The new name may not survive a power cut, and the caller is told the write
        // failed: nothing stays under it (place() made the name, so it is ours), and
        // the same command can simply be run again.
        ::unlink(m_final.c_str());
        throw;
    }
}

void AtomicFile::close_unsynced() {
    close_fd();
}

void AtomicFile::place(bool replace) {
    const int err = (replace && m_may_replace)
                        ? (::rename(m_temp.c_str(), m_final.c_str()) == 0 ? 0 : errno)
                        : rename_no_replace(m_temp, m_final);
    if (err == EEXIST) {
        throw Error(ErrorCategory::refused, m_final.string() +
                                                " appeared while smk was writing it; nothing was "
                                                "overwritten. Move it away and run again.");
    }
    if (err != 0) {
        throw_io("cannot move into place", m_final, err);
    }
    m_placed = true;
}

void write_new_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                    mode_t mode) {
    AtomicFile file(path, mode);
    file.write(bytes);
    file.commit();
}

void fsync_directory(const std::filesystem::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        throw_io("cannot open directory", dir, errno);
    }
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0 && err != EINVAL) {  // EINVAL: the filesystem cannot sync directories
        throw_io("cannot flush directory", dir, err);
    }
}

}  // namespace smk
