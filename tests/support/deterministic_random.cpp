#include "support/deterministic_random.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstddef>

#include "smk/secret.hpp"

namespace smk_test {
namespace {

constexpr std::size_t kChachaBlock = 64;

}  // namespace

DeterministicRandom::DeterministicRandom(const std::array<std::uint8_t, 32>& seed) noexcept
    : m_seed(seed) {}

DeterministicRandom::~DeterministicRandom() {
    sodium_memzero(m_seed.data(), m_seed.size());
}

void DeterministicRandom::fill(std::span<std::uint8_t> out) {
    smk::crypto_init();
    // Keystream position m_offset: block counter m_offset/64, skip m_offset%64 bytes.
    static constexpr std::array<std::uint8_t, crypto_stream_chacha20_ietf_NONCEBYTES> kNonce{};
    std::size_t done = 0;
    while (done < out.size()) {
        std::array<std::uint8_t, kChachaBlock> block{};
        const auto counter = static_cast<std::uint32_t>(m_offset / kChachaBlock);
        const std::size_t skip = m_offset % kChachaBlock;
        crypto_stream_chacha20_ietf_xor_ic(block.data(), block.data(), block.size(), kNonce.data(),
                                           counter, m_seed.data());
        const std::size_t take = std::min(kChachaBlock - skip, out.size() - done);
        std::copy_n(block.begin() + static_cast<std::ptrdiff_t>(skip), take,
                    out.begin() + static_cast<std::ptrdiff_t>(done));
        sodium_memzero(block.data(), block.size());
        done += take;
        m_offset += take;
    }
}

}  // namespace smk_test
