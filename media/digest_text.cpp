// Reading back a digest that a person copied down (include/smk/digest.hpp): the
// inverse of digest_hex, digest_colon_hex and pgp_words. Public values only.

#include <fmt/core.h>

#include <cctype>
#include <string>
#include <vector>

#include "pgp_words.hpp"
#include "smk/digest.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/text_compare.hpp"

namespace smk {
namespace {

std::vector<std::string_view> words_of(std::string_view text) {
    std::vector<std::string_view> words;
    std::size_t pos = 0;
    while (pos < text.size()) {
        while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) {
            ++pos;
        }
        const std::size_t start = pos;
        while (pos < text.size() && !std::isspace(static_cast<unsigned char>(text[pos]))) {
            ++pos;
        }
        if (pos > start) {
            words.push_back(text.substr(start, pos - start));
        }
    }
    return words;
}

// The byte whose word at `position` is `word`, or -1; `other_half` tells whether
// it is a word of the other half of the list.
int byte_of_word(std::string_view word, std::size_t position, bool& other_half) {
    other_half = false;
    for (unsigned b = 0; b < 256; ++b) {
        if (equal_ignoring_case(word, media::pgp_word(static_cast<std::uint8_t>(b), position))) {
            return static_cast<int>(b);
        }
        if (equal_ignoring_case(word,
                                media::pgp_word(static_cast<std::uint8_t>(b), position + 1))) {
            other_half = true;
        }
    }
    return -1;
}

Sha256 from_words(const std::vector<std::string_view>& words) {
    if (words.size() != 32) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("a SHA-256 is 32 PGP words, this has {}: a word was left out "
                                "or added when it was copied",
                                words.size()));
    }
    Sha256 digest{};
    for (std::size_t i = 0; i < words.size(); ++i) {
        bool other_half = false;
        const int b = byte_of_word(words[i], i, other_half);
        if (b < 0) {
            throw Error(ErrorCategory::invalid_input,
                        other_half
                            ? fmt::format("word {} is an {} word where an {} word belongs: a word "
                                          "before it was left out or doubled",
                                          i + 1, i % 2 == 0 ? "odd-position" : "even-position",
                                          i % 2 == 0 ? "even-position" : "odd-position")
                            : fmt::format("word {} is not in the PGP word list", i + 1));
        }
        digest[i] = static_cast<std::uint8_t>(b);
    }
    return digest;
}

}  // namespace

Sha256 parse_digest_text(std::string_view text) {
    const auto words = words_of(text);
    if (words.empty()) {
        throw Error(ErrorCategory::invalid_input, "the SHA-256 is empty");
    }
    if (words.size() == 1) {
        std::string hex;
        for (const char c : words[0]) {
            if (c != ':') {
                hex += c;
            }
        }
        Sha256 digest{};
        if (hex.size() != 64 || !decode_public_hex(hex, digest)) {
            throw Error(ErrorCategory::invalid_input,
                        fmt::format("a SHA-256 is 64 hex digits (or openssl's colon form, or 32 "
                                    "PGP words); this is {} characters{}",
                                    hex.size(),
                                    hex.size() == 64 ? " with one that is not a hex digit" : ""));
        }
        return digest;
    }
    return from_words(words);
}

}  // namespace smk
