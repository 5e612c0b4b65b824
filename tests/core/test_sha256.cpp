// Known answers for core's one SHA-256 (smk/sha256.hpp): FIPS 180-2 / NIST CSRC
// examples, one-shot and streamed in chunks of awkward sizes.

#include <doctest/doctest.h>

#include <cctype>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "smk/hex.hpp"
#include "smk/sha256.hpp"

namespace {

std::string hex(const smk::Sha256& digest) {
    return smk::to_hex(digest);
}

}  // namespace

TEST_CASE("SHA-256 of \"abc\" (FIPS 180-2 example B.1)") {
    CHECK(hex(smk::sha256_text("abc")) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const std::vector<std::uint8_t> bytes = {'a', 'b', 'c'};
    CHECK(smk::sha256_bytes(bytes) == smk::sha256_text("abc"));
}

TEST_CASE("SHA-256 of the empty message") {
    const std::string empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    CHECK(hex(smk::sha256_text("")) == empty);
    CHECK(hex(smk::sha256_bytes({})) == empty);
    smk::Sha256Stream nothing;
    CHECK(hex(nothing.finish()) == empty);
    smk::Sha256Stream empty_updates;
    empty_updates.update(std::string_view());
    empty_updates.update(std::span<const std::uint8_t>());
    CHECK(hex(empty_updates.finish()) == empty);
}

TEST_CASE("SHA-256 streamed: the two-block message split at every position (FIPS 180-2 B.2)") {
    const std::string message = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    const std::string expected = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
    CHECK(hex(smk::sha256_text(message)) == expected);
    for (std::size_t cut = 0; cut <= message.size(); ++cut) {
        smk::Sha256Stream sha;
        sha.update(std::string_view(message).substr(0, cut));
        sha.update(std::string_view(message).substr(cut));
        INFO("cut at " << cut);
        CHECK(hex(sha.finish()) == expected);
    }
}

TEST_CASE("SHA-256 streamed: one million 'a' in uneven chunks (FIPS 180-2 B.3)") {
    const std::string expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    const std::vector<std::uint8_t> a(1000000, 'a');
    CHECK(hex(smk::sha256_bytes(a)) == expected);
    const std::size_t sizes[] = {1, 63, 64, 65, 127, 4096, 100003};
    smk::Sha256Stream sha;
    std::size_t done = 0;
    for (std::size_t i = 0; done < a.size(); ++i) {
        const std::size_t n = std::min(sizes[i % std::size(sizes)], a.size() - done);
        sha.update(std::span<const std::uint8_t>(a).subspan(done, n));
        done += n;
    }
    CHECK(hex(sha.finish()) == expected);
}

TEST_CASE("SHA-256 as people copy it: hex in either case or openssl's colon form, nothing else") {
    const std::string hex = smk::sha256_hex("abc");
    CHECK(smk::sha256_hex_from_text(hex) == hex);
    std::string upper = hex;
    for (char& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    CHECK(smk::sha256_hex_from_text(upper) == hex);
    std::string colon;  // "BA:78:16:BF:..." as openssl dgst -sha256 -c prints it
    for (std::size_t i = 0; i < upper.size(); i += 2) {
        colon += (i == 0 ? "" : ":") + upper.substr(i, 2);
    }
    CHECK(smk::sha256_hex_from_text(colon) == hex);
    CHECK_FALSE(smk::sha256_hex_from_text(hex.substr(1)).has_value());  // 63 digits
    CHECK_FALSE(smk::sha256_hex_from_text(hex + "0").has_value());      // 65 digits
    CHECK_FALSE(smk::sha256_hex_from_text("g" + hex.substr(1)).has_value());
    CHECK_FALSE(smk::sha256_hex_from_text(" " + hex.substr(1)).has_value());
    std::string misplaced = colon;
    std::swap(misplaced[2], misplaced[3]);  // "BA7:8..." : a colon out of place
    CHECK_FALSE(smk::sha256_hex_from_text(misplaced).has_value());
    CHECK_FALSE(smk::sha256_hex_from_text("").has_value());
}
