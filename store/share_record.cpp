// The card share record (docs/FORMAT.md section 4): header, the share as the
// big-endian integer of its 10-bit word indices, and a 4-byte SHA-256 check.
//
// The words of a share are secret. Word <-> index conversion scans the whole
// word list with masks instead of searching or indexing by a secret value.

#include "smk/share_record.hpp"

#include <fmt/core.h>

#include <array>
#include <cstring>
#include <string>

#include "smk/error.hpp"
#include "smk/sha256.hpp"

namespace smk::card {
namespace {

constexpr std::array<std::uint8_t, 3> kMagic = {'S', 'M', 'K'};
constexpr std::size_t kMaxWordBytes = 8;  // the longest SLIP-39 word has 8 letters
constexpr std::uint8_t kFlagExtendable = 0x01;

// Header offsets.
constexpr std::size_t kOffVersion = 3;
constexpr std::size_t kOffFlags = 4;
constexpr std::size_t kOffIdentifier = 5;
constexpr std::size_t kOffIterationExponent = 7;
constexpr std::size_t kOffGroupIndex = 8;
constexpr std::size_t kOffGroupThreshold = 9;
constexpr std::size_t kOffGroupCount = 10;
constexpr std::size_t kOffMemberIndex = 11;
constexpr std::size_t kOffMemberThreshold = 12;
constexpr std::size_t kOffValueBytes = 13;
constexpr std::size_t kOffWordCount = 14;

[[noreturn]] void bad_record(std::string_view source, std::string_view what) {
    throw Error(ErrorCategory::invalid_input, fmt::format("{}: {}", source, what));
}

// A word (at most 8 ASCII letters) as a zero-padded 64-bit value.
std::uint64_t pack_word(std::string_view word) noexcept {
    std::uint64_t packed = 0;
    for (std::size_t i = 0; i < kMaxWordBytes && i < word.size(); ++i) {
        packed |= static_cast<std::uint64_t>(static_cast<unsigned char>(word[i])) << (8 * i);
    }
    return packed;
}

// The packed word list (public data).
const std::array<std::uint64_t, 1024>& packed_wordlist() {
    static const std::array<std::uint64_t, 1024> packed = [] {
        std::array<std::uint64_t, 1024> table{};
        const auto words = slip39::wordlist();
        for (std::size_t i = 0; i < table.size(); ++i) {
            table[i] = pack_word(words[i]);
        }
        return table;
    }();
    return packed;
}

// All ones if a == b, else zero; no branch on the values.
std::uint64_t equal_mask(std::uint64_t a, std::uint64_t b) noexcept {
    const std::uint64_t diff = a ^ b;
    return ((diff | (0 - diff)) >> 63) - 1;
}

// Index of a packed word, found by scanning all 1024 entries. `found` is all
// ones if the word is in the list.
std::uint64_t word_index(std::uint64_t packed, std::uint64_t& found) noexcept {
    const auto& table = packed_wordlist();
    std::uint64_t index = 0;
    found = 0;
    for (std::uint64_t j = 0; j < table.size(); ++j) {
        const std::uint64_t mask = equal_mask(packed, table[j]);
        index |= j & mask;
        found |= mask;
    }
    return index;
}

// The packed word of an index, by scanning all 1024 entries.
std::uint64_t word_of(std::uint64_t index) noexcept {
    const auto& table = packed_wordlist();
    std::uint64_t packed = 0;
    for (std::uint64_t j = 0; j < table.size(); ++j) {
        packed |= table[j] & equal_mask(index, j);
    }
    return packed;
}

std::array<std::uint8_t, 4> record_check(std::span<const std::uint8_t> body) {
    const Sha256 digest = sha256_bytes(body);
    std::array<std::uint8_t, 4> check{};
    std::memcpy(check.data(), digest.data(), check.size());
    return check;
}

std::size_t count_words(std::string_view text) noexcept {
    std::size_t words = text.empty() ? 0 : 1;
    for (const char c : text) {
        words += (c == ' ') ? 1U : 0U;
    }
    return words;
}

}  // namespace

Secret encode_share_record(std::string_view mnemonic, std::string_view source) {
    const slip39::Share share = slip39::decode(mnemonic, source);
    const Secret canonical = slip39::encode(share);  // lower case, single spaces
    const std::string_view text = canonical.text();
    const std::size_t word_count = count_words(text);
    const std::size_t size = share_record_size(word_count);
    const auto& info = share.info;
    if (word_count > 255 || info.value_bytes > 255) {
        bad_record(source, "the share is too long for a card share record (at most 255 words)");
    }
    Secret record(size);
    auto out = record.bytes();
    std::memcpy(out.data(), kMagic.data(), kMagic.size());
    out[kOffVersion] = kShareRecordVersion;
    out[kOffFlags] = info.extendable ? kFlagExtendable : 0;
    out[kOffIdentifier] = static_cast<std::uint8_t>(info.identifier >> 8);
    out[kOffIdentifier + 1] = static_cast<std::uint8_t>(info.identifier & 0xFF);
    out[kOffIterationExponent] = static_cast<std::uint8_t>(info.iteration_exponent);
    out[kOffGroupIndex] = static_cast<std::uint8_t>(info.group_index);
    out[kOffGroupThreshold] = static_cast<std::uint8_t>(info.group_threshold);
    out[kOffGroupCount] = static_cast<std::uint8_t>(info.group_count);
    out[kOffMemberIndex] = static_cast<std::uint8_t>(info.member_index);
    out[kOffMemberThreshold] = static_cast<std::uint8_t>(info.member_threshold);
    out[kOffValueBytes] = static_cast<std::uint8_t>(info.value_bytes);
    out[kOffWordCount] = static_cast<std::uint8_t>(word_count);

    // The word indices, most significant first, right-aligned in the value bytes
    // (the leading 8*B - 10*k bits are zero).
    const std::size_t value_bytes = (word_count * 10 + 7) / 8;
    const auto value = out.subspan(kShareRecordHeaderBytes, value_bytes);
    std::size_t pad_bits = value_bytes * 8 - word_count * 10;
    std::uint64_t accumulator = 0;
    std::size_t bits = pad_bits;  // the padding: zero bits already "written"
    std::size_t pos = 0;
    std::size_t start = 0;
    for (std::size_t w = 0; w < word_count; ++w) {
        const std::size_t end = text.find(' ', start);
        const std::string_view word = text.substr(
            start, end == std::string_view::npos ? std::string_view::npos : end - start);
        start = (end == std::string_view::npos) ? text.size() : end + 1;
        std::uint64_t packed = pack_word(word);
        std::uint64_t found = 0;
        const std::uint64_t index = word_index(packed, found);
        secure_zero({reinterpret_cast<std::uint8_t*>(&packed), sizeof packed});
        if (found == 0 || word.size() > kMaxWordBytes) {
            throw Error(ErrorCategory::internal,
                        "a canonical SLIP-39 word is not in the word list");
        }
        accumulator = (accumulator << 10) | index;
        bits += 10;
        while (bits >= 8) {
            bits -= 8;
            value[pos++] = static_cast<std::uint8_t>((accumulator >> bits) & 0xFF);
        }
    }
    accumulator = 0;
    pad_bits = 0;
    const std::size_t body = kShareRecordHeaderBytes + value_bytes;
    const auto check = record_check(out.first(body));
    std::memcpy(out.data() + body, check.data(), check.size());
    return record;
}

DecodedShareRecord decode_share_record(std::span<const std::uint8_t> record,
                                       std::string_view source) {
    const std::size_t minimum = kShareRecordHeaderBytes + kShareRecordCheckBytes;
    if (record.size() < kMagic.size() ||
        std::memcmp(record.data(), kMagic.data(), kMagic.size()) != 0) {
        bad_record(source, "does not hold an smk share record (no \"SMK\" magic at the start)");
    }
    if (record.size() < minimum) {
        bad_record(source, fmt::format("the share record is truncated ({} bytes, a record has "
                                       "at least {})",
                                       record.size(), minimum));
    }
    if (record[kOffVersion] != kShareRecordVersion) {
        bad_record(source, fmt::format("share record version {} is not supported (this smk "
                                       "reads version {}); use a newer smk",
                                       record[kOffVersion], kShareRecordVersion));
    }
    const std::size_t body = record.size() - kShareRecordCheckBytes;
    const auto check = record_check(record.first(body));
    if (!constant_time_equal(check, record.subspan(body))) {
        bad_record(source,
                   "the share record check failed: the record is truncated, half-written "
                   "or garbled");
    }
    const std::size_t word_count = record[kOffWordCount];
    if (word_count == 0 || share_record_size(word_count) != record.size()) {
        bad_record(source, fmt::format("the share record says {} words, which does not fit its "
                                       "length of {} bytes",
                                       word_count, record.size()));
    }
    if ((record[kOffFlags] & ~kFlagExtendable) != 0) {
        bad_record(source, "the share record has unknown flags set; use a newer smk");
    }

    // Words back from the integer; the padding bits must be zero.
    const std::size_t value_bytes = (word_count * 10 + 7) / 8;
    const auto value = record.subspan(kShareRecordHeaderBytes, value_bytes);
    const std::size_t pad_bits = value_bytes * 8 - word_count * 10;
    if (pad_bits > 0 && (value[0] >> (8 - pad_bits)) != 0) {
        bad_record(source, "the share record has non-zero padding bits before the first word");
    }
    Secret text(word_count * (kMaxWordBytes + 1));
    std::size_t length = 0;
    std::uint64_t accumulator = 0;
    std::size_t bits = 0;
    std::size_t pos = 0;
    std::size_t words = 0;
    std::size_t skip = pad_bits;
    while (words < word_count) {
        accumulator = (accumulator << 8) | value[pos++];
        bits += 8;
        if (skip > 0) {
            bits -= skip;
            accumulator &= (std::uint64_t{1} << bits) - 1;
            skip = 0;
        }
        if (bits >= 10) {
            bits -= 10;
            const std::uint64_t index = (accumulator >> bits) & 0x3FF;
            accumulator &= (std::uint64_t{1} << bits) - 1;
            std::uint64_t packed = word_of(index);
            if (words > 0) {
                text.data()[length++] = ' ';
            }
            for (std::size_t i = 0; i < kMaxWordBytes; ++i) {
                const auto c = static_cast<std::uint8_t>((packed >> (8 * i)) & 0xFF);
                if (c == 0) {
                    break;
                }
                text.data()[length++] = c;
            }
            packed = 0;
            ++words;
        }
    }
    accumulator = 0;
    text.truncate(length);

    slip39::Share share = slip39::decode(text.text(), source);
    const auto& info = share.info;
    const unsigned identifier =
        (static_cast<unsigned>(record[kOffIdentifier]) << 8) | record[kOffIdentifier + 1];
    const bool header_agrees = info.identifier == identifier &&
                               info.extendable == ((record[kOffFlags] & kFlagExtendable) != 0) &&
                               info.iteration_exponent == record[kOffIterationExponent] &&
                               info.group_index == record[kOffGroupIndex] &&
                               info.group_threshold == record[kOffGroupThreshold] &&
                               info.group_count == record[kOffGroupCount] &&
                               info.member_index == record[kOffMemberIndex] &&
                               info.member_threshold == record[kOffMemberThreshold] &&
                               info.value_bytes == record[kOffValueBytes];
    if (!header_agrees) {
        bad_record(source, "the share record header disagrees with the share it holds");
    }
    return DecodedShareRecord{info, static_cast<unsigned>(word_count), std::move(text)};
}

}  // namespace smk::card
