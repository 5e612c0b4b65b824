#pragma once
// Shamir's secret sharing over GF(2^8) (polynomial 0x11B), byte-wise over byte
// strings of any length. x coordinates are public; y values are secret.

#include <cstdint>
#include <span>

namespace smk::shamir {

struct Point {
    std::uint8_t x;
    std::span<const std::uint8_t> y;
};

// Evaluates at `x` the polynomial of lowest degree through `points` and writes
// it to `out`. Points must have distinct x and |y| == |out|; otherwise
// Error(invalid_input). Constant time in the y values. out may not alias any y.
void interpolate(std::span<const Point> points, std::uint8_t x, std::span<std::uint8_t> out);

}  // namespace smk::shamir
