#pragma once
// GF(2^8) with the AES/Rijndael polynomial x^8 + x^4 + x^3 + x + 1 (0x11B), the
// field SLIP-0039 uses. Internal to sss/.
//
// Constant time: no table is indexed by a secret and no branch depends on one.
// In every function below, the byte vectors (src, dst) and the operands of mul()
// may be secret; the scalar `c` of the bulk kernels is public (a Lagrange weight
// or a power of a public x), so kernels may branch on it or build shuffle tables
// from it. Tables built from `c` are only ever read through register shuffles
// (PSHUFB) or GF2P8MULB, never by a memory load indexed by a secret byte.
// Lengths are public.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace smk::gf256 {

// a * b. Both may be secret. Portable, branch-free.
[[nodiscard]] std::uint8_t mul(std::uint8_t a, std::uint8_t b) noexcept;
// a^254 = a^-1 for a != 0; inv(0) = 0. a may be secret.
[[nodiscard]] std::uint8_t inv(std::uint8_t a) noexcept;

// The implementations of the bulk kernel, chosen once at run time (CPUID), in
// order of preference (slowest first):
//   portable     64-bit SWAR shifts and masks, any CPU
//   ssse3        PSHUFB nibble tables, 16 bytes a step
//   gfni_sse     GF2P8MULB on 128-bit vectors
//   avx2         VPSHUFB nibble tables, 32 bytes a step
//   gfni_avx     VGF2P8MULB on 256-bit vectors
//   gfni         VGF2P8MULB on 512-bit vectors (AVX-512BW), masked tails
// GF2P8MULB reduces modulo 0x11B, exactly this field.
enum class Path { portable, ssse3, gfni_sse, avx2, gfni_avx, gfni };

// "portable", "ssse3", "gfni-sse", "avx2", "gfni-avx", "gfni-avx512".
[[nodiscard]] std::string_view path_name(Path path) noexcept;
// Every path, available here or not, in order of preference (for tests that
// must report what they could not run).
[[nodiscard]] std::vector<Path> all_paths();
// The paths this CPU (and OS) can run, portable first, fastest last.
[[nodiscard]] std::vector<Path> available_paths();
[[nodiscard]] bool path_available(Path path) noexcept;
// The path mul_add() uses now (the fastest available unless forced).
[[nodiscard]] Path active_path() noexcept;
// For tests and benchmarks: make mul_add() use `path`. Throws Error(usage) if
// this CPU cannot run it.
void force_path(Path path);
// Undo force_path(): back to the fastest available path.
void reset_path() noexcept;

// dst[i] ^= c * src[i] for all i. dst and src have the same size; they must be
// the same span or not overlap. c is public; dst and src may be secret.
void mul_add(std::span<std::uint8_t> dst, std::span<const std::uint8_t> src,
             std::uint8_t c) noexcept;
// The same with an explicit path (tests compare paths). A path this CPU cannot
// run falls back to portable rather than fault.
void mul_add_on(Path path, std::span<std::uint8_t> dst, std::span<const std::uint8_t> src,
                std::uint8_t c) noexcept;

}  // namespace smk::gf256
