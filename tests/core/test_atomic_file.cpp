#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "smk/atomic_file.hpp"
#include "smk/error.hpp"
#include "smk/fingerprint.hpp"

namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
    const fs::path dir =
        fs::temp_directory_path() / ("smk-test-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE("write_new_file creates a 0600 file and leaves no temporary behind") {
    const fs::path dir = fresh_dir("atomic");
    const std::array<std::uint8_t, 3> data{'a', 'b', 'c'};
    smk::write_new_file(dir / "out.txt", data);
    CHECK(slurp(dir / "out.txt") == "abc");
    struct stat st {};
    REQUIRE(::stat((dir / "out.txt").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
    fs::remove_all(dir);
}

TEST_CASE("write_new_file refuses to overwrite and keeps the old content") {
    const fs::path dir = fresh_dir("noclobber");
    const std::array<std::uint8_t, 3> data{'a', 'b', 'c'};
    smk::write_new_file(dir / "out.txt", data);
    const std::array<std::uint8_t, 3> other{'x', 'y', 'z'};
    CHECK_THROWS_WITH_AS(smk::write_new_file(dir / "out.txt", other),
                         doctest::Contains("already exists"), smk::Error);
    CHECK(slurp(dir / "out.txt") == "abc");
    CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
    fs::remove_all(dir);
}

TEST_CASE("an AtomicFile destroyed before commit leaves nothing") {
    const fs::path dir = fresh_dir("abandon");
    {
        smk::AtomicFile f(dir / "out.txt");
        const std::array<std::uint8_t, 1> data{'q'};
        f.write(data);
        CHECK(fs::exists(f.temp_path()));
    }
    CHECK(fs::is_empty(dir));
    fs::remove_all(dir);
}

TEST_CASE("a file in a missing directory is an I/O error naming the path") {
    const std::array<std::uint8_t, 1> data{'q'};
    try {
        smk::write_new_file("/nonexistent-smk-dir/out.txt", data);
        FAIL("expected an error");
    } catch (const smk::Error& e) {
        CHECK(e.category() == smk::ErrorCategory::io);
        CHECK(std::string(e.what()).find("/nonexistent-smk-dir/out.txt") != std::string::npos);
    }
}

TEST_CASE("fingerprint is HMAC-SHA256(key, label) truncated to 16 bytes") {
    // Computed independently: openssl dgst -sha256 -mac HMAC -macopt hexkey:00..00 (32 zero bytes)
    // over "smk key fingerprint v1".
    const std::array<std::uint8_t, 32> zero{};
    const std::string fp = smk::fingerprint_hex(smk::key_fingerprint(zero));
    CHECK(fp.size() == 32);
    CHECK(fp == "7e44e68ec57f983691bcd3115d3c8a06");
}

TEST_CASE("AtomicFile batched: close unsynced, place replacing or not, the caller syncs") {
    const fs::path dir = fresh_dir("batched");
    const std::array<std::uint8_t, 3> old_data{'o', 'l', 'd'};
    smk::write_new_file(dir / "kept.txt", old_data);
    const std::array<std::uint8_t, 3> data{'n', 'e', 'w'};
    {
        // May replace: no refusal at construction; place(true) replaces.
        smk::AtomicFile f(dir / "kept.txt", 0600, smk::AtomicFile::Existing::may_replace);
        f.write(data);
        CHECK(f.written() == 3);
        CHECK(f.fd() >= 0);
        f.close_unsynced();
        CHECK(f.fd() == -1);
        CHECK(slurp(dir / "kept.txt") == "old");
        smk::fsync_directory(dir);  // stands in for the copy engine's syncfs
        f.place(true);
    }
    CHECK(slurp(dir / "kept.txt") == "new");
    {
        // place(false) never replaces: a name that appeared meanwhile is refused.
        smk::AtomicFile f(dir / "late.txt", 0600, smk::AtomicFile::Existing::may_replace);
        f.write(data);
        f.close_unsynced();
        smk::write_new_file(dir / "late.txt", old_data);
        CHECK_THROWS_WITH_AS(f.place(false), doctest::Contains("appeared while smk was writing it"),
                             smk::Error);
    }
    CHECK(slurp(dir / "late.txt") == "old");
    // Only the two final names are left: every temporary file was removed.
    CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 2);
    fs::remove_all(dir);
}

TEST_CASE("AtomicFile: the temporary name fits NAME_MAX beside a 255-byte name") {
    const fs::path dir = fresh_dir("longname");
    const std::string name(255, 'n');
    const std::array<std::uint8_t, 1> data{'q'};
    {
        smk::AtomicFile f(dir / name);
        CHECK(f.temp_path().parent_path() == dir);
        CHECK(f.temp_path().filename().string().rfind(".smk-tmp-", 0) == 0);
        CHECK(f.temp_path().filename().string().size() <= 255);
        f.write(data);
        f.commit();
    }
    CHECK(slurp(dir / name) == "q");
    CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
    fs::remove_all(dir);
}

TEST_CASE("write_all_to_fd writes everything or returns the errno") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const std::array<std::uint8_t, 4> data{'a', 'b', 'c', 'd'};
    CHECK(smk::write_all_to_fd(fds[1], data) == 0);
    std::array<char, 4> back{};
    REQUIRE(::read(fds[0], back.data(), back.size()) == 4);
    CHECK(std::string(back.data(), back.size()) == "abcd");
    ::close(fds[0]);
    ::close(fds[1]);
    CHECK(smk::write_all_to_fd(fds[1], data) == EBADF);
}
