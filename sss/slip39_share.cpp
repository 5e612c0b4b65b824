// SLIP-0039 "Format of the share mnemonic": text <-> word indices <-> Share,
// and the public decode()/encode().
//
// Secret data: every word index and the share value. Header fields (identifier,
// exponent, group and member numbers) are public by design (ShareInfo), so code
// may branch on them. Value bits are moved with loops whose bounds depend only
// on the public length. Validity checks on secret data (checksum, padding)
// accumulate a flag and branch once, at the end, to throw; each such verdict, and
// every other value that is public by design, passes through ct::declassify()
// where it becomes public, so tests/ct checks everything else.

#include "slip39_share.hpp"

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "ct_declassify.hpp"
#include "ct_mask.hpp"
#include "smk/error.hpp"

namespace smk::slip39 {
namespace {

// All ones iff c is white space (space, \t \n \v \f \r), without a branch.
[[nodiscard]] constexpr std::uint32_t space_mask(std::uint32_t c) noexcept {
    return ct::mask_equal(c, ' ') | ct::mask_in_range(c, '\t', '\r');
}

// What the tokenizer's single pass records of each character (all secret), kept
// in a Secret as 5 bytes per character: Secret's memory has no alignment for
// anything wider than a byte.
struct CharClass {
    std::uint32_t letter;    // lower-cased character; 0 for white space
    std::uint32_t in_word;   // 1 if the character belongs to a word
    std::uint32_t position;  // its place in its word, 8 for the 9th letter and later
    std::uint32_t word;      // which word it belongs to (meaningless for white space)
};
constexpr std::size_t kCharClassBytes = 5;
// Letters a word can have, as the masks' type.
constexpr std::uint32_t kLetterSlots = kMaxWordLength;

void store_class(std::uint8_t* at, const CharClass& c) noexcept {
    at[0] = static_cast<std::uint8_t>(c.letter);
    at[1] = static_cast<std::uint8_t>(c.in_word);
    at[2] = static_cast<std::uint8_t>(c.position);
    at[3] = static_cast<std::uint8_t>(c.word & 0xFFu);
    at[4] = static_cast<std::uint8_t>(c.word >> 8);
}

[[nodiscard]] CharClass load_class(const std::uint8_t* at) noexcept {
    return {at[0], at[1], at[2], std::uint32_t{at[3]} | (std::uint32_t{at[4]} << 8)};
}

void store_u64(std::uint8_t* at, std::uint64_t value) noexcept {
    std::memcpy(at, &value, sizeof value);
}

[[nodiscard]] std::uint64_t load_u64(const std::uint8_t* at) noexcept {
    std::uint64_t value = 0;
    std::memcpy(&value, at, sizeof value);
    return value;
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
    // The letters are secret, and so is where the spaces fall (the length of each
    // word tells something of the word), so no branch or index depends on either.
    // One pass classifies every character; then, for each word, a pass over the
    // whole text gathers that word's letters with masks and one constant-time
    // look-up finds it. Work grows as words x characters, both public; the text is
    // capped so hostile input stays cheap.
    const std::size_t n = mnemonic.size();
    if (n > kMaxMnemonicChars) {
        fail(source, "the text is " + std::to_string(n) + " characters, more than any share (" +
                         std::to_string(kMaxMnemonicChars) + "); give one share's words");
    }
    Secret classes(n * kCharClassBytes);
    std::uint32_t words_so_far = 0;
    std::uint32_t previous_space = ~0u;
    std::uint32_t position = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t c = static_cast<unsigned char>(mnemonic[i]);
        const std::uint32_t space = space_mask(c);
        const std::uint32_t starts = ~space & previous_space;
        words_so_far += starts & 1u;
        position = (position + 1u) & ~starts;
        const std::uint32_t long_word = ~ct::mask_less(position, kLetterSlots);
        store_class(
            classes.data() + kCharClassBytes * i,
            {ct::lower_ascii(c) & ~space & 0xFFu, ~space & 1u,
             (position & ~long_word) | (kLetterSlots & long_word), (words_so_far - 1u) & 0xFFFFu});
        previous_space = space;
    }
    // The number of words is public: it is the share's length, which the header
    // states and every holder's paper shows.
    const std::size_t count = ct::declassify(words_so_far);
    if (count == 0) {
        fail(source, "no words; enter the share's words separated by spaces");
    }
    WordIndices words(count);
    Secret found_bytes(count);
    std::uint32_t all_found = 1;
    for (std::size_t w = 0; w < count; ++w) {
        std::uint64_t packed = 0;
        std::uint32_t too_long = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const CharClass cc = load_class(classes.data() + kCharClassBytes * i);
            const std::uint32_t mine =
                ct::mask_equal(cc.word, static_cast<std::uint32_t>(w)) & (0u - cc.in_word);
            for (std::uint32_t k = 0; k < kLetterSlots; ++k) {
                const std::uint32_t byte = cc.letter & mine & ct::mask_equal(cc.position, k);
                packed |= std::uint64_t{byte} << (8 * k);
            }
            too_long |= mine & ct::mask_equal(cc.position, kLetterSlots);
        }
        const WordLookup found = lookup_packed(packed);
        const std::uint32_t ok = static_cast<std::uint32_t>(found.found) & ~too_long & 1u;
        words.set(w, found.index);
        found_bytes.data()[w] = static_cast<std::uint8_t>(ok);
        all_found &= ok;
        secure_zero(std::span(reinterpret_cast<std::uint8_t*>(&packed), sizeof packed));
    }
    // Whether every word is in the list is a validity verdict: the user is told.
    if (ct::declassify(all_found) == 0) {
        std::size_t position_not_found = 0;
        while (ct::declassify(found_bytes.data()[position_not_found]) != 0) {
            ++position_not_found;
        }
        fail(source, "word " + std::to_string(position_not_found + 1) +
                         " is not in the SLIP-39 word list; check its spelling");
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
    // The header (identifier, exponent, set and member numbers) is public by
    // design: ShareInfo is shown to the user.
    const std::uint32_t id_exp = ct::declassify((std::uint32_t{words.get(0)} << 10) | words.get(1));
    ShareInfo info;
    info.identifier = static_cast<std::uint16_t>(id_exp >> 5);
    info.extendable = ((id_exp >> 4) & 1u) != 0;
    info.iteration_exponent = id_exp & 0xFu;
    if (!ct::declassify(rs1024::verify(words, info.extendable))) {
        const std::vector<std::size_t> fixes = positions_that_fix(words);
        if (fixes.size() == 1) {
            fail(source, "checksum failed; word " + std::to_string(fixes.front() + 1) +
                             " looks wrong; check it");
        }
        fail(source, "checksum failed; re-enter the share");
    }
    const std::uint32_t params = ct::declassify((std::uint32_t{words.get(2)} << 10) | words.get(3));
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
    if (ct::declassify(padding_bits) != 0) {
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
    // Each word is fetched from the list by a full scan (packed_word), and its
    // letters are placed at their secret offset in the text by writing every
    // position of the text under a mask: no address depends on a word. Only the
    // text's total length becomes public (anyone who sees the text sees it).
    const std::size_t count = words.size();
    if (count == 0) {
        return Secret(0);
    }
    // Per word: its packed letters, then its length (words have no zero bytes).
    // (8 bytes of letters and 1 byte of length per word, in a Secret.)
    constexpr std::size_t kSlot = 9;
    Secret slots(count * kSlot);
    std::uint32_t total = static_cast<std::uint32_t>(count - 1);  // the spaces
    for (std::size_t w = 0; w < count; ++w) {
        const std::uint64_t packed = packed_word(words.get(w));
        std::uint32_t length = 0;
        for (std::uint32_t k = 0; k < kMaxWordLength; ++k) {
            const auto byte = static_cast<std::uint32_t>((packed >> (8 * k)) & 0xFFu);
            length += ~ct::mask_zero(byte) & 1u;
        }
        store_u64(slots.data() + kSlot * w, packed);
        slots.data()[kSlot * w + 8] = static_cast<std::uint8_t>(length);
        total += length;
    }
    const std::size_t text_length = ct::declassify(total);
    Secret text(text_length);
    std::uint32_t start = 0;
    for (std::size_t w = 0; w < count; ++w) {
        const std::uint64_t packed = load_u64(slots.data() + kSlot * w);
        const std::uint32_t length = slots.data()[kSlot * w + 8];
        // Byte k of the word goes to start + k for k < length; a space follows
        // at start + length (past the end of the text for the last word).
        for (std::uint32_t k = 0; k <= kMaxWordLength; ++k) {
            const std::uint32_t letter =
                k < kMaxWordLength ? static_cast<std::uint32_t>((packed >> (8 * k)) & 0xFFu) : 0u;
            const std::uint32_t at_end = ct::mask_equal(k, length);
            const std::uint32_t byte = (letter & ~at_end) | (std::uint32_t{' '} & at_end);
            const std::uint32_t wanted = ~ct::mask_less(length, k);  // k <= length
            const std::uint32_t target = start + k;
            for (std::size_t at = 0; at < text_length; ++at) {
                const std::uint32_t here =
                    ct::mask_equal(static_cast<std::uint32_t>(at), target) & wanted;
                text.data()[at] = static_cast<std::uint8_t>(text.data()[at] | (byte & here));
            }
        }
        start += length + 1u;
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
