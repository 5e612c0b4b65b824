// Raw file combining when something is wrong: a damaged, foreign, duplicate or
// missing share is named, and an existing output is refused and kept intact;
// nothing is written on failure.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "raw_crypto.hpp"
#include "raw_format.hpp"
#include "raw_test_util.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/raw_shares.hpp"

namespace fs = std::filesystem;
namespace raw = smk::raw;

using raw_test::Bytes;
using raw_test::entries;
using raw_test::expect_error;
using raw_test::flip_byte;
using raw_test::pick;
using raw_test::random_bytes;
using raw_test::read_file;
using raw_test::seeded;
using raw_test::split;
using raw_test::TempDir;
using raw_test::write_file;

TEST_CASE("raw combine: a damaged share is named and nothing is written") {
    const TempDir dir;
    const Bytes secret = random_bytes(70000, 5);
    const raw::SplitSummary s = split(dir, secret, 3, 5);
    const fs::path out = dir.path() / "out.bin";
    const auto used = pick(s, {1, 2, 3});
    const std::string victim = s.share_files[1].string();

    SUBCASE("a corrupted body byte") {
        flip_byte(s.share_files[1], 40 + 50000);
        expect_error([&] { (void)raw::combine_files(used, out); },
                     smk::ErrorCategory::invalid_input,
                     {victim, "corrupted (checksum mismatch)", "use another share"});
    }
    SUBCASE("a corrupted trailer byte") {
        flip_byte(s.share_files[1], fs::file_size(s.share_files[1]) - 1);
        expect_error([&] { (void)raw::combine_files(used, out); },
                     smk::ErrorCategory::invalid_input, {victim, "checksum mismatch"});
    }
    SUBCASE("a corrupted header byte") {
        flip_byte(s.share_files[1], 20);  // in the identifier
        expect_error([&] { (void)raw::combine_files(used, out); },
                     smk::ErrorCategory::invalid_input, {victim, "header checksum mismatch"});
    }
    SUBCASE("a truncated share") {
        fs::resize_file(s.share_files[1], fs::file_size(s.share_files[1]) - 10);
        expect_error([&] { (void)raw::combine_files(used, out); },
                     smk::ErrorCategory::invalid_input, {victim, "is truncated"});
    }
    SUBCASE("a share cut inside its header") {
        fs::resize_file(s.share_files[1], 30);
        expect_error([&] { (void)raw::combine_files(used, out); },
                     smk::ErrorCategory::invalid_input, {victim, "truncated"});
    }
    SUBCASE("a share with bytes appended") {
        std::ofstream(s.share_files[1], std::ios::binary | std::ios::app) << "xyz";
        expect_error([&] { (void)raw::combine_files(used, out); },
                     smk::ErrorCategory::invalid_input, {victim, "damaged", "3 bytes more"});
    }
    SUBCASE("a file that is not a share") {
        write_file(s.share_files[1], random_bytes(500, 6));
        expect_error([&] { (void)raw::combine_files(used, out); },
                     smk::ErrorCategory::invalid_input, {victim, "not an smk raw share"});
    }
    SUBCASE("a share of a later format") {
        Bytes b = read_file(s.share_files[1]);
        b[7] = '2';
        write_file(s.share_files[1], b);
        expect_error([&] { (void)raw::combine_files(used, out); },
                     smk::ErrorCategory::invalid_input, {victim, "SMKRAW02", "newer smk"});
    }
    SUBCASE("a share altered with its checksum recomputed") {
        Bytes b = read_file(s.share_files[1]);
        b[40 + 12345] ^= 0x40;
        const raw::Digest d =
            smk::sha256_bytes(std::span<const std::uint8_t>(b).first(b.size() - 32));
        std::copy(d.begin(), d.end(), b.end() - 32);
        write_file(s.share_files[1], b);
        expect_error([&] { (void)raw::combine_files(used, out); }, smk::ErrorCategory::verification,
                     {"authentication failed"});
    }
    SUBCASE("an extra share altered with its checksum recomputed") {
        Bytes b = read_file(s.share_files[4]);
        b[40 + 777] ^= 0x02;
        const raw::Digest d =
            smk::sha256_bytes(std::span<const std::uint8_t>(b).first(b.size() - 32));
        std::copy(d.begin(), d.end(), b.end() - 32);
        write_file(s.share_files[4], b);
        expect_error(
            [&] {
                (void)raw::combine_files(pick(s, {1, 2, 3, 5}), out);
            },
            smk::ErrorCategory::verification, {s.share_files[4].string(), "does not agree"});
    }
    CHECK(!fs::exists(out));
    CHECK(entries(dir.path()) == 2);  // secret.bin and shares/: no temporary output
}

TEST_CASE("raw combine: foreign, duplicate and missing shares") {
    const TempDir dir;
    const TempDir other;
    const Bytes secret = random_bytes(1234, 7);
    const raw::SplitSummary s = split(dir, secret, 3, 5, 1);
    const raw::SplitSummary o = split(other, secret, 3, 5, 2);
    const fs::path out = dir.path() / "out.bin";

    expect_error(
        [&] {
            const std::vector<fs::path> mixed{s.share_files[0], s.share_files[1], o.share_files[2]};
            (void)raw::combine_files(mixed, out);
        },
        smk::ErrorCategory::invalid_input,
        {o.share_files[2].string(), "belongs to another split", smk::to_hex(o.identifier),
         smk::to_hex(s.identifier)});

    fs::copy_file(s.share_files[2], dir.path() / "copy-of-3");
    expect_error(
        [&] {
            const std::vector<fs::path> dup{s.share_files[2], s.share_files[0],
                                            dir.path() / "copy-of-3"};
            (void)raw::combine_files(dup, out);
        },
        smk::ErrorCategory::invalid_input,
        {"two shares with x=3", s.share_files[2].string(), (dir.path() / "copy-of-3").string()});

    expect_error(
        [&] {
            (void)raw::combine_files(pick(s, {4, 2}), out);
        },
        smk::ErrorCategory::insufficient, {"need 3 shares, got 2"});
    expect_error([&] { (void)raw::combine_files({}, out); }, smk::ErrorCategory::usage, {});
    expect_error(
        [&] {
            const std::vector<fs::path> missing{dir.path() / "nope", s.share_files[0]};
            (void)raw::combine_files(missing, out);
        },
        smk::ErrorCategory::io, {"nope"});
    CHECK(!fs::exists(out));
}

TEST_CASE("raw combine: refuses an existing output and keeps it intact") {
    const TempDir dir;
    const Bytes secret = random_bytes(999, 8);
    const raw::SplitSummary s = split(dir, secret, 2, 2);
    const fs::path out = dir.path() / "out.bin";
    const Bytes old{'o', 'l', 'd'};
    write_file(out, old);
    expect_error([&] { (void)raw::combine_files(s.share_files, out); }, smk::ErrorCategory::refused,
                 {out.string(), "already exists"});
    CHECK(read_file(out) == old);
    CHECK(entries(dir.path()) == 3);
}
