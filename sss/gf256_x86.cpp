// x86-64 fast paths of gf256::mul_add (dst ^= c * src, c public). Each function
// carries its own __attribute__((target)) so the file needs no special compile
// flags; gf256_dispatch.cpp calls a kernel only after CPUID says it may.
//
// Two techniques, both free of secret-indexed memory and secret branches:
//   * GF2P8MULB multiplies bytes in GF(2^8) modulo 0x11B, this very field, in one
//     instruction: dst ^= gf2p8mul(src, broadcast(c)).
//   * PSHUFB nibble tables: c*x = c*(x & 0x0F) ^ c*(x & 0xF0). Two 16-byte tables
//     lo[i] = c*i and hi[i] = c*(i << 4) are built from the PUBLIC c and held in
//     registers; the secret nibbles are only ever shuffle indices, which select
//     lanes inside a register in constant time, never a memory address.
// Tails shorter than a vector go to the portable kernel (branch-free on data),
// except on AVX-512 where masked loads and stores cover them.

#include "gf256_kernels.hpp"

#if defined(SMK_GF256_X86)

#include <immintrin.h>

#include <array>

#include "gf256.hpp"

namespace smk::gf256::kernels {
namespace {

// The two nibble tables of a public scalar c. Public data: derived from c only.
struct NibbleTables {
    alignas(16) std::array<std::uint8_t, 16> lo{};
    alignas(16) std::array<std::uint8_t, 16> hi{};
};

// Built from c*2^k by XOR (a public, table-free computation, cheap enough to run
// on every call).
NibbleTables nibble_tables(std::uint8_t c) noexcept {
    std::array<std::uint8_t, 8> times_two_to{};  // c * 2^k
    times_two_to[0] = c;
    for (unsigned k = 1; k < 8; ++k) {
        times_two_to[k] = mul(times_two_to[k - 1], 2);
    }
    NibbleTables t;
    for (unsigned i = 0; i < 16; ++i) {
        std::uint8_t lo = 0;
        std::uint8_t hi = 0;
        for (unsigned k = 0; k < 4; ++k) {
            const auto bit = static_cast<std::uint8_t>(0u - ((i >> k) & 1u));
            lo = static_cast<std::uint8_t>(lo ^ (bit & times_two_to[k]));
            hi = static_cast<std::uint8_t>(hi ^ (bit & times_two_to[k + 4]));
        }
        t.lo[i] = lo;
        t.hi[i] = hi;
    }
    return t;
}

char as_char(std::uint8_t v) noexcept {
    return static_cast<char>(v);
}

}  // namespace

// SSSE3: secret src/dst bytes; public c (tables), n. dst may equal src.
__attribute__((target("ssse3"))) void mul_add_ssse3(std::uint8_t* dst, const std::uint8_t* src,
                                                    std::size_t n, std::uint8_t c) noexcept {
    const NibbleTables t = nibble_tables(c);
    const __m128i tlo = _mm_load_si128(reinterpret_cast<const __m128i*>(t.lo.data()));
    const __m128i thi = _mm_load_si128(reinterpret_cast<const __m128i*>(t.hi.data()));
    const __m128i low4 = _mm_set1_epi8(0x0F);
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
        const __m128i lo = _mm_shuffle_epi8(tlo, _mm_and_si128(x, low4));
        const __m128i hi = _mm_shuffle_epi8(thi, _mm_and_si128(_mm_srli_epi64(x, 4), low4));
        __m128i* const d = reinterpret_cast<__m128i*>(dst + i);
        _mm_storeu_si128(d, _mm_xor_si128(_mm_loadu_si128(d), _mm_xor_si128(lo, hi)));
    }
    mul_add_portable(dst + i, src + i, n - i, c);
}

// AVX2: as SSSE3 with both tables broadcast to 256 bits (VPSHUFB shuffles within
// each 128-bit lane). Secret src/dst; public c, n. dst may equal src.
__attribute__((target("avx2"))) void mul_add_avx2(std::uint8_t* dst, const std::uint8_t* src,
                                                  std::size_t n, std::uint8_t c) noexcept {
    const NibbleTables t = nibble_tables(c);
    const __m256i tlo =
        _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(t.lo.data())));
    const __m256i thi =
        _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(t.hi.data())));
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    std::size_t i = 0;
    for (; i + 64 <= n; i += 64) {  // two vectors a step: the shuffles pipeline
        const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
        const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i + 32));
        const __m256i p0 = _mm256_xor_si256(
            _mm256_shuffle_epi8(tlo, _mm256_and_si256(x0, low4)),
            _mm256_shuffle_epi8(thi, _mm256_and_si256(_mm256_srli_epi64(x0, 4), low4)));
        const __m256i p1 = _mm256_xor_si256(
            _mm256_shuffle_epi8(tlo, _mm256_and_si256(x1, low4)),
            _mm256_shuffle_epi8(thi, _mm256_and_si256(_mm256_srli_epi64(x1, 4), low4)));
        __m256i* const d0 = reinterpret_cast<__m256i*>(dst + i);
        __m256i* const d1 = reinterpret_cast<__m256i*>(dst + i + 32);
        _mm256_storeu_si256(d0, _mm256_xor_si256(_mm256_loadu_si256(d0), p0));
        _mm256_storeu_si256(d1, _mm256_xor_si256(_mm256_loadu_si256(d1), p1));
    }
    for (; i + 32 <= n; i += 32) {
        const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
        const __m256i p = _mm256_xor_si256(
            _mm256_shuffle_epi8(tlo, _mm256_and_si256(x, low4)),
            _mm256_shuffle_epi8(thi, _mm256_and_si256(_mm256_srli_epi64(x, 4), low4)));
        __m256i* const d = reinterpret_cast<__m256i*>(dst + i);
        _mm256_storeu_si256(d, _mm256_xor_si256(_mm256_loadu_si256(d), p));
    }
    mul_add_portable(dst + i, src + i, n - i, c);
}

// GFNI, 128-bit (legacy SSE encoding). Secret src/dst; public c, n. dst may equal src.
__attribute__((target("gfni,sse2"))) void mul_add_gfni_sse(std::uint8_t* dst,
                                                           const std::uint8_t* src, std::size_t n,
                                                           std::uint8_t c) noexcept {
    const __m128i cc = _mm_set1_epi8(as_char(c));
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
        __m128i* const d = reinterpret_cast<__m128i*>(dst + i);
        _mm_storeu_si128(d, _mm_xor_si128(_mm_loadu_si128(d), _mm_gf2p8mul_epi8(x, cc)));
    }
    mul_add_portable(dst + i, src + i, n - i, c);
}

namespace {

// 256-bit XOR with AVX alone (VXORPS): VPXOR on ymm registers needs AVX2, and a
// CPU may have GFNI and AVX without AVX2.
__attribute__((target("avx"))) __m256i xor256(__m256i a, __m256i b) noexcept {
    return _mm256_castps_si256(_mm256_xor_ps(_mm256_castsi256_ps(a), _mm256_castsi256_ps(b)));
}

}  // namespace

// GFNI, 256-bit (VEX encoding, needs AVX). Secret src/dst; public c, n. dst may equal src.
__attribute__((target("gfni,avx"))) void mul_add_gfni_avx(std::uint8_t* dst,
                                                          const std::uint8_t* src, std::size_t n,
                                                          std::uint8_t c) noexcept {
    const __m256i cc = _mm256_set1_epi8(as_char(c));
    std::size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
        const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i + 32));
        __m256i* const d0 = reinterpret_cast<__m256i*>(dst + i);
        __m256i* const d1 = reinterpret_cast<__m256i*>(dst + i + 32);
        _mm256_storeu_si256(d0, xor256(_mm256_loadu_si256(d0), _mm256_gf2p8mul_epi8(x0, cc)));
        _mm256_storeu_si256(d1, xor256(_mm256_loadu_si256(d1), _mm256_gf2p8mul_epi8(x1, cc)));
    }
    for (; i + 32 <= n; i += 32) {
        const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
        __m256i* const d = reinterpret_cast<__m256i*>(dst + i);
        _mm256_storeu_si256(d, xor256(_mm256_loadu_si256(d), _mm256_gf2p8mul_epi8(x, cc)));
    }
    mul_add_portable(dst + i, src + i, n - i, c);
}

// GFNI, 512-bit (EVEX, needs AVX-512F/BW). Secret src/dst; public c, n. dst may
// equal src. The tail uses byte-masked loads and stores: masked-out bytes are
// neither read (no fault past the end of a guarded buffer) nor written.
__attribute__((target("gfni,avx512f,avx512bw"))) void mul_add_gfni_avx512(std::uint8_t* dst,
                                                                          const std::uint8_t* src,
                                                                          std::size_t n,
                                                                          std::uint8_t c) noexcept {
    const __m512i cc = _mm512_set1_epi8(as_char(c));
    std::size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        const __m512i x0 = _mm512_loadu_si512(src + i);
        const __m512i x1 = _mm512_loadu_si512(src + i + 64);
        const __m512i d0 = _mm512_loadu_si512(dst + i);
        const __m512i d1 = _mm512_loadu_si512(dst + i + 64);
        _mm512_storeu_si512(dst + i, _mm512_xor_si512(d0, _mm512_gf2p8mul_epi8(x0, cc)));
        _mm512_storeu_si512(dst + i + 64, _mm512_xor_si512(d1, _mm512_gf2p8mul_epi8(x1, cc)));
    }
    while (i < n) {  // at most two masked steps; n - i is public
        const std::size_t left = n - i;
        const __mmask64 mask = left >= 64 ? ~__mmask64{0} : ((__mmask64{1} << left) - 1);
        const __m512i x = _mm512_maskz_loadu_epi8(mask, src + i);
        const __m512i d = _mm512_maskz_loadu_epi8(mask, dst + i);
        _mm512_mask_storeu_epi8(dst + i, mask, _mm512_xor_si512(d, _mm512_gf2p8mul_epi8(x, cc)));
        i += left >= 64 ? 64 : left;
    }
}

}  // namespace smk::gf256::kernels

#endif  // SMK_GF256_X86
