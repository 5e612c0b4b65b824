// Lagrange interpolation over GF(256): random polynomials are evaluated here
// (Horner with gf256::mul, which test_gf256.cpp checks against a reference) and
// shamir::interpolate must give them back, on every GF(256) path.

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "gf256.hpp"
#include "smk/error.hpp"
#include "smk/random.hpp"
#include "smk/shamir.hpp"
#include "support/deterministic_random.hpp"

namespace gf = smk::gf256;

namespace {

using Bytes = std::vector<std::uint8_t>;

struct PathGuard {
    PathGuard() = default;
    PathGuard(const PathGuard&) = delete;
    PathGuard& operator=(const PathGuard&) = delete;
    ~PathGuard() { gf::reset_path(); }
};

// coefficients[j][k]: coefficient of x^j for byte k.
struct Polynomial {
    std::vector<Bytes> coefficients;

    [[nodiscard]] Bytes at(std::uint8_t x) const {
        Bytes y(coefficients.front().size(), 0);
        for (auto j = coefficients.size(); j-- > 0;) {
            for (std::size_t k = 0; k < y.size(); ++k) {
                y[k] = static_cast<std::uint8_t>(gf::mul(y[k], x) ^ coefficients[j][k]);
            }
        }
        return y;
    }
};

Polynomial random_polynomial(smk::RandomSource& random, std::size_t degree_plus_one,
                             std::size_t length) {
    Polynomial p;
    for (std::size_t j = 0; j < degree_plus_one; ++j) {
        Bytes c(length);
        random.fill(c);
        p.coefficients.push_back(std::move(c));
    }
    return p;
}

// `count` distinct nonzero x, in random order.
std::vector<std::uint8_t> distinct_xs(smk::RandomSource& random, std::size_t count) {
    std::vector<std::uint8_t> xs;
    while (xs.size() < count) {
        std::array<std::uint8_t, 1> b{};
        random.fill(b);
        if (b[0] != 0 && std::find(xs.begin(), xs.end(), b[0]) == xs.end()) {
            xs.push_back(b[0]);
        }
    }
    return xs;
}

smk_test::DeterministicRandom seeded(std::uint8_t tag) {
    std::array<std::uint8_t, 32> seed{};
    seed[0] = tag;
    seed[31] = 0x5A;
    return smk_test::DeterministicRandom(seed);
}

// Interpolates at `at` through (xs[i], ys[i]) for the first `use` points.
Bytes interpolate(const std::vector<std::uint8_t>& xs, const std::vector<Bytes>& ys,
                  std::size_t use, std::uint8_t at, std::size_t length) {
    std::vector<smk::shamir::Point> points;
    for (std::size_t i = 0; i < use; ++i) {
        points.push_back({xs[i], ys[i]});
    }
    Bytes out(length, 0xEE);
    smk::shamir::interpolate(points, at, out);
    return out;
}

void check_round_trips(smk::RandomSource& random) {
    constexpr std::array<std::size_t, 6> kLengths{1, 2, 16, 33, 64, 257};
    constexpr std::array<std::size_t, 11> kThresholds{1, 2, 3, 4, 5, 7, 8, 16, 17, 100, 255};
    for (const std::size_t t : kThresholds) {
        for (const std::size_t length : kLengths) {
            if (t > 17 && length > 33) {
                continue;  // large thresholds: short secrets keep the test fast
            }
            CAPTURE(t);
            CAPTURE(length);
            const Polynomial p = random_polynomial(random, t, length);
            // t points to recover with, plus up to two for checks (x in 1..255).
            const std::size_t extra = std::min<std::size_t>(2, 255 - t);
            const std::vector<std::uint8_t> xs = distinct_xs(random, t + extra);
            std::vector<Bytes> ys;
            for (const std::uint8_t x : xs) {
                ys.push_back(p.at(x));
            }
            // The secret is the constant term.
            CHECK(interpolate(xs, ys, t, 0, length) == p.coefficients[0]);
            if (extra > 0) {
                // Another point of the same polynomial, not among those used.
                CHECK(interpolate(xs, ys, t, xs[t], length) == ys[t]);
                // More points than needed define the same polynomial.
                CHECK(interpolate(xs, ys, t + extra, 0, length) == p.coefficients[0]);
            }
            // Asking for a point that is given returns it.
            CHECK(interpolate(xs, ys, t, xs[0], length) == ys[0]);
            if (t >= 2 && length >= 16) {
                // One point short: a different value (2^-128 chance of a false alarm).
                CHECK(interpolate(xs, ys, t - 1, 0, length) != p.coefficients[0]);
            }
        }
    }
}

}  // namespace

TEST_CASE("interpolate recovers random polynomials at 0 and elsewhere, on every path") {
    const PathGuard guard;
    std::string missing;
    for (const gf::Path p : gf::all_paths()) {
        if (!gf::path_available(p)) {
            missing += std::string(gf::path_name(p)) + " ";
        }
    }
    if (!missing.empty()) {
        MESSAGE("GF(256) paths not available on this CPU, not tested: " << missing);
    }
    std::uint8_t tag = 1;
    for (const gf::Path path : gf::available_paths()) {
        CAPTURE(gf::path_name(path));
        gf::force_path(path);
        auto random = seeded(tag++);
        check_round_trips(random);
    }
}

TEST_CASE("interpolate: a known 2-of-n line") {
    // f(x) = 0x42 + 0x07 x: f(1) = 0x45, f(2) = 0x42 ^ 0x0E = 0x4C.
    const std::array<std::uint8_t, 1> y1{0x45};
    const std::array<std::uint8_t, 1> y2{0x4C};
    const std::array<smk::shamir::Point, 2> points{{{1, y1}, {2, y2}}};
    std::array<std::uint8_t, 1> out{};
    smk::shamir::interpolate(points, 0, out);
    CHECK(out[0] == 0x42);
    smk::shamir::interpolate(points, 3, out);
    CHECK(out[0] == static_cast<std::uint8_t>(0x42 ^ gf::mul(0x07, 3)));
}

TEST_CASE("interpolate: an empty secret is fine") {
    const std::array<smk::shamir::Point, 2> points{{{1, {}}, {2, {}}}};
    std::span<std::uint8_t> out;
    CHECK_NOTHROW(smk::shamir::interpolate(points, 0, out));
}

TEST_CASE("interpolate rejects duplicate x, mismatched lengths and no points") {
    const std::array<std::uint8_t, 4> a{1, 2, 3, 4};
    const std::array<std::uint8_t, 4> b{5, 6, 7, 8};
    const std::array<std::uint8_t, 3> short_y{9, 9, 9};
    std::array<std::uint8_t, 4> out{};

    const auto category_of = [&](std::span<const smk::shamir::Point> points) {
        try {
            smk::shamir::interpolate(points, 0, out);
        } catch (const smk::Error& e) {
            return e.category();
        }
        FAIL("interpolate did not throw");
        return smk::ErrorCategory::internal;
    };

    const std::array<smk::shamir::Point, 3> duplicate{{{3, a}, {4, b}, {3, b}}};
    CHECK(category_of(duplicate) == smk::ErrorCategory::invalid_input);
    CHECK_THROWS_WITH_AS(smk::shamir::interpolate(duplicate, 0, out), doctest::Contains("3"),
                         smk::Error);

    const std::array<smk::shamir::Point, 2> mismatched{{{1, a}, {2, short_y}}};
    CHECK(category_of(mismatched) == smk::ErrorCategory::invalid_input);

    const std::array<smk::shamir::Point, 2> wrong_out{{{1, short_y}, {2, short_y}}};
    CHECK(category_of(wrong_out) == smk::ErrorCategory::invalid_input);

    CHECK(category_of({}) == smk::ErrorCategory::invalid_input);
}
