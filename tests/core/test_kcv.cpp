// The one KCV text parser (smk/kcv.hpp): exactly 6 hex digits, either case.

#include <doctest/doctest.h>

#include <array>
#include <string>

#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/kcv.hpp"

namespace {

// The smk::Error parse_kcv throws for `text` (fails if it throws none).
smk::Error parse_error(const std::string& text) {
    try {
        (void)smk::parse_kcv(text, "--expect-kcv");
    } catch (const smk::Error& error) {
        return error;
    }
    FAIL("parse_kcv accepted \"" << text << "\"");
    return smk::Error(smk::ErrorCategory::internal, "unreachable");
}

}  // namespace

TEST_CASE("parse_kcv reads 6 lower-case hex digits") {
    CHECK(smk::parse_kcv("1a2b3c", "the plan's KCV") == smk::Kcv{0x1a, 0x2b, 0x3c});
    CHECK(smk::parse_kcv("000000", "x") == smk::Kcv{0x00, 0x00, 0x00});
    CHECK(smk::parse_kcv("ffffff", "x") == smk::Kcv{0xff, 0xff, 0xff});
}

TEST_CASE("parse_kcv reads upper and mixed case alike") {
    CHECK(smk::parse_kcv("1A2B3C", "x") == smk::Kcv{0x1a, 0x2b, 0x3c});
    CHECK(smk::parse_kcv("aBcDeF", "x") == smk::Kcv{0xab, 0xcd, 0xef});
}

TEST_CASE("parse_kcv round-trips kcv_hex") {
    const smk::Kcv kcv{0x9e, 0x04, 0x7d};
    CHECK(smk::parse_kcv(smk::kcv_hex(kcv), "x") == kcv);
}

TEST_CASE("parse_kcv refuses the wrong length, naming what it parsed") {
    for (const std::string text : {"", "1a2b3", "1a2b3c4", "1a2b3c4d", "1a2b3c "}) {
        INFO("text: \"" << text << "\"");
        const smk::Error error = parse_error(text);
        CHECK(error.category() == smk::ErrorCategory::usage);
        CHECK(std::string(error.what()).find("--expect-kcv") != std::string::npos);
        CHECK(std::string(error.what()).find("6 hex digits") != std::string::npos);
    }
}

TEST_CASE("parse_kcv refuses characters that are not hex digits") {
    for (const std::string text : {"1a2b3g", "0x1a2b", " 1a2b3", "1a-2b3", "zzzzzz", "1a2b3\n"}) {
        INFO("text: \"" << text << "\"");
        const smk::Error error = parse_error(text);
        CHECK(error.category() == smk::ErrorCategory::usage);
        CHECK(std::string(error.what()).find("--expect-kcv") != std::string::npos);
    }
}

TEST_CASE("decode_public_hex takes exactly the digits asked for, either case") {
    std::array<std::uint8_t, 2> out{};
    CHECK(smk::decode_public_hex("aB0f", out));
    CHECK(out == std::array<std::uint8_t, 2>{0xAB, 0x0F});
    CHECK_FALSE(smk::decode_public_hex("ab0", out));
    CHECK_FALSE(smk::decode_public_hex("ab0f0", out));
    CHECK_FALSE(smk::decode_public_hex("ab0g", out));
    CHECK_FALSE(smk::decode_public_hex(" ab0", out));
    std::array<std::uint8_t, 0> none{};
    CHECK(smk::decode_public_hex("", none));
}
