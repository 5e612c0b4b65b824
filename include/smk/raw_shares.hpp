#pragma once
// Raw Shamir sharing of a file of any size ("smk split --format raw"): one share
// file per x coordinate, each with a small checked header, streamed in bounded
// memory (peak RSS independent of the file size). See docs/FORMAT.md.
//
// What is shared is R || file || HMAC-SHA256(R, ...file) with R 32 random bytes,
// so that combining shares that do not belong together is detected instead of
// yielding a wrong file. Each share file ends with the SHA-256 of its header and
// body, so a damaged or truncated share is named.

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "smk/random.hpp"

namespace smk::raw {

inline constexpr unsigned kMaxShares = 255;

struct SplitSummary {
    std::array<std::uint8_t, 8> identifier{};  // random, the same in every share of a split
    std::uint64_t secret_bytes = 0;
    unsigned threshold = 0;
    std::vector<std::filesystem::path> share_files;  // in x order, x = 1..count
};

// Streams secret_file into `count` new share files in out_dir, named
// "<secret file name>.<x>-of-<count>.smkraw" (created 0600 with O_EXCL via temp
// name + fsync + rename; never overwrites). out_dir is created (0700) if missing.
// On failure nothing is left behind: share files already in place are removed.
// Errors: usage (2 <= threshold <= count <= 255 violated, secret not a regular
// file, out_dir not a directory), refused (a share file exists), io.
// `random` supplies the identifier, R and a 32-byte key from which the polynomial
// coefficients are drawn (ChaCha20 keystream).
[[nodiscard]] SplitSummary split_file(const std::filesystem::path& secret_file,
                                      const std::filesystem::path& out_dir, unsigned threshold,
                                      unsigned count, RandomSource& random);

struct CombineSummary {
    std::array<std::uint8_t, 8> identifier{};
    std::uint64_t secret_bytes = 0;
    unsigned threshold = 0;
    unsigned count = 0;  // shares made by the split
    // The first `threshold` shares given (in the order given) form the result.
    std::vector<std::filesystem::path> shares_used;
    // Further shares given: each was checked (checksum, and that it lies on the
    // polynomial of the shares used) but was not needed.
    std::vector<std::filesystem::path> shares_checked;
};

// Recombines share files into out_file (created 0600, temp + fsync + rename, never
// overwriting). Every share's header and checksum is checked and a bad, foreign,
// duplicate or truncated share is named; the result is authenticated before it
// gets its final name, and on any failure no output file remains.
// Errors: usage (no shares), invalid_input (damaged, truncated, foreign or
// duplicate share), insufficient (fewer shares than the threshold), verification
// (the result does not authenticate, or an extra share disagrees), refused
// (out_file exists), io.
[[nodiscard]] CombineSummary combine_files(std::span<const std::filesystem::path> share_files,
                                           const std::filesystem::path& out_file);

}  // namespace smk::raw
