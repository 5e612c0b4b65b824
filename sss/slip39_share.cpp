// SLIP-0039 "Format of the share mnemonic": text <-> word indices <-> Share,
// and the public decode()/encode().
//
// Secret data: every word index and the share value. Header fields (identifier,
// exponent, group and member numbers) are public by design (ShareInfo), so code
// may branch on them. Value bits are moved with loops whose bounds depend only
// on the public length. Validity checks on secret data (checksum, padding)
// accumulate a flag and branch once, at the end, to throw.

#include "slip39_share.hpp"

#include <cstring>
#include <string>
#include <vector>

#include "smk/error.hpp"

namespace smk::slip39 {
namespace {

[[nodiscard]] bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

[[noreturn]] void fail(std::string_view source, const std::string& what) {
    throw Error(ErrorCategory::invalid_input, share_label(source) + ": " + what);
}

// Error path only (timing no longer matters once the checksum failed): which
// single positions could be replaced by some word to make the checksum hold.
[[nodiscard]] std::vector<std::size_t> positions_that_fix(const WordIndices& words) {
    const std::size_t n = words.size();
    WordIndices trial(n);
    for (std::size_t i = 0; i < n; ++i) {
        trial.set(i, words.get(i));
    }
    std::vector<std::size_t> fixes;
    for (std::size_t pos = 0; pos < n; ++pos) {
        const std::uint16_t original = trial.get(pos);
        for (std::uint16_t candidate = 0; candidate < kWordCount; ++candidate) {
            if (candidate == original) {
                continue;
            }
            trial.set(pos, candidate);
            // The extendable flag (bit 4 of word 1) picks the customization string.
            const bool extendable = ((trial.get(1) >> 4) & 1u) != 0;
            if (rs1024::verify(trial, extendable)) {
                fixes.push_back(pos);
                break;
            }
        }
        trial.set(pos, original);
    }
    return fixes;
}

}  // namespace

std::string share_label(std::string_view source) {
    return "share \"" + std::string(source) + "\"";
}

WordIndices parse_words(std::string_view mnemonic, std::string_view source) {
    // Tokenizing branches on where the spaces are, so word lengths are visible to
    // a timing observer; what the words are is not (lookup_word scans all 1024).
    std::size_t count = 0;
    for (std::size_t i = 0; i < mnemonic.size(); ++i) {
        if (!is_space(mnemonic[i]) && (i == 0 || is_space(mnemonic[i - 1]))) {
            ++count;
        }
    }
    if (count == 0) {
        fail(source, "no words; enter the share's words separated by spaces");
    }
    WordIndices words(count);
    std::size_t position = 0;
    std::size_t i = 0;
    while (i < mnemonic.size()) {
        if (is_space(mnemonic[i])) {
            ++i;
            continue;
        }
        std::size_t end = i;
        while (end < mnemonic.size() && !is_space(mnemonic[end])) {
            ++end;
        }
        const WordLookup found = lookup_word(mnemonic.substr(i, end - i));
        if (!found.found) {
            fail(source, "word " + std::to_string(position + 1) +
                             " is not in the SLIP-39 word list; check its spelling");
        }
        words.set(position, found.index);
        ++position;
        i = end;
    }
    return words;
}

Share share_from_words(const WordIndices& words, std::string_view source) {
    const std::size_t n = words.size();
    if (n < kMinMnemonicWords) {
        fail(source, std::to_string(n) + " words, but a SLIP-39 share has at least " +
                         std::to_string(kMinMnemonicWords) + "; check for missing words");
    }
    const std::size_t value_words = n - kMetadataWords;
    const std::size_t padding = (kRadixBits * value_words) % 16;
    if (padding > 8) {
        fail(source, std::to_string(n) +
                         " words is not a valid SLIP-39 share length; check for a missing or "
                         "extra word");
    }
    const std::uint32_t id_exp = (std::uint32_t{words.get(0)} << 10) | words.get(1);
    ShareInfo info;
    info.identifier = static_cast<std::uint16_t>(id_exp >> 5);
    info.extendable = ((id_exp >> 4) & 1u) != 0;
    info.iteration_exponent = id_exp & 0xFu;
    if (!rs1024::verify(words, info.extendable)) {
        const std::vector<std::size_t> fixes = positions_that_fix(words);
        if (fixes.size() == 1) {
            fail(source, "checksum failed; word " + std::to_string(fixes.front() + 1) +
                             " looks wrong; check it");
        }
        fail(source, "checksum failed; re-enter the share");
    }
    const std::uint32_t params = (std::uint32_t{words.get(2)} << 10) | words.get(3);
    info.group_index = (params >> 16) & 0xFu;
    info.group_threshold = ((params >> 12) & 0xFu) + 1;
    info.group_count = ((params >> 8) & 0xFu) + 1;
    info.member_index = (params >> 4) & 0xFu;
    info.member_threshold = (params & 0xFu) + 1;
    if (info.group_threshold > info.group_count) {
        fail(source, "group threshold " + std::to_string(info.group_threshold) +
                         " is more than the group count " + std::to_string(info.group_count) +
                         "; the share is damaged or not a SLIP-39 share");
    }
    if (info.group_index >= info.group_count) {
        fail(source, group_name(info.group_index) + " does not exist in a split into " +
                         std::to_string(info.group_count) +
                         (info.group_count == 1 ? " set" : " sets") +
                         "; the share is damaged or not a SLIP-39 share");
    }
    info.value_bytes = (kRadixBits * value_words - padding) / 8;

    // Bit p (0 = most significant) of the value words; the first `padding` bits
    // must be zero, the rest are the value, most significant bit first.
    Secret value(info.value_bytes);
    unsigned padding_bits = 0;
    for (std::size_t p = 0; p < kRadixBits * value_words; ++p) {
        const std::uint16_t word = words.get(kIdExpWords + kShareParamWords + p / kRadixBits);
        const auto bit = static_cast<unsigned>((word >> (kRadixBits - 1 - p % kRadixBits)) & 1u);
        if (p < padding) {
            padding_bits |= bit;
        } else {
            const std::size_t q = p - padding;
            value.data()[q / 8] =
                static_cast<std::uint8_t>(value.data()[q / 8] | (bit << (7 - q % 8)));
        }
    }
    if (padding_bits != 0) {
        fail(source,
             "the padding bits of the share value are not zero; the share is damaged "
             "or not a SLIP-39 share");
    }
    return Share{info, std::move(value)};
}

WordIndices share_to_words(const Share& share) {
    const ShareInfo& info = share.info;
    const auto bad = [](const std::string& what) {
        throw Error(ErrorCategory::invalid_input, "cannot encode the share: " + what);
    };
    if (info.identifier > 0x7FFF || info.iteration_exponent > kMaxIterationExponent) {
        bad("identifier or iteration exponent out of range");
    }
    if (info.group_count < 1 || info.group_count > kMaxShareCount || info.group_threshold < 1 ||
        info.group_threshold > info.group_count || info.group_index >= info.group_count) {
        bad("group index, threshold or count out of range");
    }
    if (info.member_index >= kMaxShareCount || info.member_threshold < 1 ||
        info.member_threshold > kMaxShareCount) {
        bad("member index or threshold out of range");
    }
    const std::size_t bytes = share.value.size();
    if (bytes < kMinSecretBytes || bytes % 2 != 0 || bytes != info.value_bytes) {
        bad("the value must be at least 16 bytes, even, and value_bytes long");
    }
    const std::size_t value_words = (8 * bytes + kRadixBits - 1) / kRadixBits;
    const std::size_t padding = kRadixBits * value_words - 8 * bytes;
    WordIndices words(kMetadataWords + value_words);

    const std::uint32_t id_exp = (std::uint32_t{info.identifier} << 5) |
                                 (info.extendable ? 1u << 4 : 0u) | info.iteration_exponent;
    words.set(0, static_cast<std::uint16_t>(id_exp >> 10));
    words.set(1, static_cast<std::uint16_t>(id_exp & 1023u));
    const std::uint32_t params = (info.group_index << 16) | ((info.group_threshold - 1) << 12) |
                                 ((info.group_count - 1) << 8) | (info.member_index << 4) |
                                 (info.member_threshold - 1);
    words.set(2, static_cast<std::uint16_t>(params >> 10));
    words.set(3, static_cast<std::uint16_t>(params & 1023u));

    for (std::size_t q = 0; q < 8 * bytes; ++q) {
        const unsigned byte = share.value.data()[q / 8];
        const unsigned bit = (byte >> (7u - static_cast<unsigned>(q % 8))) & 1u;
        const std::size_t p = q + padding;
        const std::size_t w = kIdExpWords + kShareParamWords + p / kRadixBits;
        words.set(w, static_cast<std::uint16_t>(words.get(w) |
                                                (bit << (kRadixBits - 1 - p % kRadixBits))));
    }
    rs1024::append_checksum(words, info.extendable);
    return words;
}

Secret words_to_text(const WordIndices& words) {
    // Indexing the word list by a secret index is unavoidable to produce text: it
    // is output formatting, and the text it produces is then just as secret.
    const std::span<const std::string_view> list = wordlist();
    std::size_t length = words.size() == 0 ? 0 : words.size() - 1;
    for (std::size_t i = 0; i < words.size(); ++i) {
        length += list[words.get(i)].size();
    }
    Secret text(length);
    std::size_t at = 0;
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (i > 0) {
            text.data()[at++] = ' ';
        }
        const std::string_view word = list[words.get(i)];
        std::memcpy(text.data() + at, word.data(), word.size());
        at += word.size();
    }
    return text;
}

Share decode(std::string_view mnemonic, std::string_view source) {
    const WordIndices words = parse_words(mnemonic, source);
    return share_from_words(words, source);
}

Secret encode(const Share& share) {
    return words_to_text(share_to_words(share));
}

}  // namespace smk::slip39
