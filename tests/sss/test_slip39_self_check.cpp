// slip39::self_check, the one "the shares give the secret" check of every
// writer of shares (split to files, split to cards, the ceremony flows).

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "smk/error.hpp"
#include "smk/random.hpp"
#include "smk/secret.hpp"
#include "smk/slip39.hpp"

namespace {

namespace slip39 = smk::slip39;
using Sets = std::vector<std::vector<slip39::NamedMnemonic>>;

Sets named_sets(const slip39::SplitResult& split) {
    Sets sets(split.mnemonics.size());
    for (unsigned g = 0; g < split.mnemonics.size(); ++g) {
        for (std::size_t m = 0; m < split.mnemonics[g].size(); ++m) {
            sets[g].push_back({"share " + std::to_string(g) + "/" + std::to_string(m),
                               smk::Secret::copy_of(split.mnemonics[g][m].bytes())});
        }
    }
    return sets;
}

std::array<std::uint8_t, 32> key_of(std::uint8_t first) {
    std::array<std::uint8_t, 32> key{};
    for (std::size_t i = 0; i < key.size(); ++i) {
        key[i] = static_cast<std::uint8_t>(first + i);
    }
    return key;
}

}  // namespace

TEST_CASE("self_check: each set of the default split gives the secret on its own") {
    const auto key = key_of(1);
    const slip39::SplitParams params;
    const auto split = slip39::split(key, {}, params, smk::system_random());
    const auto checked = slip39::self_check(named_sets(split), key, {});
    CHECK(checked.gives_secret);
    CHECK(checked.per_set);
    REQUIRE(checked.sets.size() == 2);
    CHECK(checked.sets[0].share_count == 7);
    CHECK(checked.sets[1].group_index == 1);
}

TEST_CASE("self_check: shares of another secret do not give this one and set A is named") {
    const auto key = key_of(1);
    const auto other = key_of(2);
    const slip39::SplitParams params;
    const auto split = slip39::split(other, {}, params, smk::system_random());
    const auto checked = slip39::self_check(named_sets(split), key, {});
    CHECK_FALSE(checked.gives_secret);
    CHECK(checked.per_set);
    CHECK(checked.failed_group == 0);
}

TEST_CASE("self_check: the passphrase counts - a wrong one does not give the secret") {
    const auto key = key_of(7);
    const std::string phrase = "TREZOR";
    const std::span<const std::uint8_t> pass(reinterpret_cast<const std::uint8_t*>(phrase.data()),
                                             phrase.size());
    const slip39::SplitParams params;
    const auto split = slip39::split(key, pass, params, smk::system_random());
    CHECK(slip39::self_check(named_sets(split), key, pass).gives_secret);
    CHECK_FALSE(slip39::self_check(named_sets(split), key, {}).gives_secret);
}

TEST_CASE("self_check: with group threshold 2 all sets together give the secret") {
    const auto key = key_of(3);
    slip39::SplitParams params;
    params.group_threshold = 2;
    params.groups = {{2, 3}, {2, 3}};
    const auto split = slip39::split(key, {}, params, smk::system_random());
    const auto checked = slip39::self_check(named_sets(split), key, {});
    CHECK(checked.gives_secret);
    CHECK_FALSE(checked.per_set);
    CHECK(checked.sets.size() == 2);
}

TEST_CASE("self_check: a set that is not whole is an error naming its share") {
    const auto key = key_of(4);
    const slip39::SplitParams params;
    const auto split = slip39::split(key, {}, params, smk::system_random());
    Sets sets = named_sets(split);
    sets[1][2].mnemonic = smk::Secret::copy_of(split.mnemonics[1][3].bytes());  // index twice
    CHECK_THROWS_AS((void)slip39::self_check(sets, key, {}), smk::Error);
}
