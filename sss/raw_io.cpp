#include "raw_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "smk/error.hpp"

namespace smk::raw {

InputFile::InputFile(std::filesystem::path path) : m_path(std::move(path)) {
    m_fd = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (m_fd < 0) {
        const int err = errno;
        throw Error(ErrorCategory::io,
                    "cannot open " + m_path.string() + ": " + std::strerror(err));
    }
    struct stat st {};
    if (::fstat(m_fd, &st) != 0) {
        const int err = errno;
        ::close(m_fd);
        throw Error(ErrorCategory::io,
                    "cannot stat " + m_path.string() + ": " + std::strerror(err));
    }
    m_regular = S_ISREG(st.st_mode);
    m_size = m_regular ? static_cast<std::uint64_t>(st.st_size) : 0;
    if (m_regular) {
        // Only a hint for read-ahead; failure changes nothing.
        (void)::posix_fadvise(m_fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
}

InputFile::~InputFile() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

InputFile::InputFile(InputFile&& other) noexcept
    : m_path(std::move(other.m_path)),
      m_fd(std::exchange(other.m_fd, -1)),
      m_regular(other.m_regular),
      m_size(other.m_size) {}

std::size_t InputFile::read_full(std::span<std::uint8_t> out) {
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = ::read(m_fd, out.data() + done, out.size() - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            const int err = errno;
            throw Error(ErrorCategory::io,
                        "cannot read " + m_path.string() + ": " + std::strerror(err));
        }
        if (n == 0) {
            break;
        }
        done += static_cast<std::size_t>(n);
    }
    return done;
}

}  // namespace smk::raw
