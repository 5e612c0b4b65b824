#pragma once
// Internal: the private half of a FacilityKey, for open_sealed and for the tests
// that hand it to the docs' PyNaCl script (tests/transport). Not in include/smk/.

#include <cstdint>
#include <span>

#include "smk/transport.hpp"

namespace smk::transport {

struct FacilityKeyAccess final {
    // The 32-byte X25519 private key, in the key's guarded memory.
    [[nodiscard]] static std::span<const std::uint8_t> private_key(
        const FacilityKey& key) noexcept {
        return key.m_private.bytes();
    }
};

}  // namespace smk::transport
