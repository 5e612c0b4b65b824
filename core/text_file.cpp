// Small non-secret files, read whole, with the type checked on the open descriptor
// (no race between a check and the open) and the size bounded while reading (a
// file that grows, or /proc-like files that report size 0, cannot exceed it).

#include "smk/text_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "smk/error.hpp"

namespace smk {
namespace {

std::string kind_of(mode_t mode) {
    if (S_ISDIR(mode)) {
        return "a directory";
    }
    if (S_ISCHR(mode) || S_ISBLK(mode)) {
        return "a device";
    }
    if (S_ISFIFO(mode)) {
        return "a FIFO";
    }
    if (S_ISSOCK(mode)) {
        return "a socket";
    }
    return "not a regular file";
}

class Fd final {
  public:
    explicit Fd(int fd) noexcept : m_fd(fd) {}
    ~Fd() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    [[nodiscard]] int get() const noexcept { return m_fd; }

  private:
    int m_fd;
};

}  // namespace

std::string read_text_fd(int fd, std::string_view what, const std::filesystem::path& file,
                         std::size_t limit) {
    const std::string name = std::string(what) + " " + file.string();
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        throw Error(ErrorCategory::io, "cannot read " + name + ": " + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        throw Error(ErrorCategory::invalid_input, name + " is " + kind_of(st.st_mode) +
                                                      ", not a file: name the " +
                                                      std::string(what) + " file itself");
    }
    std::string text;
    std::array<char, 65536> buffer{};
    for (;;) {
        // pread from the start: the descriptor's own offset is the caller's (an
        // O_APPEND writer reads what it will append to).
        const ssize_t n =
            ::pread(fd, buffer.data(), buffer.size(), static_cast<off_t>(text.size()));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw Error(ErrorCategory::io, "cannot read " + name + ": " + std::strerror(errno));
        }
        if (n == 0) {
            return text;
        }
        if (text.size() + static_cast<std::size_t>(n) > limit) {
            throw Error(ErrorCategory::invalid_input,
                        name + " is larger than " + std::to_string(limit) +
                            " bytes, more than any " + std::string(what) +
                            " smk writes: is it the right file?");
        }
        text.append(buffer.data(), static_cast<std::size_t>(n));
    }
}

std::string read_text_file(const std::filesystem::path& file, std::string_view what,
                           std::size_t limit) {
    // The type is looked at before the open (opening a device can act on it), and
    // again on the open descriptor (read_text_fd), which is what is read.
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
        throw Error(ErrorCategory::invalid_input,
                    std::string(what) + " " + file.string() + " is " + kind_of(st.st_mode) +
                        ", not a file: name the " + std::string(what) + " file itself");
    }
    // O_NONBLOCK: should a FIFO appear after the stat, the open does not wait for it.
    const Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0) {
        throw Error(ErrorCategory::io, "cannot read " + std::string(what) + " " + file.string() +
                                           ": " + std::strerror(errno));
    }
    return read_text_fd(fd.get(), what, file, limit);
}

}  // namespace smk
