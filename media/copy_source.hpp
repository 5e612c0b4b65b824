#pragma once
// Internal to the copy engine: reading one source file once, hashed while read,
// and proving it did not change meanwhile.

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>

#include "smk/digest.hpp"

namespace smk::copy::detail {

struct SourceRead {
    Sha256 sha256{};
    struct stat st {};  // as it was when opened (and, checked, when read to its end)
};

// Reads `path` (a regular file, never followed if it became a link) from start to end,
// handing each chunk (at most 1 MiB, bounded memory) to `sink` and hashing it.
// `walked` is what the walk saw. Error(io) naming the file when it cannot be opened or
// read, is no longer a regular file, or changed since the walk or during the read
// (size, mtime or ctime differ, or the bytes read are not its size).
[[nodiscard]] SourceRead read_source_file(
    const std::filesystem::path& path, const struct stat& walked,
    const std::function<void(std::span<const std::uint8_t>)>& sink);

}  // namespace smk::copy::detail
