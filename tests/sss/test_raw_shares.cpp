// Raw file sharing end to end through smk::raw::split_file / combine_files: round
// trips around the streaming chunk size, every threshold subset, and split's own
// refusals and clean failure (test_raw_combine.cpp: each way a share or an output
// can be wrong).

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "raw_crypto.hpp"
#include "raw_format.hpp"
#include "raw_parallel.hpp"
#include "raw_test_util.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/random.hpp"
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

TEST_CASE("raw: round trips at sizes around the streaming chunk") {
    const std::size_t chunk = raw::format::chunk_bytes(3 + 1);
    const std::size_t payload_extra = raw::format::payload_bytes(0);
    const std::vector<std::size_t> sizes{0,
                                         1,
                                         31,
                                         chunk - 1,
                                         chunk,
                                         chunk + 1,
                                         chunk - payload_extra - 1,
                                         chunk - payload_extra,
                                         chunk - payload_extra + 1,
                                         2 * chunk - payload_extra,
                                         (std::size_t{3} << 20) + 17};
    for (const std::size_t size : sizes) {
        CAPTURE(size);
        const TempDir dir;
        const Bytes secret = random_bytes(size, static_cast<std::uint8_t>(size));
        const raw::SplitSummary s = split(dir, secret, 3, 5);
        CHECK(s.secret_bytes == size);
        CHECK(s.threshold == 3);
        REQUIRE(s.share_files.size() == 5);
        for (unsigned x = 1; x <= 5; ++x) {
            const fs::path& p = s.share_files[x - 1];
            CHECK(p.filename() == "secret.bin." + std::to_string(x) + "-of-5.smkraw");
            CHECK(fs::file_size(p) == size + 136);
            struct stat st {};
            REQUIRE(::stat(p.c_str(), &st) == 0);
            CHECK((st.st_mode & 0777) == 0600);
            const Bytes b = read_file(p);
            raw::format::HeaderBytes hb{};
            std::copy_n(b.begin(), hb.size(), hb.begin());
            const raw::format::Header h = raw::format::decode_header(hb, "test");
            CHECK(h.x == x);
            CHECK(h.threshold == 3);
            CHECK(h.count == 5);
            CHECK(h.identifier == s.identifier);
            CHECK(h.secret_bytes == size);
        }
        CHECK(entries(dir.path() / "shares") == 5);  // no temporary files left
        const auto used = pick(s, {5, 1, 3});
        const raw::CombineSummary c = raw::combine_files(used, dir.path() / "out.bin");
        CHECK(read_file(dir.path() / "out.bin") == secret);
        CHECK(c.identifier == s.identifier);
        CHECK(c.secret_bytes == size);
        CHECK(c.shares_used == used);
        CHECK(c.shares_checked.empty());
    }
}

TEST_CASE("raw: every threshold subset recovers, extra shares are checked") {
    const TempDir dir;
    const Bytes secret = random_bytes(5000, 2);
    const raw::SplitSummary s = split(dir, secret, 3, 5);
    unsigned subsets = 0;
    for (unsigned a = 1; a <= 5; ++a) {
        for (unsigned b = a + 1; b <= 5; ++b) {
            for (unsigned c = b + 1; c <= 5; ++c) {
                const fs::path out = dir.path() / ("out-" + std::to_string(subsets++));
                std::vector<fs::path> shares = pick(s, {c, a, b});
                CHECK_NOTHROW((void)raw::combine_files(shares, out));
                CHECK_MESSAGE(read_file(out) == secret, a << b << c);
            }
        }
    }
    CHECK(subsets == 10);
    const auto all = pick(s, {2, 4, 1, 5, 3});
    const raw::CombineSummary c = raw::combine_files(all, dir.path() / "out-all");
    CHECK(read_file(dir.path() / "out-all") == secret);
    CHECK(c.shares_used == pick(s, {2, 4, 1}));
    CHECK(c.shares_checked == pick(s, {5, 3}));
}

TEST_CASE("raw: 5-of-7 over a few MiB") {
    const TempDir dir;
    const Bytes secret = random_bytes((std::size_t{5} << 20) + 3, 3);
    const raw::SplitSummary s = split(dir, secret, 5, 7);
    (void)raw::combine_files(pick(s, {1, 2, 3, 4, 5}), dir.path() / "a");
    (void)raw::combine_files(pick(s, {7, 3, 6, 2, 4}), dir.path() / "b");
    CHECK(read_file(dir.path() / "a") == secret);
    CHECK(read_file(dir.path() / "b") == secret);
    expect_error(
        [&] {
            (void)raw::combine_files(pick(s, {1, 2, 3, 4}), dir.path() / "c");
        },
        smk::ErrorCategory::insufficient, {"need 5 shares, got 4"});
    CHECK(!fs::exists(dir.path() / "c"));
}

TEST_CASE("raw: the same random source gives the same shares - another gives others") {
    const TempDir a;
    const TempDir b;
    const TempDir c;
    const Bytes secret = random_bytes(3000, 4);
    const auto sa = split(a, secret, 2, 3, 7);
    const auto sb = split(b, secret, 2, 3, 7);
    const auto sc = split(c, secret, 2, 3, 8);
    CHECK(sa.identifier == sb.identifier);
    CHECK(sa.identifier != sc.identifier);
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(read_file(sa.share_files[i]) == read_file(sb.share_files[i]));
        CHECK(read_file(sa.share_files[i]) != read_file(sc.share_files[i]));
    }
    // No share carries the secret in clear.
    const Bytes share = read_file(sa.share_files[0]);
    CHECK(std::search(share.begin(), share.end(), secret.begin(), secret.begin() + 64) ==
          share.end());
}

TEST_CASE("raw split: parameter checks, refusals and clean failure") {
    const TempDir dir;
    const Bytes secret = random_bytes(100, 9);
    write_file(dir.path() / "secret.bin", secret);
    auto random = seeded(3);
    const fs::path shares = dir.path() / "shares";
    for (const auto& [t, n] : std::vector<std::pair<unsigned, unsigned>>{
             {1, 5}, {0, 0}, {6, 5}, {2, 1}, {2, 256}, {300, 300}}) {
        CAPTURE(t);
        CAPTURE(n);
        expect_error(
            [&] { (void)raw::split_file(dir.path() / "secret.bin", shares, t, n, random); },
            smk::ErrorCategory::usage, {});
    }
    CHECK(!fs::exists(shares));

    expect_error([&] { (void)raw::split_file(dir.path() / "missing", shares, 2, 3, random); },
                 smk::ErrorCategory::io, {"missing"});
    expect_error([&] { (void)raw::split_file(dir.path(), shares, 2, 3, random); },
                 smk::ErrorCategory::usage, {"not a regular file"});
    CHECK(!fs::exists(shares));

    // One target name is taken: refused before anything is written; the file is untouched.
    fs::create_directory(shares);
    const fs::path taken = shares / "secret.bin.4-of-5.smkraw";
    write_file(taken, {'m', 'i', 'n', 'e'});
    expect_error([&] { (void)raw::split_file(dir.path() / "secret.bin", shares, 3, 5, random); },
                 smk::ErrorCategory::refused, {taken.string(), "already exists"});
    CHECK(entries(shares) == 1);
    CHECK(read_file(taken) == Bytes{'m', 'i', 'n', 'e'});

    // out_dir is a file.
    expect_error([&] { (void)raw::split_file(dir.path() / "secret.bin", taken, 2, 3, random); },
                 smk::ErrorCategory::usage, {"not a directory"});

    // A missing out_dir is created 0700, and the maximum 255 shares work.
    const fs::path fresh = dir.path() / "fresh";
    const raw::SplitSummary big =
        raw::split_file(dir.path() / "secret.bin", fresh, 255, 255, random);
    struct stat st {};
    REQUIRE(::stat(fresh.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    CHECK(entries(fresh) == 255);
    std::vector<fs::path> reversed(big.share_files.rbegin(), big.share_files.rend());
    (void)raw::combine_files(reversed, dir.path() / "out-255");
    CHECK(read_file(dir.path() / "out-255") == secret);
}

namespace {

// A random source that, on its n-th draw, creates a file where the split will put
// a share: the split then fails midway, after it has begun writing.
class SabotagingRandom final : public smk::RandomSource {
  public:
    SabotagingRandom(fs::path target, unsigned at_draw)
        : m_target(std::move(target)), m_at(at_draw), m_inner(seeded(11)) {}
    void fill(std::span<std::uint8_t> out) override {
        if (++m_draws == m_at) {
            write_file(m_target, {'l', 'a', 't', 'e'});
        }
        m_inner.fill(out);
    }

  private:
    fs::path m_target;
    unsigned m_at;
    unsigned m_draws = 0;
    smk_test::DeterministicRandom m_inner;
};

}  // namespace

TEST_CASE("raw split: a failure midway leaves no share and no temporary file") {
    const TempDir dir;
    write_file(dir.path() / "secret.bin", random_bytes(300000, 10));
    const fs::path shares = dir.path() / "shares";
    fs::create_directory(shares);
    const fs::path late = shares / "secret.bin.3-of-4.smkraw";
    SabotagingRandom random(late, 3);  // the third draw: after the existence checks
    expect_error([&] { (void)raw::split_file(dir.path() / "secret.bin", shares, 2, 4, random); },
                 smk::ErrorCategory::refused, {late.string()});
    CHECK(entries(shares) == 1);  // only the file that appeared
    CHECK(read_file(late) == Bytes{'l', 'a', 't', 'e'});
}

TEST_CASE("ForkJoin runs both halves and passes on an exception from either") {
    raw::ForkJoin fork_join;
    for (int round = 0; round < 100; ++round) {  // reused across many steps, as in a split
        int here = 0;
        int there = 0;
        fork_join.run([&] { here = round; }, [&] { there = round + 1; });
        REQUIRE(here == round);
        REQUIRE(there == round + 1);
    }
    const auto fail = [](const char* what) { throw smk::Error(smk::ErrorCategory::io, what); };
    bool other_ran = false;
    expect_error([&] { fork_join.run([&] { other_ran = true; }, [&] { fail("helper"); }); },
                 smk::ErrorCategory::io, {"helper"});
    CHECK(other_ran);
    expect_error([&] { fork_join.run([&] { fail("main"); }, [] {}); }, smk::ErrorCategory::io,
                 {"main"});
    expect_error([&] { fork_join.run([&] { fail("main"); }, [&] { fail("helper"); }); },
                 smk::ErrorCategory::io, {"main"});
    int after = 0;
    fork_join.run([&] { after += 1; }, [] {});
    CHECK(after == 1);  // still usable after errors
}
