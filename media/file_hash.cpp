#include "file_hash.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "smk/error.hpp"

namespace smk::media {
namespace {

// 1 MiB: large enough for a USB drive to stream, small enough to never matter.
constexpr std::size_t kChunk = std::size_t{1} << 20;
// O_DIRECT wants buffer, length and offset aligned to the device's logical block
// size; 4096 covers 512-byte and 4K-native devices alike.
constexpr std::size_t kAlign = 4096;

class AlignedBuffer final {
  public:
    explicit AlignedBuffer(std::size_t size)
        : m_data(static_cast<std::uint8_t*>(std::aligned_alloc(kAlign, size))), m_size(size) {
        if (m_data == nullptr) {
            throw Error(ErrorCategory::internal, "cannot allocate a read buffer");
        }
    }
    ~AlignedBuffer() { std::free(m_data); }
    AlignedBuffer(const AlignedBuffer&) = delete;
    AlignedBuffer& operator=(const AlignedBuffer&) = delete;

    [[nodiscard]] std::uint8_t* data() noexcept { return m_data; }
    [[nodiscard]] std::size_t size() const noexcept { return m_size; }

  private:
    std::uint8_t* m_data;
    std::size_t m_size;
};

// Advisory by nature: a failure (e.g. on /proc) only means there was nothing to drop
// that we could drop, so it is not an error. Clean pages go; that is what matters
// after the writer's fsync.
void drop_cached_pages(int fd) noexcept {
    (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

// True only when the kernel confirms that no page of the file is in the page cache
// (mincore() on a fresh read-only mapping: mapping a file reads nothing). False when
// it cannot be confirmed: pages still cached (dirty, under writeback, or mapped by
// another process, which DONTNEED leaves), mmap refused (some FUSE filesystems), or
// a kernel that hides residency from this process (it then reports every page
// resident). An empty file has no page to hold.
bool nothing_cached(int fd) noexcept {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || st.st_size < 0) {
        return false;
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    if (size == 0) {
        return true;
    }
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        return false;
    }
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    constexpr std::size_t kWindow = 4096;  // pages per mincore() call: bounded memory
    std::array<unsigned char, kWindow> resident{};
    bool none = true;
    for (std::size_t offset = 0; none && offset < size; offset += kWindow * page) {
        const std::size_t length = std::min(size - offset, kWindow * page);
        if (::mincore(static_cast<char*>(map) + offset, length, resident.data()) != 0) {
            none = false;
            break;
        }
        const std::size_t pages = (length + page - 1) / page;
        for (std::size_t i = 0; i < pages; ++i) {
            if ((resident[i] & 1U) != 0) {
                none = false;
                break;
            }
        }
    }
    ::munmap(map, size);
    return none;
}

// Switches an open descriptor to O_DIRECT; false if the filesystem refuses it.
bool enter_direct_mode(int fd) noexcept {
    const int flags = ::fcntl(fd, F_GETFL);
    return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_DIRECT) == 0;
}

// From O_DIRECT to buffered reads of the device: used when the filesystem refuses a
// direct read at read time, or after a short read left the offset unaligned.
void leave_direct_mode(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) {
        (void)::fcntl(fd, F_SETFL, flags & ~O_DIRECT);
    }
    drop_cached_pages(fd);
}

int open_once(int dirfd, const char* name, int flags, bool beneath) {
    return beneath ? open_beneath(dirfd, name, flags) : ::openat(dirfd, name, flags);
}

}  // namespace

int open_beneath(int dirfd, const char* name, int flags) {
    open_how how{};
    how.flags = static_cast<__u64>(flags);
    how.resolve = static_cast<__u64>(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
    const long fd = ::syscall(SYS_openat2, dirfd, name, &how, sizeof how);
    if (fd >= 0 || (errno != ENOSYS && errno != EPERM)) {
        return static_cast<int>(fd);
    }
    // No openat2 (kernel < 5.6, or a seccomp filter): O_NOFOLLOW still refuses a
    // link as the last component.
    return ::openat(dirfd, name, flags | O_NOFOLLOW);
}

UniqueFd::~UniqueFd() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        m_fd = other.release();
    }
    return *this;
}

int UniqueFd::release() noexcept {
    const int fd = m_fd;
    m_fd = -1;
    return fd;
}

OpenResult open_for_reading(int dirfd, const char* name, ReadMode mode, bool beneath) {
    int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
    if (beneath) {
        flags |= O_NOFOLLOW;
    }
    OpenResult result;
    result.mode = mode;
    int fd =
        open_once(dirfd, name, (mode == ReadMode::direct) ? (flags | O_DIRECT) : flags, beneath);
    if (fd < 0 && errno == EINVAL && mode == ReadMode::direct) {
        // The filesystem has no direct I/O: drop the cached pages instead.
        fd = open_once(dirfd, name, flags, beneath);
        result.mode = ReadMode::drop_cache;
    }
    if (fd < 0) {
        result.error = errno;
        return result;
    }
    result.fd = UniqueFd(fd);
    return result;
}

ReadMode read_all(int fd, ReadMode mode, const std::string& display,
                  const std::function<void(std::span<const std::uint8_t>)>& sink) {
    // O_NONBLOCK only protected the open from FIFOs.
    if (const int flags = ::fcntl(fd, F_GETFL); flags >= 0) {
        (void)::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    }
    bool direct = (mode == ReadMode::direct);
    // Even with O_DIRECT: pages the writer left in the cache would otherwise go on
    // answering other readers (a later `sha256sum -c`) with what was written rather
    // than what the drive holds.
    if (mode != ReadMode::cached) {
        drop_cached_pages(fd);
    }
    if (mode == ReadMode::drop_cache) {
        // Buffered reads after DONTNEED come from the device only if no page stayed
        // behind; where the kernel cannot confirm that, this file is read O_DIRECT.
        (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        if (!nothing_cached(fd) && enter_direct_mode(fd)) {
            direct = true;
            mode = ReadMode::direct;
        }
    }
    AlignedBuffer buffer(kChunk);
    for (;;) {
        const ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EINVAL && direct) {
                leave_direct_mode(fd);
                direct = false;
                mode = ReadMode::drop_cache;
                continue;
            }
            throw Error(ErrorCategory::io, "cannot read " + display + ": " + std::strerror(errno));
        }
        if (n == 0) {
            break;
        }
        const auto got = static_cast<std::size_t>(n);
        sink({buffer.data(), got});
        if (direct && got % kAlign != 0) {
            // A short direct read means end of file; should the file have grown, the
            // rest is read buffered (after dropping its cache) from the unaligned offset.
            leave_direct_mode(fd);
            direct = false;
        }
    }
    if (mode != ReadMode::cached) {
        drop_cached_pages(fd);
    }
    return mode;
}

FileDigest hash_open_file(int fd, ReadMode mode, const std::string& display) {
    FileDigest result;
    Sha256Stream sha;
    result.used = read_all(fd, mode, display, [&](std::span<const std::uint8_t> chunk) {
        sha.update(chunk);
        result.size += chunk.size();
    });
    result.sha256 = sha.finish();
    return result;
}

std::string read_small_file(const std::filesystem::path& file, ReadMode mode, std::size_t limit) {
    OpenResult opened = open_for_reading(AT_FDCWD, file.c_str(), mode, false);
    if (!opened.fd.valid()) {
        throw Error(ErrorCategory::io,
                    "cannot open " + file.string() + ": " + std::strerror(opened.error));
    }
    struct stat st {};
    if (::fstat(opened.fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
        throw Error(ErrorCategory::invalid_input, file.string() + " is not a regular file");
    }
    std::string text;
    (void)read_all(
        opened.fd.get(), opened.mode, file.string(), [&](std::span<const std::uint8_t> chunk) {
            if (text.size() + chunk.size() > limit) {
                throw Error(ErrorCategory::invalid_input,
                            file.string() + " is larger than " + std::to_string(limit) + " bytes");
            }
            text.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
        });
    return text;
}

}  // namespace smk::media
