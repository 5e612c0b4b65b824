#pragma once
// Helpers of the raw file sharing tests (test_raw_shares.cpp, test_raw_combine.cpp):
// a seeded random source, byte files, a t-of-n split into a TempDir, and a check
// that an smk::Error names what it must.

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <string>
#include <vector>

#include "smk/error.hpp"
#include "smk/raw_shares.hpp"
#include "support/deterministic_random.hpp"
#include "support/temp_dir.hpp"

namespace raw_test {

namespace fs = std::filesystem;
namespace raw = smk::raw;

using Bytes = std::vector<std::uint8_t>;

using smk_test::TempDir;

inline smk_test::DeterministicRandom seeded(std::uint8_t tag) {
    std::array<std::uint8_t, 32> seed{};
    seed[0] = tag;
    seed[1] = 0xA5;
    return smk_test::DeterministicRandom(seed);
}

inline Bytes random_bytes(std::size_t n, std::uint8_t tag) {
    Bytes out(n);
    auto random = seeded(static_cast<std::uint8_t>(0x80u | tag));
    random.fill(out);
    return out;
}

inline void write_file(const fs::path& p, const Bytes& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

inline Bytes read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

inline std::size_t entries(const fs::path& dir) {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

// Splits `secret` (written to dir/secret.bin) t-of-n into dir/shares.
inline raw::SplitSummary split(const TempDir& dir, const Bytes& secret, unsigned t, unsigned n,
                               std::uint8_t seed = 1) {
    write_file(dir.path() / "secret.bin", secret);
    auto random = seeded(seed);
    return raw::split_file(dir.path() / "secret.bin", dir.path() / "shares", t, n, random);
}

inline std::vector<fs::path> pick(const raw::SplitSummary& s, std::initializer_list<unsigned> xs) {
    std::vector<fs::path> out;
    for (const unsigned x : xs) {
        out.push_back(s.share_files.at(x - 1));
    }
    return out;
}

// Runs fn, which must throw smk::Error of `category` with every one of `parts`
// in its message.
inline void expect_error(const std::function<void()>& fn, smk::ErrorCategory category,
                         const std::vector<std::string>& parts) {
    try {
        fn();
        FAIL("no error; expected one of category " << smk::category_name(category));
    } catch (const smk::Error& e) {
        const std::string message = e.what();
        CHECK_MESSAGE(e.category() == category, message);
        for (const std::string& part : parts) {
            CHECK_MESSAGE(message.find(part) != std::string::npos,
                          "'" << part << "' not in: " << message);
        }
    }
}

inline void flip_byte(const fs::path& p, std::size_t offset) {
    Bytes b = read_file(p);
    REQUIRE(offset < b.size());
    b[offset] ^= 0x01;
    write_file(p, b);
}

}  // namespace raw_test
