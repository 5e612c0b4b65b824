#include <doctest/doctest.h>

#include <array>
#include <cctype>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "smk/digest.hpp"
#include "smk/error.hpp"
#include "smk/pgp_words.hpp"
#include "smk/sha256.hpp"

TEST_CASE("PGP words: the known answers of shared/README.md") {
    const std::array<std::uint8_t, 2> first{0x00, 0x01};
    CHECK(smk::pgp_words(first) == "aardvark adviser");
    const std::array<std::uint8_t, 2> last{0xFF, 0xFE};
    CHECK(smk::pgp_words(last) == "Zulu yesteryear");
    // The same byte reads differently at an even and an odd position.
    const std::array<std::uint8_t, 2> twice{0x00, 0x00};
    CHECK(smk::pgp_words(twice) == "aardvark adroitness");
    CHECK(smk::pgp_words(std::span<const std::uint8_t>{}).empty());
}

TEST_CASE("PGP words: the fingerprint example of the PGP word list's documentation") {
    // E582 94F2 E9A2 2748 6E8B 061B 31CC 528F D7FA 3F19, as published with the list.
    const std::array<std::uint8_t, 20> fingerprint{0xE5, 0x82, 0x94, 0xF2, 0xE9, 0xA2, 0x27,
                                                   0x48, 0x6E, 0x8B, 0x06, 0x1B, 0x31, 0xCC,
                                                   0x52, 0x8F, 0xD7, 0xFA, 0x3F, 0x19};
    CHECK(smk::pgp_words(fingerprint) ==
          "topmost Istanbul Pluto vagabond treadmill Pacific brackish dictator goldfish Medusa "
          "afflict bravado chatter revolver Dupont midsummer stopwatch whimsical cowbell "
          "bottomless");
}

TEST_CASE("PGP words of a whole SHA-256 digest (SHA-256 of \"abc\")") {
    // Computed independently from vectors/pgp/wordlist.txt with Python.
    CHECK(smk::pgp_words(smk::sha256_text("abc")) ==
          "shadow indigo backward rebellion payday adviser stagehand undaunted cranky decadence "
          "crackdown telephone exceed performance blockade cannonball ruffled aggregate fallout "
          "pandemic prefer bookseller keyboard October scenic autopsy Zulu frequency uproot "
          "adroitness backfield perceptive");
}

TEST_CASE("the embedded table equals vectors/pgp/wordlist.txt, all 512 words") {
    std::ifstream in(SMK_SOURCE_DIR "/vectors/pgp/wordlist.txt");
    REQUIRE(in.good());
    std::string line;
    unsigned lines = 0;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string hex;
        std::string even;
        std::string odd;
        fields >> hex >> even >> odd;
        REQUIRE(!odd.empty());
        const auto byte = static_cast<std::uint8_t>(std::stoul(hex, nullptr, 16));
        CHECK(byte == lines);  // in order, one line per byte value
        CHECK(smk::pgp_word(byte, 0) == even);
        CHECK(smk::pgp_word(byte, 1) == odd);
        CHECK(smk::pgp_word(byte, 30) == even);
        CHECK(smk::pgp_word(byte, 31) == odd);
        ++lines;
    }
    CHECK(lines == 256);
}

namespace {

std::string error_of(std::string_view text) {
    try {
        (void)smk::parse_digest_text(text);
    } catch (const smk::Error& e) {
        CHECK(e.category() == smk::ErrorCategory::invalid_input);
        return e.what();
    }
    FAIL("accepted: ", std::string(text));
    return {};
}

}  // namespace

TEST_CASE("a digest copied from paper reads back from hex colon form or PGP words") {
    const smk::Sha256 abc = smk::sha256_text("abc");
    const std::string hex = smk::digest_hex(abc);
    const std::string words = smk::pgp_words(abc);
    CHECK(smk::parse_digest_text(hex) == abc);
    CHECK(smk::parse_digest_text(" " + hex + "\n") == abc);
    std::string upper = hex;
    for (char& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    CHECK(smk::parse_digest_text(upper) == abc);
    CHECK(smk::parse_digest_text(smk::digest_colon_hex(abc)) == abc);
    CHECK(smk::parse_digest_text(words) == abc);
    std::string lower = words;
    for (char& c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    std::string spaced;
    for (char c : lower) {
        spaced += (c == ' ') ? std::string("\n  ") : std::string(1, c);
    }
    CHECK(smk::parse_digest_text(spaced) == abc);
}

TEST_CASE("a digest copied wrong names what is wrong with it") {
    const smk::Sha256 abc = smk::sha256_text("abc");
    const std::string hex = smk::digest_hex(abc);
    CHECK(error_of(hex.substr(0, 63)).find("this is 63 characters") != std::string::npos);
    CHECK(error_of("g" + hex.substr(1)).find("not a hex digit") != std::string::npos);
    CHECK(error_of("").find("empty") != std::string::npos);
    std::istringstream in(smk::pgp_words(abc));
    std::vector<std::string> words{std::istream_iterator<std::string>(in), {}};
    REQUIRE(words.size() == 32);
    auto joined = [](const std::vector<std::string>& list) {
        std::string text;
        for (const auto& w : list) {
            text += (text.empty() ? "" : " ") + w;
        }
        return text;
    };
    auto dropped = words;
    dropped.erase(dropped.begin() + 3);
    CHECK(error_of(joined(dropped)).find("32 PGP words, this has 31") != std::string::npos);
    dropped.push_back(words[31]);  // 32 words again, every one after the 4th shifted
    CHECK(error_of(joined(dropped)).find("word 4 is an even-position word where an odd-position") !=
          std::string::npos);
    auto unknown = words;
    unknown[6] = "banana";
    CHECK(error_of(joined(unknown)).find("word 7 is not in the PGP word list") !=
          std::string::npos);
}
