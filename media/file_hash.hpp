#pragma once
// Internal: opening files for a device read and hashing them in bounded memory.
// sha256_file() and the manifest code share this so that both read the same way.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "smk/digest.hpp"

namespace smk::media {

// Owns a file descriptor.
class UniqueFd final {
  public:
    UniqueFd() noexcept = default;
    explicit UniqueFd(int fd) noexcept : m_fd(fd) {}
    ~UniqueFd();
    UniqueFd(UniqueFd&& other) noexcept : m_fd(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;

    [[nodiscard]] int get() const noexcept { return m_fd; }
    [[nodiscard]] bool valid() const noexcept { return m_fd >= 0; }
    [[nodiscard]] int release() noexcept;

  private:
    int m_fd = -1;
};

struct OpenResult {
    UniqueFd fd;
    int error = 0;                     // errno when !fd.valid()
    ReadMode mode = ReadMode::cached;  // the mode the descriptor was opened for
};

// openat(dirfd, name, flags) with `name` resolved inside dirfd without crossing any
// symbolic link (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS: ELOOP for a link on the
// way, EXDEV for a name that leaves dirfd); where openat2 is unavailable, O_NOFOLLOW
// guards the last component and the caller has already refused absolute and ".." names.
// Returns the descriptor, or -1 with errno set.
[[nodiscard]] int open_beneath(int dirfd, const char* name, int flags);

// Opens `name` for reading relative to dirfd (AT_FDCWD for the working directory).
// O_NONBLOCK so that a FIFO never blocks; O_DIRECT for ReadMode::direct, dropped
// (mode becomes drop_cache) when the filesystem refuses it. With `beneath`, as
// open_beneath() (and O_NOFOLLOW).
[[nodiscard]] OpenResult open_for_reading(int dirfd, const char* name, ReadMode mode, bool beneath);

// Reads an open regular file from its start to its end in `mode` (as returned by
// open_for_reading), 1 MiB at a time, handing each chunk to sink. Returns the mode
// really used. Throws Error(io) naming `display` on a read error.
[[nodiscard]] ReadMode read_all(int fd, ReadMode mode, const std::string& display,
                                const std::function<void(std::span<const std::uint8_t>)>& sink);

// SHA-256 of an open regular file, read as read_all() reads.
[[nodiscard]] FileDigest hash_open_file(int fd, ReadMode mode, const std::string& display);

// A whole small file (a manifest) read in `mode`; Error(invalid_input) above limit bytes
// or if it is not a regular file, Error(io) if it cannot be read.
[[nodiscard]] std::string read_small_file(const std::filesystem::path& file, ReadMode mode,
                                          std::size_t limit);

}  // namespace smk::media
