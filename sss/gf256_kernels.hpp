#pragma once
// The bulk kernels behind gf256::mul_add, one per instruction set. Internal.

#include <cstddef>
#include <cstdint>

namespace smk::gf256::kernels {

void mul_add_portable(std::uint8_t* dst, const std::uint8_t* src, std::size_t n,
                      std::uint8_t c) noexcept;

}  // namespace smk::gf256::kernels
