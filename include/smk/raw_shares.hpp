#pragma once
// Raw Shamir sharing of a file of any size ("smk split --format raw"): one share
// file per x coordinate, each with a small checked header, streamed in bounded
// memory (peak RSS independent of the file size). See docs/FORMAT.md.

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "smk/random.hpp"

namespace smk::raw {

struct SplitSummary {
    std::array<std::uint8_t, 8> identifier{};  // random, the same in every share of a split
    std::uint64_t secret_bytes = 0;
    unsigned threshold = 0;
    std::vector<std::filesystem::path> share_files;  // in x order, x = 1..count
};

// Streams secret_file into `count` new share files in out_dir (created 0600 with
// O_EXCL via temp name + fsync + rename; never overwrites; nothing left behind on
// failure). 2 <= threshold <= count <= 255.
[[nodiscard]] SplitSummary split_file(const std::filesystem::path& secret_file,
                                      const std::filesystem::path& out_dir, unsigned threshold,
                                      unsigned count, RandomSource& random);

struct CombineSummary {
    std::array<std::uint8_t, 8> identifier{};
    std::uint64_t secret_bytes = 0;
    std::vector<std::filesystem::path> shares_used;
};

// Recombines share files into out_file (created 0600, temp + fsync + rename, never
// overwriting). Every share's header and body checksum is checked and a bad,
// foreign, duplicate or truncated share is named; the result is authenticated
// before it gets its final name.
[[nodiscard]] CombineSummary combine_files(std::span<const std::filesystem::path> share_files,
                                           const std::filesystem::path& out_file);

}  // namespace smk::raw
