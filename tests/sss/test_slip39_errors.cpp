// SLIP-0039 error cases: every message names the share by its source, says what
// to do, and never quotes the share's words; every error has its category.

#include <doctest/doctest.h>

#include <array>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "slip39_rs1024.hpp"
#include "slip39_share.hpp"
#include "smk/error.hpp"
#include "smk/random.hpp"
#include "smk/secret.hpp"
#include "smk/slip39.hpp"
#include "support/deterministic_random.hpp"

namespace {

using smk::ErrorCategory;
namespace slip39 = smk::slip39;

std::span<const std::uint8_t> bytes_of(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::vector<std::string> words_of(std::string_view text) {
    std::istringstream in{std::string(text)};
    std::vector<std::string> words;
    std::string word;
    while (in >> word) {
        words.push_back(word);
    }
    return words;
}

std::string join(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) {
        out += (out.empty() ? "" : " ") + w;
    }
    return out;
}

// A split with exponent 0 (fast) and a fixed stream: the same seed byte gives the
// same identifier whatever the parameters or secret, since it is drawn first.
slip39::SplitResult make_split(std::uint8_t seed_byte, slip39::SplitParams params,
                               std::size_t secret_bytes = 16, std::uint8_t secret_fill = 0x33) {
    std::array<std::uint8_t, 32> seed{};
    seed.fill(seed_byte);
    smk_test::DeterministicRandom random(seed);
    std::vector<std::uint8_t> secret(secret_bytes, secret_fill);
    return slip39::split(secret, {}, params, random);
}

slip39::SplitParams params_of(unsigned group_threshold, std::vector<slip39::GroupSpec> groups,
                              bool extendable = true, unsigned exponent = 0) {
    slip39::SplitParams params;
    params.group_threshold = group_threshold;
    params.groups = std::move(groups);
    params.extendable = extendable;
    params.iteration_exponent = exponent;
    return params;
}

slip39::NamedMnemonic named(std::string source, std::string_view text) {
    return {std::move(source), smk::Secret::copy_of(bytes_of(text))};
}

// The share with one byte of its value changed and a valid checksum: what an
// attacker or a subtle corruption would hand over.
std::string altered(const smk::Secret& mnemonic) {
    slip39::Share share = slip39::decode(mnemonic.text(), "x");
    share.value.data()[3] ^= 0x5A;
    return std::string(slip39::encode(share).text());
}

std::vector<slip39::NamedMnemonic> members(const slip39::SplitResult& split, unsigned group,
                                           std::vector<unsigned> indices) {
    std::vector<slip39::NamedMnemonic> out;
    for (const unsigned m : indices) {
        out.push_back(named(slip39::group_name(group) + std::to_string(m + 1),
                            split.mnemonics[group][m].text()));
    }
    return out;
}

// Checks category and message, and that no two adjacent words of any given
// mnemonic appear in the message.
void expect_error(const std::function<void()>& action, ErrorCategory category,
                  const std::string& part, const std::vector<std::string>& mnemonics = {}) {
    CAPTURE(part);
    CHECK_THROWS_WITH_AS(action(), doctest::Contains(part.c_str()), smk::Error);
    try {
        action();
    } catch (const smk::Error& e) {
        CHECK(e.category() == category);
        const std::string message = e.what();
        for (const std::string& mnemonic : mnemonics) {
            const auto words = words_of(mnemonic);
            for (std::size_t i = 0; i + 1 < words.size(); ++i) {
                CHECK_MESSAGE(message.find(words[i] + " " + words[i + 1]) == std::string::npos,
                              message);
            }
        }
    }
}

void combine(const std::vector<slip39::NamedMnemonic>& shares, std::string_view pass = "") {
    (void)slip39::combine(shares, bytes_of(pass));
}

}  // namespace

TEST_CASE("decode: unknown word, wrong word, too short, bad length, empty") {
    const auto split = make_split(1, params_of(1, {{2, 3}}));
    const std::string good(split.mnemonics[0][0].text());
    auto words = words_of(good);
    REQUIRE(words.size() == 20);

    auto unknown = words;
    unknown[6] = "xyzzy";
    expect_error([&] { (void)slip39::decode(join(unknown), "shares.txt line 3"); },
                 ErrorCategory::invalid_input,
                 "share \"shares.txt line 3\": word 7 is not in the SLIP-39 word list; check its "
                 "spelling",
                 {good});
    std::vector<slip39::NamedMnemonic> via_combine;
    via_combine.push_back(named("card 2", join(unknown)));
    expect_error([&] { combine(via_combine); }, ErrorCategory::invalid_input,
                 "share \"card 2\": word 7 is not in the SLIP-39 word list");

    const auto list = slip39::wordlist();
    auto one_wrong = words;
    const auto index = slip39::lookup_word(words[11]).index;
    one_wrong[11] = std::string(list[(index + 517u) % 1024u]);
    expect_error([&] { (void)slip39::decode(join(one_wrong), "x"); }, ErrorCategory::invalid_input,
                 "share \"x\": checksum failed; word 12 looks wrong", {good});
    auto first_wrong = words;
    first_wrong[0] = std::string(list[(slip39::lookup_word(words[0]).index + 1u) % 1024u]);
    expect_error([&] { (void)slip39::decode(join(first_wrong), "x"); },
                 ErrorCategory::invalid_input, "share \"x\": checksum failed; word 1 looks wrong");

    auto two_wrong = one_wrong;
    two_wrong[4] = std::string(list[(slip39::lookup_word(words[4]).index + 3u) % 1024u]);
    expect_error([&] { (void)slip39::decode(join(two_wrong), "x"); }, ErrorCategory::invalid_input,
                 "share \"x\": checksum failed; re-enter the share", {good});

    auto short_words = words;
    short_words.pop_back();
    expect_error([&] { (void)slip39::decode(join(short_words), "x"); },
                 ErrorCategory::invalid_input,
                 "share \"x\": 19 words, but a SLIP-39 share has at least 20; check for missing "
                 "words");
    auto long_words = words;
    long_words.push_back("academic");
    expect_error([&] { (void)slip39::decode(join(long_words), "x"); }, ErrorCategory::invalid_input,
                 "share \"x\": 21 words is not a valid SLIP-39 share length");
    expect_error([&] { (void)slip39::decode(" \n\t ", "empty line"); },
                 ErrorCategory::invalid_input, "share \"empty line\": no words");
}

TEST_CASE("decode: nonzero padding and impossible group fields, with valid checksums") {
    const auto split = make_split(2, params_of(1, {{2, 3}}));
    const std::string good(split.mnemonics[0][1].text());

    // 16 bytes in 13 words leave 2 padding bits at the top of word 5.
    slip39::WordIndices padded = slip39::parse_words(good, "x");
    padded.set(4, static_cast<std::uint16_t>(padded.get(4) | 0x200));
    slip39::rs1024::append_checksum(padded, true);
    const smk::Secret padded_text = slip39::words_to_text(padded);
    expect_error([&] { (void)slip39::decode(padded_text.text(), "pad"); },
                 ErrorCategory::invalid_input,
                 "share \"pad\": the padding bits of the share value are not zero",
                 {std::string(padded_text.text())});

    // Group threshold 3 of 1 group: params word 2 holds group index (4 bits),
    // group threshold - 1 (4 bits) and the top 2 bits of group count - 1.
    slip39::WordIndices threshold = slip39::parse_words(good, "x");
    threshold.set(2, static_cast<std::uint16_t>(threshold.get(2) | (2u << 2)));
    slip39::rs1024::append_checksum(threshold, true);
    expect_error([&] { (void)slip39::decode(slip39::words_to_text(threshold).text(), "gt"); },
                 ErrorCategory::invalid_input,
                 "share \"gt\": group threshold 3 is more than the group count 1");

    // Group index 4 (set E) of a split into 1 set.
    slip39::WordIndices index = slip39::parse_words(good, "x");
    index.set(2, static_cast<std::uint16_t>(index.get(2) | (4u << 6)));
    slip39::rs1024::append_checksum(index, true);
    expect_error([&] { (void)slip39::decode(slip39::words_to_text(index).text(), "gi"); },
                 ErrorCategory::invalid_input,
                 "share \"gi\": set E does not exist in a split into 1 set");
}

TEST_CASE("combine: shares from another split, mixed parameters, repeated index") {
    const auto base = make_split(3, params_of(1, {{2, 3}}));
    const auto foreign = make_split(4, params_of(1, {{2, 3}}));
    REQUIRE(base.identifier != foreign.identifier);
    auto shares = members(base, 0, {0, 1});
    shares.push_back(named("b", foreign.mnemonics[0][2].text()));
    expect_error([&] { combine(shares); }, ErrorCategory::invalid_input,
                 "share \"b\" belongs to another split (identifier " +
                     std::to_string(foreign.identifier) + ", expected " +
                     std::to_string(base.identifier) + ")",
                 {std::string(foreign.mnemonics[0][2].text())});
    // The majority decides which share is the odd one out.
    std::vector<slip39::NamedMnemonic> minority;
    minority.push_back(named("lonely", base.mnemonics[0][0].text()));
    minority.push_back(named("f1", foreign.mnemonics[0][0].text()));
    minority.push_back(named("f2", foreign.mnemonics[0][1].text()));
    expect_error([&] { combine(minority); }, ErrorCategory::invalid_input,
                 "share \"lonely\" belongs to another split (identifier " +
                     std::to_string(base.identifier) + ", expected " +
                     std::to_string(foreign.identifier) + ")");

    struct Mixed {
        slip39::SplitResult other;
        std::string message;
    };
    const std::vector<std::pair<slip39::SplitResult, std::string>> cases = [] {
        std::vector<std::pair<slip39::SplitResult, std::string>> c;
        c.emplace_back(make_split(3, params_of(1, {{2, 3}}, true, 1)),
                       "shares \"a\" and \"c\" have different iteration exponents (0 and 1)");
        c.emplace_back(make_split(3, params_of(1, {{2, 3}}, false)),
                       "shares \"a\" and \"c\" differ in the extendable flag");
        c.emplace_back(make_split(3, params_of(1, {{2, 3}, {2, 3}})),
                       "shares \"a\" and \"c\" have different group counts (1 and 2)");
        c.emplace_back(make_split(3, params_of(1, {{2, 3}}), 32),
                       "shares \"a\" and \"c\" have different lengths (16 and 32 bytes)");
        c.emplace_back(
            make_split(3, params_of(1, {{3, 3}})),
            "shares \"a\" and \"c\" have different member thresholds in set A (2 and 3)");
        return c;
    }();
    for (const auto& [other, message] : cases) {
        REQUIRE(other.identifier == base.identifier);
        std::vector<slip39::NamedMnemonic> mixed;
        mixed.push_back(named("a", base.mnemonics[0][0].text()));
        mixed.push_back(named("b", base.mnemonics[0][1].text()));
        mixed.push_back(named("c", other.mnemonics[0][2].text()));
        expect_error([&] { combine(mixed); }, ErrorCategory::invalid_input, message);
    }
    const auto two_groups = make_split(3, params_of(1, {{2, 3}, {2, 3}}));
    const auto two_needed = make_split(3, params_of(2, {{2, 3}, {2, 3}}));
    std::vector<slip39::NamedMnemonic> thresholds;
    thresholds.push_back(named("a", two_groups.mnemonics[0][0].text()));
    thresholds.push_back(named("c", two_needed.mnemonics[1][0].text()));
    expect_error([&] { combine(thresholds); }, ErrorCategory::invalid_input,
                 "shares \"a\" and \"c\" have different group thresholds (1 and 2)");

    std::vector<slip39::NamedMnemonic> repeated;
    repeated.push_back(named("a", base.mnemonics[0][2].text()));
    repeated.push_back(named("b", base.mnemonics[0][0].text()));
    repeated.push_back(named("c", base.mnemonics[0][2].text()));
    expect_error([&] { combine(repeated); }, ErrorCategory::invalid_input,
                 "shares \"a\" and \"c\" have the same index 3 in set A");
}

TEST_CASE("combine: not enough shares, per set and in sets") {
    const auto split = make_split(5, params_of(1, {{5, 7}, {5, 7}}));
    auto shares = members(split, 0, {0, 3, 6});
    shares.push_back(named("B2", split.mnemonics[1][1].text()));
    CHECK_THROWS_WITH_AS(combine(shares), "not enough shares: set A: 3 of 5 needed; set B: 1 of 5",
                         smk::Error);
    expect_error([&] { combine(shares); }, ErrorCategory::insufficient, "set A: 3 of 5 needed");
    expect_error([&] { combine({}); }, ErrorCategory::insufficient,
                 "not enough shares: none given");

    const auto sets = make_split(6, params_of(2, {{2, 3}, {2, 3}, {3, 3}}));
    auto partial = members(sets, 0, {0, 2});
    partial.push_back(named("C1", sets.mnemonics[2][0].text()));
    CHECK_THROWS_WITH_AS(combine(partial),
                         "not enough shares: set A: 2 of 2 needed; set C: 1 of 3; 2 of 3 sets "
                         "needed, 1 complete",
                         smk::Error);
    expect_error([&] { combine(partial); }, ErrorCategory::insufficient, "2 of 3 sets needed");
}

TEST_CASE("combine: a share that disagrees is named - no agreeing subset is reported") {
    const auto split = make_split(7, params_of(1, {{5, 7}, {5, 7}}));
    for (const unsigned bad : {0u, 3u, 6u}) {
        CAPTURE(bad);
        auto shares = members(split, 0, {0, 1, 2, 3, 4, 5, 6});
        shares[bad].mnemonic = smk::Secret::copy_of(bytes_of(altered(shares[bad].mnemonic)));
        shares[bad].source = "c";
        expect_error([&] { combine(shares); }, ErrorCategory::verification,
                     "share \"c\" disagrees with the other shares of set A: it is corrupted or "
                     "altered");
    }
    auto two_bad = members(split, 1, {0, 1, 2, 3, 4, 5, 6});
    two_bad[1].mnemonic = smk::Secret::copy_of(bytes_of(altered(two_bad[1].mnemonic)));
    two_bad[5].mnemonic = smk::Secret::copy_of(bytes_of(altered(two_bad[5].mnemonic)));
    expect_error([&] { combine(two_bad); }, ErrorCategory::verification,
                 "shares \"set B2\" and \"set B6\" disagree with the other shares of set B: they "
                 "are corrupted or altered");

    auto exact = members(split, 0, {0, 1, 2, 3, 4});
    exact[2].mnemonic = smk::Secret::copy_of(bytes_of(altered(exact[2].mnemonic)));
    expect_error([&] { combine(exact); }, ErrorCategory::verification,
                 "no 5 shares of set A agree (digest check failed); shares may be corrupted or "
                 "from different splits");

    // The same shares through verify_set name the same culprit.
    auto set = members(split, 0, {0, 1, 2, 3, 4, 5});
    set[4].mnemonic = smk::Secret::copy_of(bytes_of(altered(set[4].mnemonic)));
    expect_error([&] { (void)slip39::verify_set(set); }, ErrorCategory::verification,
                 "share \"set A5\" disagrees with the other shares of set A");
}

TEST_CASE("combine: complete sets that disagree at the group level") {
    // Same seed, same identifier, different secrets: each set verifies on its own.
    const auto one = make_split(8, params_of(1, {{2, 3}, {2, 3}}), 16, 0x01);
    const auto two = make_split(8, params_of(1, {{2, 3}, {2, 3}}), 16, 0x02);
    REQUIRE(one.identifier == two.identifier);
    auto shares = members(one, 0, {0, 1});
    for (auto& s : members(two, 1, {1, 2})) {
        shares.push_back(std::move(s));
    }
    expect_error([&] { combine(shares); }, ErrorCategory::verification,
                 "set B gives a different secret than set A");

    const auto g1 = make_split(9, params_of(2, {{2, 3}, {2, 3}, {2, 3}}), 16, 0x01);
    const auto g2 = make_split(9, params_of(2, {{2, 3}, {2, 3}, {2, 3}}), 16, 0x02);
    auto three = members(g1, 0, {0, 1});
    for (auto& s : members(g1, 1, {0, 2})) {
        three.push_back(std::move(s));
    }
    for (auto& s : members(g2, 2, {1, 2})) {
        three.push_back(std::move(s));
    }
    expect_error([&] { combine(three); }, ErrorCategory::verification,
                 "set C disagrees with the other sets: its shares are corrupted or altered");
    auto pair = members(g1, 0, {0, 1});
    for (auto& s : members(g2, 2, {1, 2})) {
        pair.push_back(std::move(s));
    }
    expect_error([&] { combine(pair); }, ErrorCategory::verification,
                 "no 2 sets agree (digest check failed)");
}

TEST_CASE("verify_set: one set at a time, enough shares") {
    const auto split = make_split(10, params_of(1, {{3, 4}, {3, 4}}));
    auto mixed = members(split, 0, {0, 1});
    mixed.push_back(named("b", split.mnemonics[1][0].text()));
    expect_error([&] { (void)slip39::verify_set(mixed); }, ErrorCategory::invalid_input,
                 "share \"b\" is from set B but share \"set A1\" is from set A; verify one set at "
                 "a time");
    auto few = members(split, 1, {0, 3});
    CHECK_THROWS_WITH_AS((void)slip39::verify_set(few), "not enough shares: set B: 2 of 3 needed",
                         smk::Error);
    expect_error([&] { (void)slip39::verify_set({}); }, ErrorCategory::insufficient,
                 "not enough shares: none given");
    const auto ok = slip39::verify_set(members(split, 1, {0, 1, 2, 3}));
    CHECK(ok.subsets_checked == 4);
}

TEST_CASE("passphrase must be printable ASCII") {
    const std::array<std::uint8_t, 16> key{};
    smk_test::DeterministicRandom random(std::array<std::uint8_t, 32>{});
    const auto params = params_of(1, {{2, 3}});
    expect_error([&] { (void)slip39::split(key, bytes_of("tab\there"), params, random); },
                 ErrorCategory::usage, "the passphrase may contain only printable ASCII");
    const auto split = make_split(11, params);
    expect_error(
        [&] {
            combine(members(split, 0, {0, 1}), "caf\xc3\xa9");
        },
        ErrorCategory::usage, "printable ASCII");
    expect_error([&] { (void)slip39::decrypt(key, bytes_of("\x7f"), {}); }, ErrorCategory::usage,
                 "printable ASCII");
    CHECK_NOTHROW(combine(members(split, 0, {0, 1}), " !~azAZ09"));
}

TEST_CASE("validate names the parameter that is out of range") {
    const auto check = [](const slip39::SplitParams& params, std::size_t bytes,
                          const std::string& message) {
        expect_error([&] { slip39::validate(params, bytes); }, ErrorCategory::usage, message);
    };
    CHECK_NOTHROW(slip39::validate(slip39::SplitParams{}, 32));
    check(params_of(1, {{1, 3}}), 32,
          "--group 1/3: a threshold of 1 with more than one share is not allowed by SLIP-39; use "
          "1/1");
    CHECK_NOTHROW(slip39::validate(params_of(1, {{1, 1}}), 16));
    check(params_of(3, {{2, 3}, {2, 3}}), 32, "group threshold 3 is more than the 2 groups");
    check(params_of(0, {{2, 3}}), 32, "the group threshold must be at least 1");
    check(params_of(1, {}), 32, "a split has 1 to 16 groups, got 0");
    check(params_of(1, std::vector<slip39::GroupSpec>(17, {2, 3})), 32,
          "a split has 1 to 16 groups, got 17");
    check(params_of(1, {{6, 5}}), 32, "--group 6/5: the threshold is more than the 5 shares");
    check(params_of(1, {{0, 5}}), 32, "--group 0/5: the threshold must be at least 1");
    check(params_of(1, {{2, 17}}), 32, "--group 2/17: a set has 1 to 16 shares");
    check(params_of(1, {{2, 3}}, true, 16), 32,
          "iteration exponent 16 is out of range; use 0 to 15");
    check(slip39::SplitParams{}, 15,
          "the secret must be at least 16 bytes and an even number of bytes, got 15");
    check(slip39::SplitParams{}, 33,
          "the secret must be at least 16 bytes and an even number of bytes, got 33");
    check(slip39::SplitParams{}, 14,
          "the secret must be at least 16 bytes and an even number of bytes, got 14");
    CHECK_NOTHROW(slip39::validate(slip39::SplitParams{}, 18));
    // split() validates before drawing any randomness.
    const std::array<std::uint8_t, 15> odd{};
    smk_test::DeterministicRandom random(std::array<std::uint8_t, 32>{});
    expect_error([&] { (void)slip39::split(odd, {}, slip39::SplitParams{}, random); },
                 ErrorCategory::usage, "got 15");
}

TEST_CASE("encode refuses fields a mnemonic cannot carry") {
    const auto split = make_split(12, params_of(1, {{2, 3}}));
    slip39::Share share = slip39::decode(split.mnemonics[0][0].text(), "x");
    share.info.member_index = 16;
    expect_error([&] { (void)slip39::encode(share); }, ErrorCategory::invalid_input,
                 "cannot encode the share");
    share.info.member_index = 0;
    share.info.identifier = 0x8000;
    expect_error([&] { (void)slip39::encode(share); }, ErrorCategory::invalid_input,
                 "cannot encode the share");
}
