// SLIP-0039 round trips over random configurations, all randomness from seeded
// DeterministicRandom streams so that any failure reproduces.

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "smk/error.hpp"
#include "smk/random.hpp"
#include "smk/secret.hpp"
#include "smk/slip39.hpp"
#include "support/deterministic_random.hpp"

namespace {

// Test choices (not key material) drawn from a seeded stream.
class Dice final {
  public:
    explicit Dice(std::uint8_t seed_byte) : m_random(make_seed(seed_byte)) {}

    // Uniform enough in [0, n) for test choices.
    unsigned below(unsigned n) {
        std::array<std::uint8_t, 4> b{};
        m_random.fill(b);
        const std::uint32_t v = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                                (std::uint32_t{b[2]} << 8) | b[3];
        return static_cast<unsigned>(v % n);
    }
    unsigned between(unsigned lo, unsigned hi) { return lo + below(hi - lo + 1); }

    template <typename T>
    void shuffle(std::vector<T>& items) {
        for (std::size_t i = items.size(); i > 1; --i) {
            std::swap(items[i - 1], items[below(static_cast<unsigned>(i))]);
        }
    }
    void fill(std::span<std::uint8_t> out) { m_random.fill(out); }

  private:
    static std::array<std::uint8_t, 32> make_seed(std::uint8_t b) {
        std::array<std::uint8_t, 32> seed{};
        seed.fill(b);
        return seed;
    }
    smk_test::DeterministicRandom m_random;
};

struct Config {
    smk::slip39::SplitParams params;
    smk::Secret secret;
    std::string passphrase;
};

Config random_config(Dice& dice) {
    Config config;
    // Every configuration in range can come up, but the large ones (up to 256
    // shares, each a few guarded allocations) only now and then, to keep the run short.
    const bool large = dice.below(4) == 0;
    const unsigned groups = dice.between(1, large ? 16 : 5);
    config.params.groups.clear();
    for (unsigned g = 0; g < groups; ++g) {
        const unsigned count = dice.between(1, large ? 16 : 8);
        // 1-of-n with n > 1 is forbidden: threshold 1 only for a single share.
        const unsigned threshold = count == 1 ? 1 : dice.between(2, count);
        config.params.groups.push_back({threshold, count});
    }
    config.params.group_threshold = dice.between(1, groups);
    config.params.extendable = dice.below(2) == 1;
    // PBKDF2 dominates the run time: mostly exponent 0.
    const unsigned roll = dice.below(10);
    config.params.iteration_exponent = roll < 7 ? 0 : (roll < 9 ? 1 : 2);
    config.secret = smk::Secret(2 * dice.between(8, 32));
    dice.fill(config.secret.bytes());
    const unsigned pass_length = dice.below(3) == 0 ? 0 : dice.between(1, 24);
    for (unsigned i = 0; i < pass_length; ++i) {
        config.passphrase += static_cast<char>(dice.between(32, 126));
    }
    return config;
}

std::span<const std::uint8_t> bytes_of(const std::string& text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string describe(const Config& c) {
    std::string out = "gt " + std::to_string(c.params.group_threshold) + " groups";
    for (const auto& g : c.params.groups) {
        out += " " + std::to_string(g.threshold) + "/" + std::to_string(g.count);
    }
    out += " e " + std::to_string(c.params.iteration_exponent) +
           (c.params.extendable ? " ext" : " orig") + " len " + std::to_string(c.secret.size()) +
           " pass " + std::to_string(c.passphrase.size());
    return out;
}

smk::slip39::NamedMnemonic named(const smk::slip39::SplitResult& split, unsigned g, unsigned m) {
    return {smk::slip39::group_name(g) + " #" + std::to_string(m + 1),
            smk::Secret::copy_of(split.mnemonics[g][m].bytes())};
}

}  // namespace

TEST_CASE("random configurations split and recombine from exact and surplus shares") {
    Dice dice(0x11);
    for (int round = 0; round < 30; ++round) {
        const Config config = random_config(dice);
        CAPTURE(round);
        CAPTURE(describe(config));
        std::array<std::uint8_t, 32> seed{};
        dice.fill(seed);
        smk_test::DeterministicRandom random(seed);
        const smk::slip39::SplitResult split = smk::slip39::split(
            config.secret.bytes(), bytes_of(config.passphrase), config.params, random);
        const std::size_t groups = config.params.groups.size();
        REQUIRE(split.mnemonics.size() == groups);
        for (unsigned g = 0; g < groups; ++g) {
            REQUIRE(split.mnemonics[g].size() == config.params.groups[g].count);
            for (unsigned m = 0; m < config.params.groups[g].count; ++m) {
                const smk::slip39::Share share =
                    smk::slip39::decode(split.mnemonics[g][m].text(), "new");
                CHECK(share.info.identifier == split.identifier);
                CHECK(share.info.group_index == g);
                CHECK(share.info.member_index == m);
                CHECK(share.info.member_threshold == config.params.groups[g].threshold);
                CHECK(share.info.group_threshold == config.params.group_threshold);
                CHECK(share.info.group_count == groups);
                CHECK(share.info.extendable == config.params.extendable);
                CHECK(share.info.iteration_exponent == config.params.iteration_exponent);
                CHECK(share.info.value_bytes == config.secret.size());
            }
        }

        // Exactly the threshold: group_threshold sets, each with exactly its threshold.
        std::vector<unsigned> order(groups);
        for (unsigned g = 0; g < groups; ++g) {
            order[g] = g;
        }
        dice.shuffle(order);
        std::vector<smk::slip39::NamedMnemonic> exact;
        for (unsigned k = 0; k < config.params.group_threshold; ++k) {
            const unsigned g = order[k];
            std::vector<unsigned> members(config.params.groups[g].count);
            for (unsigned m = 0; m < members.size(); ++m) {
                members[m] = m;
            }
            dice.shuffle(members);
            for (unsigned i = 0; i < config.params.groups[g].threshold; ++i) {
                exact.push_back(named(split, g, members[i]));
            }
        }
        dice.shuffle(exact);
        const smk::slip39::CombineResult result =
            smk::slip39::combine(exact, bytes_of(config.passphrase));
        CHECK(smk::constant_time_equal(result.master_secret.bytes(), config.secret.bytes()));
        CHECK(result.groups_used.size() == config.params.group_threshold);
        CHECK(result.sources_used.size() == exact.size());
        CHECK(result.params.identifier == split.identifier);

        // Surplus: more sets and more members than needed, plus a partial set.
        std::vector<smk::slip39::NamedMnemonic> surplus;
        const unsigned complete =
            dice.between(config.params.group_threshold, static_cast<unsigned>(groups));
        for (unsigned k = 0; k < groups; ++k) {
            const unsigned g = order[k];
            const auto& spec = config.params.groups[g];
            unsigned take = 0;
            if (k < complete) {
                take = dice.between(spec.threshold, spec.count);
            } else if (spec.threshold > 1) {
                take = dice.below(spec.threshold);  // an incomplete set is ignored
            }
            std::vector<unsigned> members(spec.count);
            for (unsigned m = 0; m < members.size(); ++m) {
                members[m] = m;
            }
            dice.shuffle(members);
            for (unsigned i = 0; i < take; ++i) {
                surplus.push_back(named(split, g, members[i]));
            }
        }
        dice.shuffle(surplus);
        const smk::slip39::CombineResult more =
            smk::slip39::combine(surplus, bytes_of(config.passphrase));
        CHECK(smk::constant_time_equal(more.master_secret.bytes(), config.secret.bytes()));
        CHECK(more.groups_used.size() == complete);
    }
}

TEST_CASE("verify_set checks every threshold-subset of a set and yields the group secret") {
    Dice dice(0x22);
    for (int round = 0; round < 12; ++round) {
        Config config = random_config(dice);
        config.params.group_threshold = 1;  // the group secret is then the encrypted secret
        CAPTURE(round);
        CAPTURE(describe(config));
        smk_test::DeterministicRandom random(
            std::array<std::uint8_t, 32>{static_cast<std::uint8_t>(round)});
        const smk::slip39::SplitResult split = smk::slip39::split(
            config.secret.bytes(), bytes_of(config.passphrase), config.params, random);
        const unsigned g = dice.below(static_cast<unsigned>(config.params.groups.size()));
        const auto& spec = config.params.groups[g];
        std::vector<smk::slip39::NamedMnemonic> set;
        for (unsigned m = 0; m < spec.count; ++m) {
            set.push_back(named(split, g, m));
        }
        dice.shuffle(set);
        smk::Secret group_secret;
        const smk::slip39::SetVerification verified = smk::slip39::verify_set(set, &group_secret);
        // C(count, threshold)
        unsigned long long subsets = 1;
        for (unsigned i = 0; i < spec.threshold; ++i) {
            subsets = subsets * (spec.count - i) / (i + 1);
        }
        CHECK(verified.subsets_checked == subsets);
        CHECK(verified.share_count == spec.count);
        CHECK(verified.group_index == g);
        CHECK(verified.params.identifier == split.identifier);
        const smk::Secret decrypted = smk::slip39::decrypt(
            group_secret.bytes(), bytes_of(config.passphrase), verified.params);
        CHECK(smk::constant_time_equal(decrypted.bytes(), config.secret.bytes()));
    }
}

TEST_CASE(
    "the default split: either set alone recovers, and the same stream gives the same shares") {
    std::array<std::uint8_t, 32> key{};
    for (std::size_t i = 0; i < key.size(); ++i) {
        key[i] = static_cast<std::uint8_t>(0xA0 + i);
    }
    const std::array<std::uint8_t, 32> seed{7, 7, 7};
    smk_test::DeterministicRandom first(seed);
    smk_test::DeterministicRandom second(seed);
    const smk::slip39::SplitParams params;
    const auto a = smk::slip39::split(key, {}, params, first);
    const auto b = smk::slip39::split(key, {}, params, second);
    // The identifier is the first two bytes drawn, masked to 15 bits.
    smk_test::DeterministicRandom replay(seed);
    std::array<std::uint8_t, 2> id{};
    replay.fill(id);
    CHECK(a.identifier == (((id[0] << 8) | id[1]) & 0x7FFF));
    CHECK(a.identifier == b.identifier);
    for (unsigned g = 0; g < 2; ++g) {
        for (unsigned m = 0; m < 7; ++m) {
            CHECK(a.mnemonics[g][m].text() == b.mnemonics[g][m].text());
        }
        std::vector<smk::slip39::NamedMnemonic> set;
        for (unsigned m = 2; m < 7; ++m) {
            set.push_back(named(a, g, m));
        }
        const auto result = smk::slip39::combine(set, {});
        CHECK(smk::constant_time_equal(result.master_secret.bytes(), key));
        CHECK(result.groups_used == std::vector<unsigned>{g});
    }
    // A different stream gives different shares.
    smk_test::DeterministicRandom other(std::array<std::uint8_t, 32>{8});
    const auto c = smk::slip39::split(key, {}, params, other);
    CHECK(c.mnemonics[0][0].text() != a.mnemonics[0][0].text());
}

TEST_CASE("a wrong passphrase recovers a different secret without an error, as SLIP-39 intends") {
    std::array<std::uint8_t, 16> key{};
    key.fill(0x42);
    smk_test::DeterministicRandom random(std::array<std::uint8_t, 32>{9});
    smk::slip39::SplitParams params;
    params.groups = {{2, 3}};
    params.iteration_exponent = 0;
    const std::string passphrase = "correct horse";
    const auto split = smk::slip39::split(key, bytes_of(passphrase), params, random);
    std::vector<smk::slip39::NamedMnemonic> set;
    set.push_back(named(split, 0, 0));
    set.push_back(named(split, 0, 2));
    CHECK(smk::constant_time_equal(
        smk::slip39::combine(set, bytes_of(passphrase)).master_secret.bytes(), key));
    CHECK_FALSE(smk::constant_time_equal(
        smk::slip39::combine(set, bytes_of(std::string("correct horsE"))).master_secret.bytes(),
        key));
    CHECK_FALSE(smk::constant_time_equal(smk::slip39::combine(set, {}).master_secret.bytes(), key));
}

TEST_CASE("extremes: 16 sets of 16 shares, 64-byte secret - and a single 1-of-1 share") {
    std::array<std::uint8_t, 64> key{};
    for (std::size_t i = 0; i < key.size(); ++i) {
        key[i] = static_cast<std::uint8_t>(255 - i);
    }
    smk::slip39::SplitParams params;
    params.group_threshold = 16;
    params.groups.assign(16, {16, 16});
    params.extendable = false;
    params.iteration_exponent = 0;
    smk_test::DeterministicRandom random(std::array<std::uint8_t, 32>{16});
    const auto split = smk::slip39::split(key, bytes_of("~"), params, random);
    std::vector<smk::slip39::NamedMnemonic> all;
    for (unsigned g = 0; g < 16; ++g) {
        for (unsigned m = 0; m < 16; ++m) {
            all.push_back(named(split, g, m));
        }
    }
    CHECK(split.mnemonics[15][15].text().size() > 0);
    const auto result = smk::slip39::combine(all, bytes_of("~"));
    CHECK(smk::constant_time_equal(result.master_secret.bytes(), key));
    CHECK(result.groups_used.size() == 16);
    all.pop_back();
    CHECK_THROWS_AS((void)smk::slip39::combine(all, bytes_of("~")), smk::Error);

    smk::slip39::SplitParams single;
    single.groups = {{1, 1}};
    single.iteration_exponent = 0;
    const auto one = smk::slip39::split(std::span(key).first(16), {}, single, random);
    std::vector<smk::slip39::NamedMnemonic> just_one;
    just_one.push_back(named(one, 0, 0));
    const auto alone = smk::slip39::combine(just_one, {});
    CHECK(smk::constant_time_equal(alone.master_secret.bytes(), std::span(key).first(16)));
    const auto verified = smk::slip39::verify_set(just_one);
    CHECK(verified.subsets_checked == 1);
}

TEST_CASE("combine names each set given with fewer shares than its threshold as not checked") {
    std::array<std::uint8_t, 32> seed{};
    seed.fill(0x39);
    smk_test::DeterministicRandom random(seed);
    const smk::Secret secret = smk::Secret::copy_of(std::array<std::uint8_t, 16>{1, 2, 3, 4});
    const auto split = smk::slip39::split(secret.bytes(), {}, smk::slip39::SplitParams{}, random);
    std::vector<smk::slip39::NamedMnemonic> shares;
    for (std::size_t m = 0; m < 5; ++m) {  // set A: a quorum
        shares.push_back(
            {"A" + std::to_string(m + 1), smk::Secret::copy_of(split.mnemonics[0][m].bytes())});
    }
    for (std::size_t m = 2; m < 6; ++m) {  // set B: 4 of the 5 needed
        shares.push_back(
            {"B" + std::to_string(m + 1), smk::Secret::copy_of(split.mnemonics[1][m].bytes())});
    }
    const auto result = smk::slip39::combine(shares, {});
    CHECK(std::equal(result.master_secret.bytes().begin(), result.master_secret.bytes().end(),
                     secret.bytes().begin(), secret.bytes().end()));
    CHECK(result.groups_used == std::vector<unsigned>{0});
    REQUIRE(result.sets_not_checked.size() == 1);
    const smk::slip39::UncheckedSet& unchecked = result.sets_not_checked.front();
    CHECK(unchecked.group == 1);
    CHECK(unchecked.needed == 5);
    CHECK(unchecked.sources == std::vector<std::string>{"B3", "B4", "B5", "B6"});
    CHECK(unchecked.text() == "set B: 4 shares given, 5 needed to check them; not used");

    shares.resize(5);  // set A alone: nothing left unchecked
    CHECK(smk::slip39::combine(shares, {}).sets_not_checked.empty());
}
