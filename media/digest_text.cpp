// Reading back a digest that a person copied down (include/smk/digest.hpp): the
// inverse of digest_hex, digest_colon_hex and pgp_words. Public values only.

#include <fmt/core.h>

#include <algorithm>
#include <string>
#include <vector>

#include "smk/digest.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/pgp_words.hpp"
#include "smk/text_compare.hpp"

namespace smk {
namespace {

Sha256 from_words(const std::vector<std::string_view>& words) {
    if (words.size() != 32) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("a SHA-256 is 32 PGP words, this has {}: a word was left out "
                                "or added when it was copied",
                                words.size()));
    }
    const auto bytes = bytes_of_pgp_words(words);
    Sha256 digest{};
    std::copy(bytes.begin(), bytes.end(), digest.begin());
    return digest;
}

}  // namespace

Sha256 parse_digest_text(std::string_view text) {
    const auto words = split_words(text);
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
