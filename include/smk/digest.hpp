#pragma once
// SHA-256 of files and bytes, and the three ways a digest is shown to people:
// lower-case hex (sha256sum), openssl's colon groups (`openssl dgst -sha256 -c`)
// and the PGP word list (for reading a digest aloud across the room).
//
// Files are hashed in bounded memory (1 MiB buffer) whatever their size. A
// verifier must read what the drive holds, not what the page cache remembers
// from the write: see ReadMode.

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "smk/pgp_words.hpp"  // pgp_words
#include "smk/sha256.hpp"     // Sha256, sha256_bytes, sha256_text

namespace smk {

enum class ReadMode {
    // Ordinary buffered reads, like sha256sum: may be answered from the page cache.
    cached,
    // posix_fadvise(POSIX_FADV_DONTNEED) over the whole file before and after the
    // read, then buffered reads with the kernel's readahead. DONTNEED is advisory
    // (dirty pages, and pages another process has mapped, stay), so after it the
    // reader asks the kernel (mincore() on a read-only mapping) whether any page of
    // the file is still cached, and reads the file O_DIRECT if one is or if that
    // cannot be confirmed (FileDigest::used then says direct). What the copy engine
    // uses for its read-back of files it has just synced: as strong as O_DIRECT,
    // faster for large files.
    drop_cache,
    // O_DIRECT: every byte comes from the device (the kernel writes back any dirty
    // page of the range first). Falls back to drop_cache when the filesystem refuses
    // O_DIRECT (EINVAL, e.g. /proc, some FUSE filesystems). The default: FIELD-NOTES
    // measured `sha256sum -c` passing a copy corrupted behind the filesystem until the
    // cache was dropped, and O_DIRECT does not depend on advice the kernel may ignore
    // (DONTNEED keeps dirty and mapped pages). The cached pages are dropped as well,
    // so that a later `sha256sum -c` reads the device too. Cost: no readahead, so
    // somewhat slower than buffered reads on USB drives.
    direct,
};

struct FileDigest {
    Sha256 sha256{};
    std::uint64_t size = 0;
    // What was really used: direct, or drop_cache where O_DIRECT was refused.
    ReadMode used = ReadMode::cached;
};

// Hashes a regular file (symbolic links are followed). Throws Error(io) naming the
// file if it cannot be opened or read, Error(invalid_input) if it is not a regular file.
[[nodiscard]] FileDigest sha256_file(const std::filesystem::path& file,
                                     ReadMode mode = ReadMode::direct);

// A file just written, read back from the device (ReadMode::direct): Error(verification)
// naming the file and both digests if its SHA-256 is not `written_hex`, the hex digest
// its writer computed of the bytes it wrote.
[[nodiscard]] FileDigest sha256_file_as_written(const std::filesystem::path& file,
                                                std::string_view written_hex);

// "ba7816bf…" (64 lower-case hex digits).
[[nodiscard]] std::string digest_hex(const Sha256& digest);
// "ba:78:16:bf:…" (lower case, as `openssl dgst -c` prints it).
[[nodiscard]] std::string digest_colon_hex(const Sha256& digest);
// "SHA2-256(name)= ba:78:…", the line OpenSSL 3 `openssl dgst -sha256 -c name` prints
// (without the newline; the name as given, unescaped, as openssl does).
[[nodiscard]] std::string openssl_dgst_line(const Sha256& digest, std::string_view name);

// PGP words of a digest: smk::pgp_words (smk/pgp_words.hpp).

}  // namespace smk

namespace smk {

// A SHA-256 as a person copied it from the paper script or a screen, in any of
// the three forms above: 64 hex digits (either case), openssl's colon form, or 32
// PGP words (either case, any whitespace between them). Error(invalid_input)
// saying what is wrong: the count, the hex digit or word at fault (by position),
// or a word from the wrong half of the list (a word dropped or doubled before it).
[[nodiscard]] Sha256 parse_digest_text(std::string_view text);

}  // namespace smk
