// The card share record (docs/FORMAT.md section 4): round trips for 20- and
// 33-word shares, the documented layout, and a clear error for every corruption.

#include <doctest/doctest.h>
#include <openssl/evp.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "smk/error.hpp"
#include "smk/random.hpp"
#include "smk/share_record.hpp"
#include "smk/slip39.hpp"
#include "support/deterministic_random.hpp"

namespace {

using Bytes = std::vector<std::uint8_t>;

// One mnemonic of a fresh deterministic split of a `secret_bytes` secret.
smk::Secret make_mnemonic(std::size_t secret_bytes, unsigned group, unsigned member) {
    std::array<std::uint8_t, 32> seed{};
    seed[0] = static_cast<std::uint8_t>(secret_bytes);
    smk_test::DeterministicRandom random(seed);
    std::vector<std::uint8_t> secret(secret_bytes);
    for (std::size_t i = 0; i < secret.size(); ++i) {
        secret[i] = static_cast<std::uint8_t>(i * 7 + 3);
    }
    const smk::slip39::SplitParams params;  // 2 x (5 of 7)
    auto result = smk::slip39::split(secret, {}, params, random);
    return std::move(result.mnemonics.at(group).at(member));
}

Bytes bytes_of(const smk::Secret& secret) {
    return {secret.data(), secret.data() + secret.size()};
}

void refresh_check(Bytes& record) {
    std::array<std::uint8_t, 32> digest{};
    unsigned int length = 0;
    REQUIRE(EVP_Digest(record.data(), record.size() - 4, digest.data(), &length, EVP_sha256(),
                       nullptr) == 1);
    std::memcpy(record.data() + record.size() - 4, digest.data(), 4);
}

std::string decode_error(const Bytes& record) {
    try {
        (void)smk::card::decode_share_record(record, "card X DO 0103");
    } catch (const smk::Error& e) {
        CHECK(e.category() == smk::ErrorCategory::invalid_input);
        const std::string message = e.what();
        CHECK(message.find("card X DO 0103") != std::string::npos);
        return message;
    }
    FAIL("a corrupted record decoded without error");
    return {};
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("share record: 33-word share round trip, 61 bytes, documented layout") {
    const smk::Secret mnemonic = make_mnemonic(32, 1, 4);
    const auto share = smk::slip39::decode(mnemonic.text(), "test");
    const smk::Secret record = smk::card::encode_share_record(mnemonic.text(), "test");
    REQUIRE(record.size() == 61);
    CHECK(record.size() == smk::card::share_record_size(33));
    const auto b = record.bytes();
    CHECK(b[0] == 'S');
    CHECK(b[1] == 'M');
    CHECK(b[2] == 'K');
    CHECK(b[3] == 1);
    CHECK(b[4] == 1);  // extendable
    CHECK(((b[5] << 8) | b[6]) == share.info.identifier);
    CHECK(b[8] == 1);   // set B
    CHECK(b[11] == 4);  // member index (0-based)
    CHECK(b[12] == 5);  // member threshold
    CHECK(b[13] == 32);
    CHECK(b[14] == 33);
    // The first word's index is in the top of the 42-byte integer after 6 zero bits.
    const auto words = smk::slip39::wordlist();
    const std::string_view text = mnemonic.text();
    const std::string_view first = text.substr(0, text.find(' '));
    unsigned first_index = 0;
    while (words[first_index] != first) {
        ++first_index;
    }
    CHECK((b[15] >> 2) == 0);
    CHECK((((b[15] & 0x03U) << 8) | b[16]) == first_index);

    const auto decoded = smk::card::decode_share_record(record.bytes(), "test");
    CHECK(decoded.mnemonic.text() == mnemonic.text());
    CHECK(decoded.word_count == 33);
    CHECK(decoded.info.identifier == share.info.identifier);
    CHECK(decoded.info.group_index == 1);
    CHECK(decoded.info.member_index == 4);
}

TEST_CASE("share record: 20-word share round trip, 44 bytes") {
    for (unsigned member = 0; member < 7; ++member) {
        const smk::Secret mnemonic = make_mnemonic(16, 0, member);
        const smk::Secret record = smk::card::encode_share_record(mnemonic.text(), "test");
        CHECK(record.size() == 44);
        const auto decoded = smk::card::decode_share_record(record.bytes(), "test");
        CHECK(decoded.mnemonic.text() == mnemonic.text());
        CHECK(decoded.word_count == 20);
        CHECK(decoded.info.member_index == member);
    }
}

TEST_CASE("share record: a mnemonic in other case and spacing gives the same record") {
    const smk::Secret mnemonic = make_mnemonic(32, 0, 0);
    std::string messy;
    for (const char c : mnemonic.text()) {
        messy += (c == ' ') ? std::string("  \t") : std::string(1, static_cast<char>(c - 32));
    }
    const auto a = smk::card::encode_share_record(mnemonic.text(), "a");
    const auto b = smk::card::encode_share_record(messy, "b");
    CHECK(bytes_of(a) == bytes_of(b));
}

TEST_CASE("share record: encoding refuses a mnemonic with a bad checksum, naming the source") {
    smk::Secret mnemonic = make_mnemonic(32, 0, 0);
    std::string text(mnemonic.text());
    const auto last_space = text.rfind(' ');
    text = text.substr(0, last_space + 1) +
           (text.substr(last_space + 1) == "academic" ? "acid" : "academic");
    CHECK_THROWS_WITH_AS((void)smk::card::encode_share_record(text, "share.txt"),
                         doctest::Contains("share.txt"), smk::Error);
}

TEST_CASE("share record: every corruption gives a clear error") {
    const smk::Secret mnemonic = make_mnemonic(32, 0, 2);
    const Bytes good = bytes_of(smk::card::encode_share_record(mnemonic.text(), "test"));

    SUBCASE("empty and too short for the magic") {
        CHECK(contains(decode_error({}), "no \"SMK\" magic"));
        CHECK(contains(decode_error({'S', 'M'}), "no \"SMK\" magic"));
    }
    SUBCASE("truncated below the minimum") {
        CHECK(contains(decode_error(Bytes(good.begin(), good.begin() + 10)), "truncated"));
    }
    SUBCASE("truncated (half-written) record fails its check") {
        for (const std::ptrdiff_t keep : {19, 30, 44, 60}) {
            CHECK(contains(decode_error(Bytes(good.begin(), good.begin() + keep)), "check failed"));
        }
    }
    SUBCASE("bad magic") {
        Bytes bad = good;
        bad[0] = 'X';
        CHECK(contains(decode_error(bad), "magic"));
    }
    SUBCASE("bad version") {
        Bytes bad = good;
        bad[3] = 2;
        refresh_check(bad);
        CHECK(contains(decode_error(bad), "version 2 is not supported"));
    }
    SUBCASE("bad check: any flipped bit in header, share or check") {
        for (const std::size_t at : {4U, 14U, 15U, 40U, 56U, 57U, 60U}) {
            Bytes bad = good;
            bad[at] ^= 0x10;
            CHECK(contains(decode_error(bad), "check failed"));
        }
    }
    SUBCASE("wrong word count (with a matching check)") {
        Bytes bad = good;
        bad[14] = 20;
        refresh_check(bad);
        CHECK(contains(decode_error(bad), "says 20 words"));
        bad[14] = 0;
        refresh_check(bad);
        CHECK(contains(decode_error(bad), "says 0 words"));
    }
    SUBCASE("trailing garbage") {
        Bytes bad = good;
        bad.insert(bad.end() - 4, 0x00);
        refresh_check(bad);
        CHECK(contains(decode_error(bad), "does not fit its length"));
    }
    SUBCASE("non-zero padding bits") {
        Bytes bad = good;
        bad[15] |= 0x80;
        refresh_check(bad);
        CHECK(contains(decode_error(bad), "padding"));
    }
    SUBCASE("unknown flags") {
        Bytes bad = good;
        bad[4] |= 0x40;
        refresh_check(bad);
        CHECK(contains(decode_error(bad), "unknown flags"));
    }
    SUBCASE("a changed word fails the SLIP-39 checksum") {
        Bytes bad = good;
        bad[30] ^= 0x01;
        refresh_check(bad);
        CHECK(contains(decode_error(bad), "checksum"));
    }
    SUBCASE("a header that disagrees with the share") {
        Bytes bad = good;
        bad[11] = 6;  // member index
        refresh_check(bad);
        CHECK(contains(decode_error(bad), "header disagrees"));
    }
}

TEST_CASE("share record: a write torn at any byte between two shares of one split is refused") {
    // What a card without atomic writes could keep of an overwrite of B #1 by
    // B #2 (same identifier and header but the index): the new record up to byte
    // k, then the old one, erased bytes, or nothing. Never a record smk accepts.
    const Bytes old_record =
        bytes_of(smk::card::encode_share_record(make_mnemonic(32, 1, 0).text(), "old"));
    const Bytes new_record =
        bytes_of(smk::card::encode_share_record(make_mnemonic(32, 1, 1).text(), "new"));
    REQUIRE(old_record.size() == new_record.size());
    REQUIRE(old_record != new_record);
    std::size_t torn = 0;
    for (std::size_t k = 1; k < new_record.size(); ++k) {
        const auto cut = static_cast<std::ptrdiff_t>(k);
        Bytes new_then_old(new_record.begin(), new_record.begin() + cut);
        new_then_old.insert(new_then_old.end(), old_record.begin() + cut, old_record.end());
        Bytes old_then_new(old_record.begin(), old_record.begin() + cut);
        old_then_new.insert(old_then_new.end(), new_record.begin() + cut, new_record.end());
        Bytes erased_00(new_record.begin(), new_record.begin() + cut);
        erased_00.resize(new_record.size(), 0x00);
        Bytes erased_ff(new_record.begin(), new_record.begin() + cut);
        erased_ff.resize(new_record.size(), 0xFF);
        const Bytes prefix(new_record.begin(), new_record.begin() + cut);
        for (const Bytes& record : {new_then_old, old_then_new, erased_00, erased_ff, prefix}) {
            if (record == old_record || record == new_record) {
                continue;  // torn where both records agree: it is one of them
            }
            INFO("torn at byte " << k);
            (void)decode_error(record);
            ++torn;
        }
    }
    MESSAGE(torn << " torn records refused");
    CHECK(torn > 4 * (new_record.size() - 1));
}
