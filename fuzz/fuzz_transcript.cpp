// Fuzz target: the ceremony transcript reader (hash-chained JSON lines,
// smk/ceremony/transcript.hpp verify_file and read_file). The reader takes a path, so the
// input goes into an in-memory file (memfd) named through /proc/self/fd.

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "smk/ceremony/transcript.hpp"
#include "smk/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const int fd = ::memfd_create("fuzz-transcript", MFD_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::write(fd, data + done, size - done);
        if (n <= 0) {
            ::close(fd);
            return 0;
        }
        done += static_cast<std::size_t>(n);
    }
    const std::string path = "/proc/self/fd/" + std::to_string(fd);
    try {
        (void)smk::transcript::verify_file(path);
    } catch (const smk::Error&) {
    }
    try {
        (void)smk::transcript::read_file(path);
    } catch (const smk::Error&) {
    }
    ::close(fd);
    return 0;
}
