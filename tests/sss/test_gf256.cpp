// GF(2^8) modulo 0x11B: the scalar operations against a textbook reference written
// here, and every bulk kernel this CPU can run against the same reference.

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "gf256.hpp"
#include "smk/error.hpp"

// Under valgrind, secret inputs are marked undefined: Memcheck then reports any
// conditional jump or memory address that depends on them (a constant-time check).
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define SMK_SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED(p, n)
#define SMK_PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED(p, n)
#else
#define SMK_SECRET(p, n) static_cast<void>(0)
#define SMK_PUBLIC(p, n) static_cast<void>(0)
#endif

namespace gf = smk::gf256;

namespace {

// Carry-less 8x8 -> 15-bit product, then long division by x^8+x^4+x^3+x+1.
// Deliberately a different algorithm from the library's.
std::uint8_t reference_mul(std::uint8_t a, std::uint8_t b) {
    unsigned product = 0;
    for (unsigned bit = 0; bit < 8; ++bit) {
        if (((static_cast<unsigned>(b) >> bit) & 1u) != 0) {
            product ^= static_cast<unsigned>(a) << bit;
        }
    }
    for (unsigned bit = 14; bit >= 8; --bit) {
        if ((product >> bit) & 1u) {
            product ^= 0x11Bu << (bit - 8);
        }
    }
    return static_cast<std::uint8_t>(product);
}

// Restores the default path even when a check throws.
struct PathGuard {
    PathGuard() = default;
    PathGuard(const PathGuard&) = delete;
    PathGuard& operator=(const PathGuard&) = delete;
    ~PathGuard() { gf::reset_path(); }
};

// Deterministic, public test data.
std::uint8_t pattern(std::size_t i, unsigned salt) {
    return static_cast<std::uint8_t>((i * 37u + salt * 11u + 5u) ^ (i >> 3));
}

std::vector<gf::Path> paths_to_test() {
    std::vector<gf::Path> paths = gf::available_paths();
    std::string missing;
    for (const gf::Path p : gf::all_paths()) {
        if (!gf::path_available(p)) {
            missing += std::string(missing.empty() ? "" : ", ") + std::string(gf::path_name(p));
        }
    }
    if (!missing.empty()) {
        MESSAGE(
            "this CPU cannot run these GF(256) paths, so they are not tested here: " << missing);
    }
    return paths;
}

}  // namespace

TEST_CASE("the reference multiplication agrees with FIPS-197") {
    CHECK(reference_mul(0x57, 0x83) == 0xC1);  // FIPS-197 section 4.2
    CHECK(reference_mul(0x57, 0x13) == 0xFE);
    CHECK(reference_mul(0x53, 0xCA) == 0x01);  // inverses, FIPS-197 section 5.1.1
}

TEST_CASE("mul: all 65,536 products match the reference") {
    unsigned wrong = 0;
    for (unsigned a = 0; a < 256; ++a) {
        for (unsigned b = 0; b < 256; ++b) {
            const auto x = static_cast<std::uint8_t>(a);
            const auto y = static_cast<std::uint8_t>(b);
            if (gf::mul(x, y) != reference_mul(x, y)) {
                if (wrong < 5) {
                    FAIL_CHECK("mul(" << a << ", " << b << ") = " << unsigned{gf::mul(x, y)}
                                      << ", expected " << unsigned{reference_mul(x, y)});
                }
                ++wrong;
            }
        }
    }
    CHECK(wrong == 0);
}

TEST_CASE("inv: a * inv(a) == 1 for all 255 nonzero a, and inv(0) == 0") {
    CHECK(gf::inv(0) == 0);
    CHECK(gf::inv(1) == 1);
    CHECK(gf::inv(0x53) == 0xCA);
    for (unsigned a = 1; a < 256; ++a) {
        const auto x = static_cast<std::uint8_t>(a);
        CHECK_MESSAGE(reference_mul(x, gf::inv(x)) == 1, "a = " << a);
    }
}

TEST_CASE("paths: names, availability and forcing") {
    const auto available = gf::available_paths();
    REQUIRE(!available.empty());
    CHECK(available.front() == gf::Path::portable);
    CHECK(gf::active_path() == available.back());  // the fastest by default
    std::string names;
    for (const gf::Path p : available) {
        names += std::string(gf::path_name(p)) + " ";
    }
    MESSAGE("GF(256) paths on this CPU: " << names << "(default "
                                          << gf::path_name(gf::active_path()) << ")");
    const auto all = gf::all_paths();
    for (std::size_t i = 0; i < all.size(); ++i) {
        for (std::size_t j = i + 1; j < all.size(); ++j) {
            CHECK(gf::path_name(all[i]) != gf::path_name(all[j]));
        }
    }
    {
        const PathGuard guard;
        for (const gf::Path p : available) {
            gf::force_path(p);
            CHECK(gf::active_path() == p);
        }
        for (const gf::Path p : all) {
            if (!gf::path_available(p)) {
                CHECK_THROWS_AS(gf::force_path(p), smk::Error);
            }
        }
    }
    CHECK(gf::active_path() == available.back());
}

TEST_CASE("mul_add_on: all 65,536 (c, x) products on every available path") {
    std::array<std::uint8_t, 256> src{};
    for (unsigned i = 0; i < 256; ++i) {
        src[i] = static_cast<std::uint8_t>(i);
    }
    for (const gf::Path path : paths_to_test()) {
        CAPTURE(gf::path_name(path));
        unsigned wrong = 0;
        for (unsigned c = 0; c < 256; ++c) {
            std::array<std::uint8_t, 256> dst{};
            for (unsigned i = 0; i < 256; ++i) {
                dst[i] = pattern(i, c);
            }
            gf::mul_add_on(path, dst, src, static_cast<std::uint8_t>(c));
            for (unsigned i = 0; i < 256; ++i) {
                const auto expected = static_cast<std::uint8_t>(
                    pattern(i, c) ^ reference_mul(static_cast<std::uint8_t>(c), src[i]));
                if (dst[i] != expected) {
                    if (wrong < 5) {
                        FAIL_CHECK("c = " << c << ", x = " << i << ": got " << unsigned{dst[i]}
                                          << ", expected " << unsigned{expected});
                    }
                    ++wrong;
                }
            }
        }
        CHECK(wrong == 0);
    }
}

TEST_CASE("mul_add_on: tails, unaligned offsets, untouched neighbours, every path") {
    constexpr std::array<std::size_t, 21> kLengths{
        0, 1, 2, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 191, 1000, 4096, 4099};
    constexpr std::array<std::uint8_t, 6> kScalars{0x00, 0x01, 0x02, 0x53, 0x8E, 0xFF};
    constexpr std::size_t kGuard = 80;  // bytes either side that must stay unchanged
    for (const gf::Path path : paths_to_test()) {
        CAPTURE(gf::path_name(path));
        for (const std::size_t len : kLengths) {
            for (std::size_t src_off = 0; src_off < 4; ++src_off) {
                for (const std::uint8_t c : kScalars) {
                    const std::size_t dst_off = (src_off * 5 + len) % 7;
                    std::vector<std::uint8_t> src(len + 2 * kGuard);
                    std::vector<std::uint8_t> dst(len + 2 * kGuard);
                    for (std::size_t i = 0; i < src.size(); ++i) {
                        src[i] = pattern(i, 1000u + c);
                        dst[i] = pattern(i, 2000u + c);
                    }
                    const std::vector<std::uint8_t> before = dst;
                    gf::mul_add_on(
                        path, std::span(dst).subspan(kGuard + dst_off, len),
                        std::span<const std::uint8_t>(src).subspan(kGuard + src_off, len), c);
                    bool ok = true;
                    for (std::size_t i = 0; i < dst.size(); ++i) {
                        std::uint8_t expected = before[i];
                        if (i >= kGuard + dst_off && i < kGuard + dst_off + len) {
                            expected ^= reference_mul(c, src[i - dst_off + src_off]);
                        }
                        ok = ok && dst[i] == expected;
                    }
                    CHECK_MESSAGE(ok, "len " << len << ", src offset " << src_off << ", dst offset "
                                             << dst_off << ", c " << unsigned{c});
                }
            }
        }
    }
}

TEST_CASE("mul_add_on: dst == src computes (1 + c) * x in place, every path") {
    for (const gf::Path path : paths_to_test()) {
        CAPTURE(gf::path_name(path));
        for (const std::uint8_t c :
             {std::uint8_t{0x00}, std::uint8_t{0x01}, std::uint8_t{0x1D}, std::uint8_t{0xFE}}) {
            std::vector<std::uint8_t> buf(1000 + 3);
            for (std::size_t i = 0; i < buf.size(); ++i) {
                buf[i] = pattern(i, c);
            }
            gf::mul_add_on(path, buf, buf, c);
            const auto factor = static_cast<std::uint8_t>(1u ^ c);
            bool ok = true;
            for (std::size_t i = 0; i < buf.size(); ++i) {
                ok = ok && buf[i] == reference_mul(factor, pattern(i, c));
            }
            CHECK_MESSAGE(ok, "c = " << unsigned{c});
        }
    }
}

TEST_CASE("mul_add uses the forced path and agrees with portable") {
    const PathGuard guard;
    std::vector<std::uint8_t> src(4099);
    for (std::size_t i = 0; i < src.size(); ++i) {
        src[i] = pattern(i, 7);
    }
    std::vector<std::uint8_t> expected(src.size(), 0x5A);
    gf::mul_add_on(gf::Path::portable, expected, src, 0xC3);
    for (const gf::Path path : paths_to_test()) {
        gf::force_path(path);
        std::vector<std::uint8_t> dst(src.size(), 0x5A);
        gf::mul_add(dst, src, 0xC3);
        CHECK_MESSAGE(dst == expected, gf::path_name(path));
    }
}

// Run as: valgrind --error-exitcode=1 tests/smk_tests_sss -tc='constant time*'
// (valgrind does not emulate GFNI or AVX-512; those paths are then unavailable and
// listed as such). Outside valgrind this checks the results only.
TEST_CASE("constant time: no branch or address depends on secret bytes") {
    std::vector<std::uint8_t> src(1000 + 17);
    std::vector<std::uint8_t> start(src.size());
    for (std::size_t i = 0; i < src.size(); ++i) {
        src[i] = pattern(i, 3);
        start[i] = pattern(i, 4);
    }
    for (const gf::Path path : paths_to_test()) {
        std::vector<std::uint8_t> expected = start;
        for (std::size_t i = 0; i < src.size(); ++i) {
            expected[i] ^= reference_mul(0x57, src[i]);
        }
        std::vector<std::uint8_t> dst = start;
        SMK_SECRET(src.data(), src.size());
        SMK_SECRET(dst.data(), dst.size());
        gf::mul_add_on(path, dst, src, 0x57);
        SMK_PUBLIC(src.data(), src.size());
        SMK_PUBLIC(dst.data(), dst.size());
        CHECK_MESSAGE(dst == expected, gf::path_name(path));
    }
    for (unsigned v = 0; v < 256; v += 15) {
        auto a = static_cast<std::uint8_t>(v);
        auto b = static_cast<std::uint8_t>(255 - v);
        SMK_SECRET(&a, 1);
        SMK_SECRET(&b, 1);
        std::uint8_t product = gf::mul(a, b);
        std::uint8_t inverse = gf::inv(a);
        SMK_PUBLIC(&a, 1);
        SMK_PUBLIC(&b, 1);
        SMK_PUBLIC(&product, 1);
        SMK_PUBLIC(&inverse, 1);
        CHECK(product == reference_mul(a, b));
        CHECK(inverse == (v == 0 ? 0 : gf::inv(a)));
        CHECK((v == 0 || reference_mul(a, inverse) == 1));
    }
}
