// Lagrange interpolation: the Lagrange weights depend only on the public x
// coordinates; the secret y values only meet them inside gf256::mul_add.

#include "smk/shamir.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "gf256.hpp"
#include "smk/error.hpp"

namespace smk::shamir {

void interpolate(std::span<const Point> points, std::uint8_t x, std::span<std::uint8_t> out) {
    if (points.empty()) {
        throw Error(ErrorCategory::invalid_input, "interpolation needs at least one share");
    }
    for (std::size_t i = 0; i < points.size(); ++i) {
        if (points[i].y.size() != out.size()) {
            throw Error(ErrorCategory::invalid_input,
                        "shares have different lengths; they cannot come from one split");
        }
        for (std::size_t j = i + 1; j < points.size(); ++j) {
            if (points[i].x == points[j].x) {
                throw Error(ErrorCategory::invalid_input,
                            "two shares have the same index " + std::to_string(points[i].x));
            }
        }
    }
    std::fill(out.begin(), out.end(), std::uint8_t{0});
    for (const Point& p : points) {
        if (p.x == x) {  // x is public: the value is given
            std::memcpy(out.data(), p.y.data(), out.size());
            return;
        }
    }
    for (std::size_t i = 0; i < points.size(); ++i) {
        // weight_i = prod_{j != i} (x - x_j) / (x_i - x_j); subtraction is XOR.
        std::uint8_t numerator = 1;
        std::uint8_t denominator = 1;
        for (std::size_t j = 0; j < points.size(); ++j) {
            if (j != i) {
                numerator = gf256::mul(numerator, static_cast<std::uint8_t>(x ^ points[j].x));
                denominator =
                    gf256::mul(denominator, static_cast<std::uint8_t>(points[i].x ^ points[j].x));
            }
        }
        const std::uint8_t weight = gf256::mul(numerator, gf256::inv(denominator));
        gf256::mul_add(out, points[i].y, weight);
    }
}

}  // namespace smk::shamir
