// The text forms of a sealed share and a facility public key (docs/FORMAT.md
// section 10): a header line, then PGP words, 8 a line, the last 2 words a check
// (the first 2 bytes of SHA-256 of the bytes). Public values only.

#include <fmt/core.h>

#include <algorithm>
#include <functional>
#include <string>

#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/pgp_words.hpp"
#include "smk/sha256.hpp"
#include "smk/share_record.hpp"
#include "smk/transport.hpp"

namespace smk::transport {
namespace {

constexpr std::size_t kWordsPerLine = 8;

std::string text_of(std::string_view header, std::span<const std::uint8_t> bytes) {
    std::vector<std::uint8_t> all(bytes.begin(), bytes.end());
    const Sha256 check = sha256_bytes(bytes);
    all.insert(all.end(), check.begin(), check.begin() + kTextCheckBytes);
    std::string out(header);
    out.push_back('\n');
    for (std::size_t i = 0; i < all.size(); ++i) {
        out.append(pgp_word(all[i], i));
        out.push_back((i + 1) % kWordsPerLine == 0 || i + 1 == all.size() ? '\n' : ' ');
    }
    return out;
}

std::string_view trimmed(std::string_view line) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
        line.remove_suffix(1);
    }
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
        line.remove_prefix(1);
    }
    return line;
}

// The first non-blank line and what follows it.
std::pair<std::string_view, std::string_view> header_and_rest(std::string_view text) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t end = std::min(text.find('\n', pos), text.size());
        const std::string_view line = trimmed(text.substr(pos, end - pos));
        if (!line.empty()) {
            return {line, text.substr(std::min(end + 1, text.size()))};
        }
        pos = end + 1;
    }
    return {{}, {}};
}

// The bytes of the words after `header`, their check verified. `sizes` says what
// lengths (in words, check included) smk writes, for the message.
std::vector<std::uint8_t> bytes_of_text(std::string_view text, std::string_view header,
                                        std::string_view what, std::string_view source,
                                        const std::function<bool(std::size_t)>& size_ok,
                                        std::string_view sizes) {
    const auto [first, rest] = header_and_rest(text);
    if (first.empty()) {
        throw Error(ErrorCategory::invalid_input, fmt::format("{} is empty", source));
    }
    if (first != header) {
        const bool other = first == kSealedShareHeader || first == kFacilityKeyHeader;
        throw Error(
            ErrorCategory::invalid_input,
            other ? fmt::format("{} is a {}, not a {}", source,
                                first == kSealedShareHeader ? "sealed share" : "facility key", what)
                  : fmt::format("{} does not start with the line \"{}\": not a {}", source, header,
                                what));
    }
    const auto words = split_words(rest);
    std::vector<std::uint8_t> all;
    try {
        all = bytes_of_pgp_words(words);
    } catch (const Error& e) {
        throw Error(e.category(), fmt::format("{}: {}", source, e.what()));
    }
    if (!size_ok(words.size())) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("{} has {} words after its header; a {} has {}: words were left "
                                "out or added (truncated?)",
                                source, words.size(), what, sizes));
    }
    const std::span<const std::uint8_t> bytes(all.data(), all.size() - kTextCheckBytes);
    const Sha256 check = sha256_bytes(bytes);
    if (!std::equal(check.begin(), check.begin() + kTextCheckBytes, all.end() - kTextCheckBytes)) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("{}: the last {} words (the check) do not match the words "
                                "before them: a word was changed, or two swapped, when it was "
                                "copied",
                                source, kTextCheckBytes));
    }
    all.resize(bytes.size());
    return all;
}

}  // namespace

std::string sealed_share_text(std::span<const std::uint8_t> sealed) {
    return text_of(kSealedShareHeader, sealed);
}

std::string facility_key_text(const PublicKey& key) {
    return text_of(kFacilityKeyHeader, key);
}

std::vector<std::uint8_t> parse_sealed_share_text(std::string_view text, std::string_view source) {
    const auto size_ok = [](std::size_t words) {
        return words > kTextCheckBytes && is_sealed_size(words - kTextCheckBytes);
    };
    const std::string sizes =
        fmt::format("{} (a share of 33 words) or {} (20 words)", sealed_size(33) + kTextCheckBytes,
                    sealed_size(20) + kTextCheckBytes);
    return bytes_of_text(text, kSealedShareHeader, "sealed share", source, size_ok, sizes);
}

PublicKey parse_facility_key_text(std::string_view text, std::string_view source) {
    PublicKey key{};
    const auto [first, rest] = header_and_rest(text);
    if (!first.empty() && first != kFacilityKeyHeader && first != kSealedShareHeader &&
        split_words(text).size() == 1) {
        if (first.size() != 2 * kPublicKeyBytes || !decode_public_hex(first, key)) {
            throw Error(ErrorCategory::invalid_input,
                        fmt::format("{} is neither a facility key in words (a first line \"{}\") "
                                    "nor 64 hex digits",
                                    source, kFacilityKeyHeader));
        }
        return key;
    }
    const auto bytes = bytes_of_text(
        text, kFacilityKeyHeader, "facility key", source,
        [](std::size_t words) { return words == kPublicKeyBytes + kTextCheckBytes; },
        std::to_string(kPublicKeyBytes + kTextCheckBytes));
    std::copy(bytes.begin(), bytes.end(), key.begin());
    return key;
}

}  // namespace smk::transport
