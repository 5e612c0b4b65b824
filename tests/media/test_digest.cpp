#include <doctest/doctest.h>

#include <array>
#include <string>

#include "media_test_util.hpp"
#include "smk/digest.hpp"
#include "smk/error.hpp"

namespace {

constexpr const char* kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr const char* kEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

}  // namespace

TEST_CASE("SHA-256 known answers: \"abc\" and the empty string (FIPS 180-2)") {
    CHECK(smk::digest_hex(smk::sha256_text("abc")) == kAbc);
    CHECK(smk::digest_hex(smk::sha256_text("")) == kEmpty);
    const std::array<std::uint8_t, 3> abc{'a', 'b', 'c'};
    CHECK(smk::digest_hex(smk::sha256_bytes(abc)) == kAbc);
}

TEST_CASE("sha256_file gives the same known answers in every read mode") {
    const smk_test::TempDir dir("digest");
    smk_test::write_file(dir / "abc", "abc");
    smk_test::write_file(dir / "empty", "");
    for (const auto mode :
         {smk::ReadMode::cached, smk::ReadMode::drop_cache, smk::ReadMode::direct}) {
        CAPTURE(static_cast<int>(mode));
        const smk::FileDigest abc = smk::sha256_file(dir / "abc", mode);
        CHECK(smk::digest_hex(abc.sha256) == kAbc);
        CHECK(abc.size == 3);
        const smk::FileDigest empty = smk::sha256_file(dir / "empty", mode);
        CHECK(smk::digest_hex(empty.sha256) == kEmpty);
        CHECK(empty.size == 0);
    }
}

TEST_CASE("sha256_file streams a file larger than its buffer, aligned or not") {
    const smk_test::TempDir dir("digest-big");
    // 3 MiB + 4097 bytes: several full O_DIRECT reads, then an unaligned tail.
    std::string content((std::size_t{3} << 20) + 4097, '\0');
    for (std::size_t i = 0; i < content.size(); ++i) {
        content[i] = static_cast<char>((i * 7919) % 251);
    }
    smk_test::write_file(dir / "big", content);
    const smk::Sha256 expected = smk::sha256_text(content);
    for (const auto mode :
         {smk::ReadMode::cached, smk::ReadMode::drop_cache, smk::ReadMode::direct}) {
        const smk::FileDigest got = smk::sha256_file(dir / "big", mode);
        CHECK(got.sha256 == expected);
        CHECK(got.size == content.size());
    }
    // And an exact multiple of the buffer: the last read returns 0, not a short read.
    smk_test::write_file(dir / "exact", std::string(std::size_t{2} << 20, 'x'));
    CHECK(smk::sha256_file(dir / "exact").sha256 ==
          smk::sha256_text(std::string(std::size_t{2} << 20, 'x')));
}

TEST_CASE("direct mode reports O_DIRECT where the filesystem has it, drop_cache where not") {
    const smk_test::TempDir dir("digest-mode");
    smk_test::write_file(dir / "f", "abc");
    CHECK(smk::sha256_file(dir / "f", smk::ReadMode::direct).used == smk::ReadMode::direct);
    // procfs refuses O_DIRECT with EINVAL (and reports size 0 for a file with content).
    const std::string version = smk_test::read_file_if_exists("/proc/version");
    REQUIRE(!version.empty());
    const smk::FileDigest proc = smk::sha256_file("/proc/version", smk::ReadMode::direct);
    CHECK(proc.used == smk::ReadMode::drop_cache);
    CHECK(proc.sha256 == smk::sha256_text(version));
}

TEST_CASE("sha256_file refuses what is not a regular file and names what is missing") {
    const smk_test::TempDir dir("digest-err");
    CHECK_THROWS_WITH_AS((void)smk::sha256_file(dir.path()),
                         doctest::Contains("not a regular file"), smk::Error);
    try {
        (void)smk::sha256_file(dir / "nope");
        FAIL("no error for a missing file");
    } catch (const smk::Error& e) {
        CHECK(e.category() == smk::ErrorCategory::io);
        CHECK(std::string(e.what()).find("nope") != std::string::npos);
    }
}

TEST_CASE("colon hex and the openssl dgst -c line") {
    const smk::Sha256 d = smk::sha256_text("abc");
    CHECK(smk::digest_colon_hex(d) ==
          "ba:78:16:bf:8f:01:cf:ea:41:41:40:de:5d:ae:22:23:b0:03:61:a3:96:17:7a:9c:b4:10:ff:61:"
          "f2:00:15:ad");
    CHECK(smk::openssl_dgst_line(d, "abc.txt") ==
          "SHA2-256(abc.txt)= ba:78:16:bf:8f:01:cf:ea:41:41:40:de:5d:ae:22:23:b0:03:61:a3:96:"
          "17:7a:9c:b4:10:ff:61:f2:00:15:ad");
}

TEST_CASE("the openssl line is byte for byte what `openssl dgst -sha256 -c` prints") {
    const smk_test::TempDir dir("digest-openssl");
    smk_test::write_file(dir / "data file", "The quick brown fox");
    const smk_test::ToolRun r =
        smk_test::run({"openssl", "dgst", "-sha256", "-c", "data file"}, dir.path(), dir.path());
    REQUIRE(r.status == 0);
    const smk::FileDigest d = smk::sha256_file(dir / "data file");
    CHECK(r.out == smk::openssl_dgst_line(d.sha256, "data file") + "\n");
}
