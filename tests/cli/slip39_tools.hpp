#pragma once
// A test-side SLIP-39 toolkit, written from the standard and independent of
// smk's library: the word list (vectors/slip39/wordlist.txt), RS1024 checksums, and ways to
// spoil a share — a wrong word (checksum breaks) or a changed value with a
// freshly computed checksum (decodes fine, but lies off the set's polynomial).

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace smk_test {

inline const std::vector<std::string>& slip39_words() {
    static const std::vector<std::string> words = [] {
        std::vector<std::string> list;
        std::ifstream in(SMK_SOURCE_DIR "/vectors/slip39/wordlist.txt");
        for (std::string word; in >> word;) {
            list.push_back(word);
        }
        return list;
    }();
    REQUIRE(words.size() == 1024);
    return words;
}

inline std::vector<std::uint32_t> word_indices(const std::string& mnemonic) {
    static const std::map<std::string, std::uint32_t> index = [] {
        std::map<std::string, std::uint32_t> map;
        const auto& words = slip39_words();
        for (std::uint32_t i = 0; i < words.size(); ++i) {
            map[words[i]] = i;
        }
        return map;
    }();
    std::vector<std::uint32_t> out;
    std::istringstream in(mnemonic);
    for (std::string word; in >> word;) {
        const auto it = index.find(word);
        REQUIRE_MESSAGE(it != index.end(), "not a SLIP-39 word: " << word);
        out.push_back(it->second);
    }
    return out;
}

inline std::string words_of(const std::vector<std::uint32_t>& indices) {
    std::string text;
    for (const auto i : indices) {
        text += (text.empty() ? "" : " ") + slip39_words().at(i);
    }
    return text;
}

// RS1024 over GF(1024) as in the standard's reference code.
inline std::uint32_t rs1024_polymod(const std::vector<std::uint32_t>& values) {
    constexpr std::array<std::uint32_t, 10> gen = {0xE0E040,   0x1C1C080,  0x3838100,  0x7070200,
                                                   0xE0E0009,  0x1C0C2412, 0x38086C24, 0x3090FC48,
                                                   0x21B1F890, 0x3F3F120};
    std::uint32_t chk = 1;
    for (const auto v : values) {
        const std::uint32_t b = chk >> 20U;
        chk = ((chk & 0xFFFFFU) << 10U) ^ v;
        for (unsigned i = 0; i < 10; ++i) {
            if (((b >> i) & 1U) != 0) {
                chk ^= gen[i];
            }
        }
    }
    return chk;
}

// The customization string depends on the extendable bit (word 1, bit 4).
inline std::vector<std::uint32_t> customization(const std::vector<std::uint32_t>& indices) {
    const bool extendable = ((indices.at(1) >> 4U) & 1U) != 0;
    const std::string cs = extendable ? "shamir_extendable" : "shamir";
    return {cs.begin(), cs.end()};
}

inline bool rs1024_ok(const std::string& mnemonic) {
    const auto indices = word_indices(mnemonic);
    auto values = customization(indices);
    values.insert(values.end(), indices.begin(), indices.end());
    return rs1024_polymod(values) == 1;
}

// The mnemonic with its last value word changed and a valid checksum: a share
// that decodes but disagrees with the rest of its set.
inline std::string tamper_value(const std::string& mnemonic) {
    auto indices = word_indices(mnemonic);
    REQUIRE(indices.size() > 8);
    indices.resize(indices.size() - 3);
    indices.back() ^= 1U;
    auto values = customization(indices);
    values.insert(values.end(), indices.begin(), indices.end());
    values.insert(values.end(), {0, 0, 0});
    const std::uint32_t polymod = rs1024_polymod(values) ^ 1U;
    for (unsigned i = 0; i < 3; ++i) {
        indices.push_back((polymod >> (10U * (2U - i))) & 1023U);
    }
    const std::string tampered = words_of(indices);
    REQUIRE(rs1024_ok(tampered));
    REQUIRE(tampered != mnemonic);
    return tampered;
}

// The mnemonic with its identifier (the first 15 bits) set to `identifier` and a
// fresh checksum: a share of another split that claims to be of this one.
inline std::string with_identifier(const std::string& mnemonic, unsigned identifier) {
    auto indices = word_indices(mnemonic);
    REQUIRE(indices.size() > 8);
    indices.resize(indices.size() - 3);
    indices.at(0) = (identifier >> 5U) & 1023U;
    indices.at(1) = ((identifier & 31U) << 5U) | (indices.at(1) & 31U);
    auto values = customization(indices);
    values.insert(values.end(), indices.begin(), indices.end());
    values.insert(values.end(), {0, 0, 0});
    const std::uint32_t polymod = rs1024_polymod(values) ^ 1U;
    for (unsigned i = 0; i < 3; ++i) {
        indices.push_back((polymod >> (10U * (2U - i))) & 1023U);
    }
    const std::string changed = words_of(indices);
    REQUIRE(rs1024_ok(changed));
    return changed;
}

// The mnemonic with word `position` (0-based) replaced by another word.
inline std::string corrupt_word(const std::string& mnemonic, std::size_t position) {
    auto indices = word_indices(mnemonic);
    indices.at(position) ^= 1U;
    return words_of(indices);
}

}  // namespace smk_test
