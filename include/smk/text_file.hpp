#pragma once
// Whole small files that are not secret (a ceremony plan, a transcript, a key
// backup and its checksum file), read in bounded memory: a regular file only
// (a directory, a device such as /dev/zero or a FIFO is refused before a byte
// is read, without blocking), and never more than the caller's limit.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace smk {

// The file's bytes. `what` names it in errors ("plan", "transcript"):
// Error(io) "cannot read WHAT FILE: REASON" if it cannot be opened or read;
// Error(invalid_input) if it is not a regular file or is larger than `limit`.
[[nodiscard]] std::string read_text_file(const std::filesystem::path& file, std::string_view what,
                                         std::size_t limit);

// The same for a descriptor already open on `file` (read from offset 0 with pread,
// whatever the descriptor's offset), so that what is checked is what is open.
[[nodiscard]] std::string read_text_fd(int fd, std::string_view what,
                                       const std::filesystem::path& file, std::size_t limit);

}  // namespace smk
