#include "raw_format.hpp"

#include <algorithm>
#include <cstring>

#include "raw_crypto.hpp"
#include "smk/error.hpp"

namespace smk::raw::format {
namespace {

constexpr std::size_t kCheckedBytes = kHeaderBytes - kHeaderCheckBytes;  // bytes 0..31
constexpr std::size_t kMagicPrefix = 6;                                  // "SMKRAW"

void put_u64(std::uint8_t* out, std::uint64_t v) noexcept {
    for (std::size_t i = 0; i < 8; ++i) {
        out[i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
    }
}

std::uint64_t get_u64(const std::uint8_t* in) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        v = (v << 8) | in[i];
    }
    return v;
}

[[noreturn]] void bad(const std::string& source, const std::string& what) {
    throw Error(ErrorCategory::invalid_input, source + " " + what);
}

}  // namespace

HeaderBytes encode_header(const Header& header) {
    HeaderBytes out{};
    std::copy(kMagic.begin(), kMagic.end(), out.begin());
    out[8] = kVersion;
    out[9] = static_cast<std::uint8_t>(header.threshold);
    out[10] = static_cast<std::uint8_t>(header.count);
    out[11] = static_cast<std::uint8_t>(header.x);
    std::copy(header.identifier.begin(), header.identifier.end(), out.begin() + 16);
    put_u64(out.data() + 24, header.secret_bytes);
    const Digest check = sha256_bytes(std::span(out).first(kCheckedBytes));
    std::copy_n(check.begin(), kHeaderCheckBytes, out.begin() + kCheckedBytes);
    return out;
}

Header decode_header(std::span<const std::uint8_t, kHeaderBytes> bytes, const std::string& source) {
    if (!std::equal(kMagic.begin(), kMagic.begin() + kMagicPrefix, bytes.begin())) {
        bad(source, "is not an smk raw share file (it does not start with SMKRAW01)");
    }
    const auto digit = [](std::uint8_t b) { return b >= '0' && b <= '9'; };
    if (!std::equal(kMagic.begin(), kMagic.end(), bytes.begin()) && digit(bytes[6]) &&
        digit(bytes[7])) {
        // A later format generation: its layout may differ, so do not judge its checksum.
        bad(source, "uses raw share format SMKRAW" + std::string(1, static_cast<char>(bytes[6])) +
                        std::string(1, static_cast<char>(bytes[7])) +
                        ", which this smk does not read; use a newer smk");
    }
    const Digest check = sha256_bytes(bytes.first(kCheckedBytes));
    if (!std::equal(kMagic.begin(), kMagic.end(), bytes.begin()) ||
        !std::equal(check.begin(), check.begin() + kHeaderCheckBytes,
                    bytes.begin() + kCheckedBytes)) {
        bad(source, "is corrupted (header checksum mismatch); use another share");
    }
    if (bytes[8] != kVersion) {
        bad(source, "uses raw share format version " + std::to_string(bytes[8]) +
                        ", which this smk does not read; use a newer smk");
    }
    Header h;
    h.threshold = bytes[9];
    h.count = bytes[10];
    h.x = bytes[11];
    std::copy_n(bytes.begin() + 16, kIdentifierBytes, h.identifier.begin());
    h.secret_bytes = get_u64(bytes.data() + 24);
    const bool reserved_zero =
        std::all_of(bytes.begin() + 12, bytes.begin() + 16, [](std::uint8_t b) { return b == 0; });
    if (h.threshold < 2 || h.count < h.threshold || h.x < 1 || h.x > h.count || !reserved_zero ||
        h.secret_bytes > kMaxSecretBytes) {
        bad(source, "has an impossible header (threshold " + std::to_string(h.threshold) +
                        ", count " + std::to_string(h.count) + ", x " + std::to_string(h.x) +
                        "); it was not written by smk. Use another share");
    }
    return h;
}

std::array<std::uint8_t, kTagLabel.size() + kIdentifierBytes + 8> tag_prefix(
    const std::array<std::uint8_t, kIdentifierBytes>& identifier, std::uint64_t secret_bytes) {
    std::array<std::uint8_t, kTagLabel.size() + kIdentifierBytes + 8> out{};
    std::memcpy(out.data(), kTagLabel.data(), kTagLabel.size());
    std::copy(identifier.begin(), identifier.end(), out.begin() + kTagLabel.size());
    put_u64(out.data() + kTagLabel.size() + kIdentifierBytes, secret_bytes);
    return out;
}

std::size_t chunk_bytes(std::size_t buffers) noexcept {
    constexpr std::size_t kBudget = std::size_t{4} << 20;
    constexpr std::size_t kMax = std::size_t{256} << 10;
    constexpr std::size_t kPage = 4096;
    const std::size_t share = kBudget / std::max<std::size_t>(buffers, 1) / kPage * kPage;
    return std::clamp(share, kPage, kMax);
}

std::string share_file_name(const std::string& secret_name, unsigned x, unsigned count) {
    return secret_name + "." + std::to_string(x) + "-of-" + std::to_string(count) + ".smkraw";
}

}  // namespace smk::raw::format
