#pragma once
// The bulk kernels behind gf256::mul_add, one per instruction set. Internal to
// gf256_*.cpp. Every kernel computes dst[i] ^= c * src[i] for i < n:
//   secret: the bytes of dst and src (shares, coefficients, file contents);
//   public: c, n and the addresses;
//   aliasing: dst == src is allowed (each block is loaded before it is stored);
//             partial overlap is not.
// The x86 kernels exist only on x86-64 builds and must only be called after the
// dispatcher has checked the CPU features they name.

#include <cstddef>
#include <cstdint>

namespace smk::gf256::kernels {

void mul_add_portable(std::uint8_t* dst, const std::uint8_t* src, std::size_t n,
                      std::uint8_t c) noexcept;

#if defined(__x86_64__)
#define SMK_GF256_X86 1
void mul_add_ssse3(std::uint8_t* dst, const std::uint8_t* src, std::size_t n,
                   std::uint8_t c) noexcept;
void mul_add_avx2(std::uint8_t* dst, const std::uint8_t* src, std::size_t n,
                  std::uint8_t c) noexcept;
void mul_add_gfni_sse(std::uint8_t* dst, const std::uint8_t* src, std::size_t n,
                      std::uint8_t c) noexcept;
void mul_add_gfni_avx(std::uint8_t* dst, const std::uint8_t* src, std::size_t n,
                      std::uint8_t c) noexcept;
void mul_add_gfni_avx512(std::uint8_t* dst, const std::uint8_t* src, std::size_t n,
                         std::uint8_t c) noexcept;
#endif

}  // namespace smk::gf256::kernels
