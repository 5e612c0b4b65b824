// Reading a source file once, hashed while read, with change detection.

#include "copy_source.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "file_hash.hpp"
#include "smk/error.hpp"

namespace smk::copy::detail {
namespace {

bool same_time(const timespec& a, const timespec& b) {
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

// What differs between two stats of the same file, or "" if nothing that matters.
std::string difference(const struct stat& a, const struct stat& b) {
    if (a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
        return "it was replaced by another file";
    }
    if (a.st_size != b.st_size) {
        return "its size went from " + std::to_string(a.st_size) + " to " +
               std::to_string(b.st_size) + " bytes";
    }
    if (!same_time(a.st_mtim, b.st_mtim)) {
        return "its modification time changed";
    }
    if (!same_time(a.st_ctim, b.st_ctim)) {
        return "its status-change time changed";
    }
    return {};
}

// What a source file that cannot be read leaves on the destinations: the copy makes
// directories and links first, and places files in synced batches.
constexpr std::string_view kStopped =
    "; the copy stopped there. On every destination the directories and links are made "
    "(new directories keep mode 0700 until a copy completes), the files of earlier "
    "batches are in place and complete, no final name holds a partial file and the "
    "temporary files were removed. ";

[[noreturn]] void throw_changed(const std::filesystem::path& path, const std::string& why) {
    throw Error(ErrorCategory::io,
                "source file " + path.string() + " changed while it was being copied (" + why +
                    "); its copies were not put in place. Stop whatever writes it and run "
                    "again.");
}

}  // namespace

SourceRead read_source_file(const std::filesystem::path& path, const struct stat& walked,
                            const std::function<void(std::span<const std::uint8_t>)>& sink) {
    // O_NONBLOCK: a FIFO put in the file's place must not hang the copy.
    const int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
    if (raw < 0) {
        const int err = errno;
        if (err == ENOENT) {
            throw Error(ErrorCategory::io, "source file " + path.string() +
                                               " disappeared during the copy" +
                                               std::string(kStopped) +
                                               "Find out what removed it and run the same "
                                               "command again.");
        }
        throw Error(ErrorCategory::io, "cannot read source file " + path.string() + ": " +
                                           std::strerror(err) + std::string(kStopped) +
                                           "Make it readable (or run as its owner) and run "
                                           "the same command again.");
    }
    const media::UniqueFd fd(raw);
    SourceRead result;
    if (::fstat(fd.get(), &result.st) != 0) {
        throw Error(ErrorCategory::io,
                    "cannot stat source file " + path.string() + ": " + std::strerror(errno));
    }
    if (!S_ISREG(result.st.st_mode)) {
        throw_changed(path, "it is no longer a regular file");
    }
    if (const std::string why = difference(walked, result.st); !why.empty()) {
        throw_changed(path, why);
    }
    Sha256Stream sha;
    std::uint64_t total = 0;
    (void)::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    (void)media::read_all(fd.get(), ReadMode::cached, "source file " + path.string(),
                          [&](std::span<const std::uint8_t> chunk) {
                              sha.update(chunk);
                              total += chunk.size();
                              sink(chunk);
                          });
    struct stat after {};
    if (::fstat(fd.get(), &after) != 0) {
        throw Error(ErrorCategory::io,
                    "cannot stat source file " + path.string() + ": " + std::strerror(errno));
    }
    if (const std::string why = difference(result.st, after); !why.empty()) {
        throw_changed(path, why);
    }
    if (total != static_cast<std::uint64_t>(after.st_size)) {
        throw_changed(
            path, "read " + std::to_string(total) + " bytes of " + std::to_string(after.st_size));
    }
    result.sha256 = sha.finish();
    return result;
}

}  // namespace smk::copy::detail
