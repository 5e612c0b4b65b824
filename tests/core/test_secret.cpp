#include <doctest/doctest.h>

#include <array>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/kcv.hpp"
#include "smk/process_hardening.hpp"
#include "smk/random.hpp"
#include "smk/secret.hpp"
#include "support/deterministic_random.hpp"

TEST_CASE("Secret is zero-filled, movable and compares in constant time") {
    smk::Secret a(32);
    REQUIRE(a.size() == 32);
    for (auto b : a.bytes()) {
        CHECK(b == 0);
    }
    a.data()[0] = 0x42;
    smk::Secret b = std::move(a);
    CHECK(a.empty());
    CHECK(b.data()[0] == 0x42);
    smk::Secret c = smk::Secret::copy_of(b.bytes());
    CHECK(smk::constant_time_equal(b.bytes(), c.bytes()));
    c.data()[31] ^= 1;
    CHECK_FALSE(smk::constant_time_equal(b.bytes(), c.bytes()));
    CHECK_FALSE(smk::constant_time_equal(b.bytes(), std::span<const std::uint8_t>(b.data(), 31)));
    c.truncate(4);
    CHECK(c.size() == 4);
}

TEST_CASE("an empty Secret owns nothing") {
    smk::Secret s(0);
    CHECK(s.empty());
    CHECK(s.data() == nullptr);
}

TEST_CASE("hex of secrets round-trips and rejects bad text with the name of the input") {
    const std::array<std::uint8_t, 4> bytes{0x00, 0xab, 0x10, 0xff};
    CHECK(smk::to_hex(bytes) == "00ab10ff");
    CHECK(smk::to_hex_secret(bytes).text() == "00ab10ff");
    const smk::Secret back = smk::from_hex_secret("  00AB10ff\n", "key.hex");
    CHECK(smk::constant_time_equal(back.bytes(), bytes));
    CHECK_THROWS_WITH_AS(smk::from_hex_secret("abc", "key.hex"),
                         doctest::Contains("key.hex: expected an even number"), smk::Error);
    CHECK_THROWS_WITH_AS(smk::from_hex_secret("zz", "key.hex"),
                         doctest::Contains("key.hex: not valid hex"), smk::Error);
}

TEST_CASE("hex that is not one run of digits says why, naming the input") {
    const auto message = [](std::string_view text) {
        try {
            (void)smk::from_hex_secret(text, "key.hex");
        } catch (const smk::Error& e) {
            CHECK(e.category() == smk::ErrorCategory::invalid_input);
            return std::string(e.what());
        }
        FAIL("accepted: " << text);
        return std::string();
    };
    CHECK(message("") == "key.hex is empty; it must hold hex digits (two per byte) on one line");
    CHECK(message(" \n") ==
          "key.hex holds only white space; it must hold hex digits (two per byte) on one line");
    CHECK(message("0x00ab") ==
          "key.hex starts with 0x: remove the 0x prefix and give only the "
          "hex digits");
    CHECK(message("00ab\n10ff\n").find("key.hex: the hex digits are on 2 lines") == 0);
    CHECK(message("00ab\n10f\n").find("xxd -p -c 32") != std::string::npos);
    CHECK(message("00 ab 10 ff").find("key.hex: the hex digits are separated by white space") == 0);
    CHECK(message("00ab1g") ==
          "key.hex: not valid hex: character 6 is not a hex digit (only "
          "0-9, a-f and A-F are allowed)");
    CHECK(message("00ab1") ==
          "key.hex: expected an even number of hex digits (two per byte), "
          "got 5; check the file");
    // Accepted as before: either case, surrounding white space.
    CHECK(smk::from_hex_secret("\t00aB10Ff \r\n", "key.hex").size() == 4);
}

TEST_CASE("KCV is the first 3 bytes of AES-ECB of a zero block") {
    // NIST SP 800-38A / FIPS-197 known answer: AES-256 with the all-zero key
    // encrypts the zero block to dc95c078a2408989ad48a21492842087.
    const std::array<std::uint8_t, 32> zero_key{};
    CHECK(smk::kcv_hex(smk::key_check_value(zero_key)) == "dc95c0");
    // AES-128 zero key: 66e94bd4ef8a2c3b884cfa59ca342b2e.
    const std::array<std::uint8_t, 16> zero_key128{};
    CHECK(smk::kcv_hex(smk::key_check_value(zero_key128)) == "66e94b");
    const std::array<std::uint8_t, 20> bad{};
    CHECK_THROWS_AS((void)smk::key_check_value(bad), smk::Error);
}

TEST_CASE("DeterministicRandom is one keystream however it is drawn") {
    std::array<std::uint8_t, 32> seed{};
    seed[0] = 7;
    smk_test::DeterministicRandom one(seed);
    smk_test::DeterministicRandom two(seed);
    std::array<std::uint8_t, 200> whole{};
    one.fill(whole);
    std::array<std::uint8_t, 200> pieces{};
    two.fill(std::span(pieces).subspan(0, 3));
    two.fill(std::span(pieces).subspan(3, 70));
    two.fill(std::span(pieces).subspan(73, 127));
    CHECK(whole == pieces);
    std::array<std::uint8_t, 200> zeros{};
    CHECK(whole != zeros);
}

TEST_CASE("exit codes are distinct per category") {
    using C = smk::ErrorCategory;
    const C all[] = {C::usage, C::invalid_input, C::insufficient, C::verification,
                     C::io,    C::refused,       C::device,       C::internal};
    for (std::size_t i = 0; i < std::size(all); ++i) {
        CHECK(smk::exit_code(all[i]) != 0);
        for (std::size_t j = i + 1; j < std::size(all); ++j) {
            CHECK(smk::exit_code(all[i]) != smk::exit_code(all[j]));
        }
    }
}

TEST_CASE("disable_core_dumps takes effect") {
    smk::disable_core_dumps();
    CHECK(smk::core_dumps_disabled());
}
