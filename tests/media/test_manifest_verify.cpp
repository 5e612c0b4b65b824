#include <doctest/doctest.h>
#include <sys/stat.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "media_test_util.hpp"
#include "smk/error.hpp"
#include "smk/manifest.hpp"

namespace {

namespace mf = smk::manifest;
namespace fs = std::filesystem;

const std::string kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

void small_tree(const fs::path& root) {
    smk_test::write_file(root / "a.txt", "abc");
    smk_test::write_file(root / "keys/b.bin", "abc");
}

std::string verify_error(const fs::path& dir, const std::vector<fs::path>& manifests, bool strict) {
    try {
        (void)mf::verify(dir, manifests, {.strict = strict});
    } catch (const smk::Error& e) {
        CHECK(e.category() == smk::ErrorCategory::invalid_input);
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("verify_directory checks every *.sha256sum and SHA256SUMS, and nothing else") {
    const smk_test::TempDir tmp("verify-find");
    small_tree(tmp.path());
    smk_test::write_file(tmp / "one.sha256sum", kAbc + "  a.txt\n");
    smk_test::write_file(tmp / "SHA256SUMS", kAbc + "  keys/b.bin\n");
    smk_test::write_file(tmp / "notes.txt.bak", "not a manifest, an extra file\n");
    const mf::VerifyReport report = mf::verify_directory(tmp.path());
    REQUIRE(report.manifests.size() == 2);
    CHECK(report.manifests[0].filename() == "SHA256SUMS");  // sorted by name bytes
    CHECK(report.manifests[1].filename() == "one.sha256sum");
    REQUIRE(report.files.size() == 2);
    CHECK(report.files[0].name == "keys/b.bin");
    CHECK(report.files[0].line == 1);
    CHECK(report.count(mf::FileStatus::ok) == 2);
    // The manifests are not extra; the stray file is.
    CHECK(report.extra_files == std::vector<std::string>{"notes.txt.bak"});
}

TEST_CASE("verify_directory without a manifest is an error saying what to do") {
    const smk_test::TempDir tmp("verify-none");
    small_tree(tmp.path());
    CHECK_THROWS_WITH_AS((void)mf::verify_directory(tmp.path()),
                         doctest::Contains("no manifest (*.sha256sum or SHA256SUMS)"), smk::Error);
}

TEST_CASE("an extra file is reported, and fails the verification only with strict") {
    const smk_test::TempDir tmp("verify-extra");
    small_tree(tmp.path());
    (void)mf::write_manifest(tmp.path(), tmp / "SHA256SUMS");
    smk_test::write_file(tmp / "keys/intruder", "x");
    smk_test::write_file(tmp / "aaa", "y");

    const mf::VerifyReport lenient = mf::verify_directory(tmp.path());
    CHECK(lenient.count(mf::FileStatus::ok) == 2);
    CHECK(lenient.extra_files == std::vector<std::string>{"aaa", "keys/intruder"});
    CHECK(!lenient.failure().has_value());

    const mf::VerifyReport strict = mf::verify_directory(tmp.path(), {.strict = true});
    CHECK(strict.count(mf::FileStatus::ok) == 2);
    CHECK(strict.extra_files.size() == 2);
    CHECK(strict.failure() == smk::ErrorCategory::verification);
}

TEST_CASE("entries written as ./name (sha256sum $(find . -type f)) are not extra") {
    const smk_test::TempDir tmp("verify-dot");
    small_tree(tmp.path());
    smk_test::write_file(tmp / "SHA256SUMS", kAbc + "  ./a.txt\n" + kAbc + "  .//keys/./b.bin\n");
    const mf::VerifyReport report = mf::verify_directory(tmp.path(), {.strict = true});
    CHECK(report.count(mf::FileStatus::ok) == 2);
    CHECK(report.extra_files.empty());
    CHECK(!report.failure().has_value());
}

TEST_CASE("malformed lines: an error naming manifest and line with strict, reported without") {
    const smk_test::TempDir tmp("verify-malformed");
    small_tree(tmp.path());
    const fs::path manifest = tmp / "SHA256SUMS";
    smk_test::write_file(manifest, kAbc + "  a.txt\n" + kAbc + "\n" + kAbc + "  keys/b.bin\n");
    CHECK(verify_error(tmp.path(), {manifest}, true) ==
          manifest.string() +
              " line 2: not a sha256sum line (expected 64 hex digits, two spaces or ' *', a "
              "name)");
    const mf::VerifyReport report = mf::verify(tmp.path(), std::vector<fs::path>{manifest});
    CHECK(report.count(mf::FileStatus::ok) == 2);
    REQUIRE(report.improper_lines.size() == 1);
    CHECK(report.improper_lines[0].line == 2);
    CHECK(report.improper_lines[0].manifest == manifest);
    CHECK(!report.failure().has_value());  // as sha256sum -c without --strict
}

TEST_CASE("names outside the directory are refused before any file is read") {
    const smk_test::TempDir tmp("verify-outside");
    small_tree(tmp / "tree");
    const fs::path manifest = tmp / "m.sha256sum";
    smk_test::write_file(manifest, kAbc + "  a.txt\n" + kAbc + "  ../tree/a.txt\n");
    CHECK(verify_error(tmp / "tree", {manifest}, false)
              .find("m.sha256sum line 2: '../tree/a.txt' lies outside") != std::string::npos);
    smk_test::write_file(manifest, kAbc + "  /etc/hostname\n");
    CHECK(verify_error(tmp / "tree", {manifest}, false).find("line 1: '/etc/hostname' lies") !=
          std::string::npos);
}

TEST_CASE("symbolic links: recorded by generate with their targets, never followed by verify") {
    const smk_test::TempDir tmp("verify-links");
    small_tree(tmp / "tree");
    smk_test::write_file(tmp / "secret-outside", "abc");
    fs::create_symlink(tmp / "secret-outside", tmp / "tree/link-out");
    fs::create_symlink("keys", tmp / "tree/keys-link");

    const mf::Generated generated = mf::generate(tmp / "tree");
    REQUIRE(generated.files.size() == 2);
    REQUIRE(generated.links.size() == 2);
    CHECK(generated.links[0].name == "keys-link");
    CHECK(generated.links[0].target == "keys");
    CHECK(generated.links[1].name == "link-out");
    CHECK(generated.links[1].target == (tmp / "secret-outside").string());
    // File lines first (what sha256sum prints), then one comment line per link.
    CHECK(generated.text() == kAbc + "  a.txt\n" + kAbc + "  keys/b.bin\n" +
                                  "# symlink keys-link -> keys\n# symlink link-out -> " +
                                  (tmp / "secret-outside").string() + "\n");

    // A manifest (e.g. from `sha256sum *`) naming the links as files: sha256sum would
    // follow them; smk does not.
    const fs::path manifest = tmp / "m.sha256sum";
    smk_test::write_file(manifest, kAbc + "  link-out\n" + kAbc + "  keys-link/b.bin\n" + kAbc +
                                       "  a.txt\n" + kAbc + "  keys/b.bin\n");
    const mf::VerifyReport report = mf::verify(tmp / "tree", std::vector<fs::path>{manifest});
    REQUIRE(report.files.size() == 4);
    CHECK(report.files[0].status == mf::FileStatus::failed);
    CHECK(report.files[0].detail.find("symbolic link") != std::string::npos);
    CHECK(report.files[1].status == mf::FileStatus::failed);
    CHECK(report.files[2].status == mf::FileStatus::ok);
    CHECK(report.files[3].status == mf::FileStatus::ok);
    CHECK(report.failure() == smk::ErrorCategory::verification);
}

namespace {

// A tree with a file, a link in the root and one in a subdirectory, and its manifest
// written inside it as smk media manifest --out writes it.
void linked_tree(const fs::path& root) {
    small_tree(root);
    fs::create_symlink("keys/b.bin", root / "current");
    fs::create_symlink("../a.txt", root / "keys/up");
    (void)mf::write_manifest(root, root / "SHA256SUMS");
}

const mf::LinkResult& link_named(const mf::VerifyReport& report, const std::string& name) {
    for (const mf::LinkResult& l : report.links) {
        if (l.name == name) {
            return l;
        }
    }
    FAIL("no link result for " << name);
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("links: a tree with links verifies with strict against its own manifest") {
    const smk_test::TempDir tmp("verify-links-ok");
    linked_tree(tmp.path());
    const mf::VerifyReport report = mf::verify_directory(tmp.path(), {.strict = true});
    CHECK(report.count(mf::FileStatus::ok) == 2);
    REQUIRE(report.links.size() == 2);
    CHECK(report.count_links(mf::FileStatus::ok) == 2);
    CHECK(report.links[0].name == "current");
    CHECK(report.links[0].actual_target == "keys/b.bin");
    CHECK(report.links[0].line == 3);
    CHECK(report.extra_files.empty());
    CHECK(!report.failure().has_value());
}

TEST_CASE("links: retargeted, replaced by a file or a directory, or removed: each fails") {
    const smk_test::TempDir tmp("verify-links-bad");
    linked_tree(tmp.path());
    const fs::path link = tmp / "current";
    std::string expected_detail;
    mf::FileStatus expected_status = mf::FileStatus::failed;

    SUBCASE("retargeted") {
        fs::remove(link);
        fs::create_symlink("a.txt", link);  // a file of the same content: only the target differs
        expected_detail = "a symbolic link -> a.txt, but the manifest records -> keys/b.bin";
    }
    SUBCASE("replaced by a regular file with the target's content") {
        fs::remove(link);
        smk_test::write_file(link, "abc");
        expected_detail = "a regular file, not a symbolic link; the manifest records -> keys/b.bin";
    }
    SUBCASE("replaced by a directory") {
        fs::remove(link);
        fs::create_directory(link);
        expected_detail = "a directory, not a symbolic link; the manifest records -> keys/b.bin";
    }
    SUBCASE("removed") {
        fs::remove(link);
        expected_detail = "no such link; the manifest records -> keys/b.bin";
        expected_status = mf::FileStatus::missing;
    }
    const mf::VerifyReport report = mf::verify_directory(tmp.path());
    const mf::LinkResult& result = link_named(report, "current");
    CHECK(result.status == expected_status);
    CHECK(result.detail == expected_detail);
    CHECK(result.expected_target == "keys/b.bin");
    CHECK(link_named(report, "keys/up").status == mf::FileStatus::ok);
    // Not even lenient verification lets it pass: a link is recorded, not litter.
    CHECK(report.failure() == smk::ErrorCategory::verification);
    CHECK(report.count(mf::FileStatus::ok) == 2);
}

TEST_CASE("links: a link on the path of a recorded link is not followed") {
    const smk_test::TempDir tmp("verify-links-path");
    linked_tree(tmp / "tree");
    // keys/ becomes a link to a copy of itself: keys/up would still read "../a.txt".
    fs::rename(tmp / "tree/keys", tmp / "keys-elsewhere");
    fs::create_directory_symlink(tmp / "keys-elsewhere", tmp / "tree/keys");
    const mf::VerifyReport report = mf::verify_directory(tmp / "tree");
    const mf::LinkResult& result = link_named(report, "keys/up");
    CHECK(result.status == mf::FileStatus::failed);
    CHECK(result.detail.find("a symbolic link is on its path") != std::string::npos);
    CHECK(result.detail.find("records -> ../a.txt") != std::string::npos);
    CHECK(result.actual_target.empty());
}

TEST_CASE("links: a link nobody recorded is extra, and fails only with strict") {
    const smk_test::TempDir tmp("verify-links-extra");
    linked_tree(tmp.path());
    fs::create_symlink("/etc/passwd", tmp / "keys/new-link");
    const mf::VerifyReport lenient = mf::verify_directory(tmp.path());
    CHECK(lenient.extra_files == std::vector<std::string>{"keys/new-link"});
    CHECK(!lenient.failure().has_value());
    CHECK(mf::verify_directory(tmp.path(), {.strict = true}).failure() ==
          smk::ErrorCategory::verification);
}

TEST_CASE("links: a manifest without link lines still verifies, the links being extra") {
    const smk_test::TempDir tmp("verify-links-old");
    small_tree(tmp.path());
    fs::create_symlink("a.txt", tmp / "current");
    smk_test::write_file(tmp / "SHA256SUMS", kAbc + "  a.txt\n" + kAbc + "  keys/b.bin\n");
    const mf::VerifyReport report = mf::verify_directory(tmp.path());
    CHECK(report.count(mf::FileStatus::ok) == 2);
    CHECK(report.links.empty());
    CHECK(report.extra_files == std::vector<std::string>{"current"});
    CHECK(!report.failure().has_value());
}

TEST_CASE("links: a recorded link outside the directory is refused before anything is read") {
    const smk_test::TempDir tmp("verify-links-outside");
    small_tree(tmp / "tree");
    const fs::path manifest = tmp / "m.sha256sum";
    smk_test::write_file(manifest, kAbc + "  a.txt\n# symlink ../x -> a.txt\n");
    CHECK(verify_error(tmp / "tree", {manifest}, false)
              .find("m.sha256sum line 2: '../x' lies outside") != std::string::npos);
}

TEST_CASE("links: names and targets with spaces, backslashes, newlines and arrows round-trip") {
    const smk_test::TempDir tmp("verify-links-names");
    small_tree(tmp.path());
    const std::vector<std::pair<std::string, std::string>> links = {
        {"with space", "target with space"}, {"back\\slash", "..\\up\\"},
        {"new\nline", "carriage\rreturn"},   {"a -> b", "c -> d"},
        {"keys/arrow->", ">x -> >"},         {" lead", " lead target "},
    };
    for (const auto& [name, target] : links) {
        fs::create_symlink(target, tmp / name);
    }
    const mf::Generated generated = mf::write_manifest(tmp.path(), tmp / "SHA256SUMS");
    REQUIRE(generated.links.size() == links.size());
    const std::string text = smk_test::read_file_if_exists(tmp / "SHA256SUMS");
    // One line per file and per link: every newline in a name or target is escaped.
    CHECK(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) == 2 + links.size());
    CHECK(text.find("# symlink a -\\> b -> c -\\> d\n") != std::string::npos);
    CHECK(text.find("# symlink back\\\\slash -> ..\\\\up\\\\\n") != std::string::npos);

    const mf::Parsed parsed = mf::parse(text, "SHA256SUMS", true);
    REQUIRE(parsed.links.size() == links.size());
    for (const auto& [name, target] : links) {
        CAPTURE(name);
        const auto it = std::find_if(parsed.links.begin(), parsed.links.end(),
                                     [&](const mf::LinkEntry& l) { return l.name == name; });
        REQUIRE(it != parsed.links.end());
        CHECK(it->target == target);
    }
    const mf::VerifyReport report = mf::verify_directory(tmp.path(), {.strict = true});
    CHECK(report.count_links(mf::FileStatus::ok) == links.size());
    CHECK(!report.failure().has_value());
}

TEST_CASE("a directory, a FIFO or nothing where a file should be") {
    const smk_test::TempDir tmp("verify-types");
    small_tree(tmp.path());
    REQUIRE(::mkfifo((tmp / "fifo").c_str(), 0600) == 0);
    smk_test::write_file(tmp / "SHA256SUMS",
                         kAbc + "  keys\n" + kAbc + "  fifo\n" + kAbc + "  a.txt/x\n");
    const mf::VerifyReport report = mf::verify_directory(tmp.path());
    REQUIRE(report.files.size() == 3);
    CHECK(report.files[0].status == mf::FileStatus::failed);
    CHECK(report.files[0].detail.find("a directory") != std::string::npos);
    CHECK(report.files[1].status == mf::FileStatus::failed);  // and did not block
    CHECK(report.files[1].detail.find("FIFO") != std::string::npos);
    CHECK(report.files[2].status == mf::FileStatus::missing);
    CHECK(report.extra_files == std::vector<std::string>{"a.txt", "keys/b.bin"});
}

TEST_CASE("status names and what makes a report fail") {
    CHECK(mf::status_name(mf::FileStatus::ok) == "OK");
    CHECK(mf::status_name(mf::FileStatus::failed) == "FAILED");
    CHECK(mf::status_name(mf::FileStatus::missing) == "MISSING");
    CHECK(mf::status_name(mf::FileStatus::unreadable) == "UNREADABLE");
    mf::VerifyReport report;
    CHECK(!report.failure().has_value());
    mf::FileResult file;
    file.status = mf::FileStatus::unreadable;
    report.files.push_back(file);
    CHECK(report.failure() == smk::ErrorCategory::io);
    report.extra_files.push_back("stray");
    CHECK(report.failure() == smk::ErrorCategory::io);  // extra files count only with strict
    report.strict = true;
    CHECK(report.failure() == smk::ErrorCategory::verification);
    report.strict = false;
    file.status = mf::FileStatus::missing;
    report.files.push_back(file);
    CHECK(report.failure() == smk::ErrorCategory::verification);
}

TEST_CASE("write_manifest never overwrites and refuses before reading anything") {
    const smk_test::TempDir tmp("verify-noclobber");
    small_tree(tmp / "tree");
    smk_test::write_file(tmp / "SHA256SUMS", "keep me\n");
    try {
        (void)mf::write_manifest(tmp / "tree", tmp / "SHA256SUMS");
        FAIL("an existing manifest was not refused");
    } catch (const smk::Error& e) {
        CHECK(e.category() == smk::ErrorCategory::refused);
    }
    CHECK(smk_test::read_file_if_exists(tmp / "SHA256SUMS") == "keep me\n");
    // A file of the tree may not be read either: an unreadable tree changes nothing.
    CHECK_THROWS_AS((void)mf::write_manifest(tmp / "no-such-tree", tmp / "SHA256SUMS"), smk::Error);
}

TEST_CASE("an empty tree gives no manifest: sha256sum -c would reject an empty one") {
    const smk_test::TempDir tmp("verify-empty");
    fs::create_directories(tmp / "tree/only/dirs");
    CHECK_THROWS_WITH_AS((void)mf::write_manifest(tmp / "tree", tmp / "SHA256SUMS"),
                         doctest::Contains("holds no regular file"), smk::Error);
    CHECK(!fs::exists(tmp / "SHA256SUMS"));
    CHECK(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator()) == 1);
}

TEST_CASE("manifest file mode is 0644: anyone checking a drive can read it") {
    const smk_test::TempDir tmp("verify-mode");
    small_tree(tmp / "tree");
    (void)mf::write_manifest(tmp / "tree", tmp / "SHA256SUMS");
    struct stat st {};
    REQUIRE(::stat((tmp / "SHA256SUMS").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0644);
}
