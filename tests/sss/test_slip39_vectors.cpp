// SLIP-0039 against the official test vectors (vectors/slip39/vectors.json,
// produced by the reference implementation) and against smk's own known-answer
// file vectors/slip39_2x5of7.json.

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "slip39_rs1024.hpp"
#include "slip39_share.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/kcv.hpp"
#include "smk/random.hpp"
#include "smk/secret.hpp"
#include "smk/slip39.hpp"
#include "support/deterministic_random.hpp"

namespace {

nlohmann::json load_json(const std::string& path) {
    std::ifstream in(path);
    REQUIRE_MESSAGE(in.good(), "cannot open " << path);
    return nlohmann::json::parse(in);
}

std::span<const std::uint8_t> bytes_of(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

smk::Secret secret_text(std::string_view text) {
    return smk::Secret::copy_of(bytes_of(text));
}

// The category each invalid official vector must fail with, by vector number.
smk::ErrorCategory expected_category(int number) {
    static const std::map<int, smk::ErrorCategory> categories = {
        {2, smk::ErrorCategory::invalid_input},  {3, smk::ErrorCategory::invalid_input},
        {5, smk::ErrorCategory::insufficient},   {6, smk::ErrorCategory::invalid_input},
        {7, smk::ErrorCategory::invalid_input},  {8, smk::ErrorCategory::invalid_input},
        {9, smk::ErrorCategory::invalid_input},  {10, smk::ErrorCategory::invalid_input},
        {11, smk::ErrorCategory::invalid_input}, {12, smk::ErrorCategory::invalid_input},
        {13, smk::ErrorCategory::verification},  {14, smk::ErrorCategory::insufficient},
        {15, smk::ErrorCategory::insufficient},  {16, smk::ErrorCategory::insufficient},
        {21, smk::ErrorCategory::invalid_input}, {22, smk::ErrorCategory::invalid_input},
        {24, smk::ErrorCategory::insufficient},  {25, smk::ErrorCategory::invalid_input},
        {26, smk::ErrorCategory::invalid_input}, {27, smk::ErrorCategory::invalid_input},
        {28, smk::ErrorCategory::invalid_input}, {29, smk::ErrorCategory::invalid_input},
        {30, smk::ErrorCategory::invalid_input}, {31, smk::ErrorCategory::invalid_input},
        {32, smk::ErrorCategory::verification},  {33, smk::ErrorCategory::insufficient},
        {34, smk::ErrorCategory::insufficient},  {35, smk::ErrorCategory::insufficient},
        {39, smk::ErrorCategory::invalid_input}, {40, smk::ErrorCategory::invalid_input},
    };
    const auto it = categories.find(number);
    REQUIRE_MESSAGE(it != categories.end(), "no expected category for vector " << number);
    return it->second;
}

}  // namespace

TEST_CASE("the embedded word list is the standard's") {
    std::ifstream in(SMK_SOURCE_DIR "/vectors/slip39/wordlist.txt");
    REQUIRE(in.good());
    std::vector<std::string> file_words;
    std::string word;
    while (in >> word) {
        file_words.push_back(word);
    }
    const auto list = smk::slip39::wordlist();
    REQUIRE(list.size() == 1024);
    REQUIRE(file_words.size() == 1024);
    for (std::size_t i = 0; i < list.size(); ++i) {
        CHECK(list[i] == file_words[i]);
        const smk::slip39::WordLookup found = smk::slip39::lookup_word(file_words[i]);
        CHECK(found.found);
        CHECK(found.index == i);
    }
    std::string upper = "ACADEMIC";
    CHECK(smk::slip39::lookup_word(upper).found);
    CHECK(smk::slip39::lookup_word("Zero").index == 1023);
    CHECK_FALSE(smk::slip39::lookup_word("academi").found);
    CHECK_FALSE(smk::slip39::lookup_word("academics").found);
    CHECK_FALSE(smk::slip39::lookup_word("").found);
    CHECK_FALSE(smk::slip39::lookup_word("ac@demic").found);
}

TEST_CASE("official SLIP-0039 vectors recombine or fail as specified") {
    const nlohmann::json vectors = load_json(SMK_SOURCE_DIR "/vectors/slip39/vectors.json");
    REQUIRE(vectors.size() == 45);
    int valid = 0;
    int invalid = 0;
    for (const auto& vector : vectors) {
        const std::string description = vector.at(0).get<std::string>();
        const int number = std::stoi(description);
        const std::string expected_hex = vector.at(2).get<std::string>();
        CAPTURE(description);
        std::vector<smk::slip39::NamedMnemonic> shares;
        for (std::size_t i = 0; i < vector.at(1).size(); ++i) {
            shares.push_back(
                {"vector " + std::to_string(number) + " share " + std::to_string(i + 1),
                 secret_text(vector.at(1).at(i).get<std::string>())});
        }
        if (expected_hex.empty()) {
            ++invalid;
            try {
                (void)smk::slip39::combine(shares, bytes_of("TREZOR"));
                FAIL("combining must fail");
            } catch (const smk::Error& e) {
                CHECK(e.category() == expected_category(number));
                // Messages name shares by source and never quote their words.
                const std::string first_word = vector.at(1).at(0).get<std::string>().substr(
                    0, vector.at(1).at(0).get<std::string>().find(' '));
                CHECK(std::string(e.what()).find(first_word + " ") == std::string::npos);
            }
        } else {
            ++valid;
            const smk::slip39::CombineResult result =
                smk::slip39::combine(shares, bytes_of("TREZOR"));
            CHECK(smk::to_hex(result.master_secret.bytes()) == expected_hex);
            CHECK(result.sources_used.size() == shares.size());
            // The same shares in reverse order give the same secret.
            std::reverse(shares.begin(), shares.end());
            CHECK(smk::to_hex(
                      smk::slip39::combine(shares, bytes_of("TREZOR")).master_secret.bytes()) ==
                  expected_hex);
        }
        // Every share that decodes re-encodes to exactly its mnemonic.
        for (const auto& mnemonic : vector.at(1)) {
            const std::string text = mnemonic.get<std::string>();
            try {
                const smk::slip39::Share share = smk::slip39::decode(text, "vector share");
                CHECK(smk::slip39::encode(share).text() == text);
            } catch (const smk::Error& e) {
                CHECK(expected_hex.empty());
                CHECK(e.category() == smk::ErrorCategory::invalid_input);
            }
        }
    }
    CHECK(valid == 15);
    CHECK(invalid == 30);
}

TEST_CASE("decode reads the fields of official vector 4 and accepts any case and spacing") {
    const nlohmann::json vectors = load_json(SMK_SOURCE_DIR "/vectors/slip39/vectors.json");
    const std::string text = vectors.at(3).at(1).at(0).get<std::string>();
    const smk::slip39::Share share = smk::slip39::decode(text, "v4");
    CHECK(share.info.group_count == 1);
    CHECK(share.info.group_threshold == 1);
    CHECK(share.info.member_threshold == 2);
    CHECK(share.info.value_bytes == 16);
    CHECK(share.value.size() == 16);
    CHECK_FALSE(share.info.extendable);
    CHECK(share.info.iteration_exponent == 2);  // known to decrypt with TREZOR above

    std::string shouted;
    for (const char c : text) {
        shouted += c == ' ' ? std::string("\t \n") : std::string(1, static_cast<char>(c - 32));
    }
    const smk::slip39::Share same = smk::slip39::decode("  " + shouted + "\r\n", "v4 loud");
    CHECK(same.info.identifier == share.info.identifier);
    CHECK(smk::constant_time_equal(same.value.bytes(), share.value.bytes()));
    CHECK(smk::slip39::encode(same).text() == text);
}

TEST_CASE("RS1024 checksum: the words of a valid share verify, any single change does not") {
    const nlohmann::json vectors = load_json(SMK_SOURCE_DIR "/vectors/slip39/vectors.json");
    for (const std::size_t v : {0u, 41u}) {  // one original, one extendable
        const std::string text = vectors.at(v).at(1).at(0).get<std::string>();
        smk::slip39::WordIndices words = smk::slip39::parse_words(text, "v");
        const bool extendable = v == 41;
        CHECK(smk::slip39::rs1024::verify(words, extendable));
        CHECK_FALSE(smk::slip39::rs1024::verify(words, !extendable));
        const std::uint16_t last = words.get(words.size() - 1);
        smk::slip39::rs1024::append_checksum(words, extendable);
        CHECK(words.get(words.size() - 1) == last);
        for (std::size_t i = 0; i < words.size(); ++i) {
            const std::uint16_t original = words.get(i);
            words.set(i, static_cast<std::uint16_t>(original ^ 0x155));
            CHECK_FALSE(smk::slip39::rs1024::verify(words, extendable));
            words.set(i, original);
        }
    }
}

TEST_CASE("known answer: default split of key 00..1f matches vectors/slip39_2x5of7.json") {
    const nlohmann::json kat = load_json(SMK_SOURCE_DIR "/vectors/slip39_2x5of7.json");
    std::array<std::uint8_t, 32> key{};
    for (std::size_t i = 0; i < key.size(); ++i) {
        key[i] = static_cast<std::uint8_t>(i);
    }
    std::array<std::uint8_t, 32> seed{};
    seed.fill(0x5A);
    // The file records smk's defaults; a change of defaults must be deliberate.
    const smk::slip39::SplitParams params;
    REQUIRE(kat.at("master_secret_hex") == smk::to_hex(key));
    REQUIRE(kat.at("seed_hex") == smk::to_hex(seed));
    REQUIRE(kat.at("passphrase") == "");
    REQUIRE(kat.at("group_threshold") == params.group_threshold);
    REQUIRE(kat.at("groups") == nlohmann::json::array({{5, 7}, {5, 7}}));
    REQUIRE(params.groups.size() == 2);
    CHECK(params.groups[0].threshold == 5);
    CHECK(params.groups[0].count == 7);
    CHECK(params.groups[1].threshold == 5);
    CHECK(params.groups[1].count == 7);
    REQUIRE(kat.at("extendable") == params.extendable);
    REQUIRE(kat.at("iteration_exponent") == params.iteration_exponent);

    smk_test::DeterministicRandom random(seed);
    const smk::slip39::SplitResult result = smk::slip39::split(key, {}, params, random);
    CHECK(result.identifier == kat.at("identifier").get<unsigned>());
    CHECK(smk::kcv_hex(smk::key_check_value(key)) == kat.at("kcv").get<std::string>());
    REQUIRE(result.mnemonics.size() == 2);
    const auto& expected = kat.at("mnemonics");
    REQUIRE(expected.size() == 2);
    for (std::size_t g = 0; g < 2; ++g) {
        REQUIRE(result.mnemonics[g].size() == 7);
        REQUIRE(expected.at(g).size() == 7);
        for (std::size_t m = 0; m < 7; ++m) {
            CAPTURE(g);
            CAPTURE(m);
            CHECK(result.mnemonics[g][m].text() == expected.at(g).at(m).get<std::string>());
        }
    }

    // The recorded mnemonics recombine: each set alone (5 and all 7), and all 14.
    std::vector<smk::slip39::NamedMnemonic> all;
    for (std::size_t g = 0; g < 2; ++g) {
        std::vector<smk::slip39::NamedMnemonic> set;
        for (std::size_t m = 0; m < 7; ++m) {
            const std::string text = expected.at(g).at(m).get<std::string>();
            const std::string source = smk::slip39::group_name(static_cast<unsigned>(g)) +
                                       " share " + std::to_string(m + 1);
            if (m < 5) {
                set.push_back({source, secret_text(text)});
            }
            all.push_back({source, secret_text(text)});
        }
        const smk::slip39::CombineResult from_set = smk::slip39::combine(set, {});
        CHECK(smk::constant_time_equal(from_set.master_secret.bytes(), key));
        CHECK(from_set.params.identifier == result.identifier);
    }
    const smk::slip39::CombineResult from_all = smk::slip39::combine(all, {});
    CHECK(smk::constant_time_equal(from_all.master_secret.bytes(), key));
    CHECK(from_all.groups_used == std::vector<unsigned>{0, 1});
    CHECK(from_all.sources_used.size() == 14);
}
