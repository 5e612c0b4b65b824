// Interoperability with the real coreutils sha256sum, both ways, on names that
// break naive implementations: spaces, backslash, newline, CR, leading space or '*'.

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include "media_test_util.hpp"
#include "smk/manifest.hpp"

namespace {

namespace mf = smk::manifest;
namespace fs = std::filesystem;

// Sorted by bytes, as generate() sorts them.
std::vector<std::string> tricky_tree(const fs::path& root) {
    std::vector<std::string> names = {
        "plain.txt",       "name with spaces",      "back\\slash", "new\nline", "car\rriage",
        "all\\of\nthem\r", " leading space",        "*star",       "-dash",     "dir/sub/deep.bin",
        "dir/a",           "d\xc3\xa9j\xc3\xa0 vu", "empty",       "dir-b/x",
        "ends in CR\r",  // unescaped, sha256sum would read the CR as part of a CRLF
    };
    for (const std::string& name : names) {
        smk_test::write_file(root / name, name == "empty" ? std::string() : "content of " + name);
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::size_t count_of(const std::string& haystack, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t at = haystack.find(needle); at != std::string::npos;
         at = haystack.find(needle, at + needle.size())) {
        ++n;
    }
    return n;
}

void check_all_ok(const mf::VerifyReport& report, std::size_t expected_files) {
    CHECK(report.files.size() == expected_files);
    CHECK(report.count(mf::FileStatus::ok) == expected_files);
    CHECK(report.improper_lines.empty());
    CHECK(report.extra_files.empty());
    CHECK(!report.failure().has_value());
    for (const mf::FileResult& f : report.files) {
        CHECK_MESSAGE(f.status == mf::FileStatus::ok, f.name << ": " << f.detail);
    }
}

}  // namespace

TEST_CASE("our manifest is byte for byte what sha256sum prints for the same names") {
    const smk_test::TempDir tmp("interop-bytes");
    const fs::path tree = tmp / "tree";
    const std::vector<std::string> names = tricky_tree(tree);
    const mf::Generated generated = mf::generate(tree);
    REQUIRE(generated.files.size() == names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        CHECK(generated.files[i].name == names[i]);
    }
    std::vector<std::string> argv = {"sha256sum", "--"};
    argv.insert(argv.end(), names.begin(), names.end());
    const smk_test::ToolRun r = smk_test::run(argv, tree, tmp.path());
    REQUIRE(r.status == 0);
    CHECK(generated.text() == r.out);
}

TEST_CASE("sha256sum -c --strict accepts our manifest, outside the tree or inside it") {
    const smk_test::TempDir tmp("interop-accept");
    const fs::path tree = tmp / "tree";
    const std::vector<std::string> names = tricky_tree(tree);

    const fs::path outside = tmp / "outside.sha256sum";
    const mf::Generated a = mf::write_manifest(tree, outside);
    CHECK(a.files.size() == names.size());
    smk_test::ToolRun r =
        smk_test::run({"sha256sum", "-c", "--strict", outside.string()}, tree, tmp.path());
    CHECK_MESSAGE(r.status == 0, r.out << r.err);
    CHECK(count_of(r.out, ": OK\n") == names.size());

    // Inside: the manifest (and its temporary) are left out of the list.
    const mf::Generated b = mf::write_manifest(tree, tree / "SHA256SUMS");
    CHECK(b.files.size() == names.size());
    CHECK(smk_test::read_file_if_exists(tree / "SHA256SUMS") ==
          smk_test::read_file_if_exists(outside));
    r = smk_test::run({"sha256sum", "-c", "--strict", "SHA256SUMS"}, tree, tmp.path());
    CHECK_MESSAGE(r.status == 0, r.out << r.err);
    CHECK(count_of(r.out, ": OK\n") == names.size());

    // And our own verify agrees, finding SHA256SUMS by itself.
    check_all_ok(mf::verify_directory(tree), names.size());
}

TEST_CASE("manifests written by sha256sum (text, -b, --tag) verify here") {
    const smk_test::TempDir tmp("interop-read");
    const fs::path tree = tmp / "tree";
    const std::vector<std::string> names = tricky_tree(tree);
    for (const std::vector<std::string>& flags :
         std::vector<std::vector<std::string>>{{}, {"-b"}, {"--tag"}}) {
        CAPTURE(flags.empty() ? std::string("text") : flags[0]);
        std::vector<std::string> argv = {"sha256sum"};
        argv.insert(argv.end(), flags.begin(), flags.end());
        argv.push_back("--");
        argv.insert(argv.end(), names.begin(), names.end());
        const smk_test::ToolRun r = smk_test::run(argv, tree, tmp.path());
        REQUIRE(r.status == 0);
        // Every line escaped by sha256sum really was (so the test covers escapes).
        CHECK(count_of(r.out, "\n\\") + (r.out.starts_with('\\') ? 1 : 0) == 5);
        smk_test::write_file(tmp / "m.sha256sum", r.out);
        const std::vector<fs::path> manifests = {tmp / "m.sha256sum"};
        const mf::VerifyReport report = mf::verify(tree, manifests, {.strict = true});
        check_all_ok(report, names.size());
        fs::remove(tmp / "m.sha256sum");
    }
}

TEST_CASE("CRLF-converted and upper-cased manifests from sha256sum verify here") {
    const smk_test::TempDir tmp("interop-crlf");
    const fs::path tree = tmp / "tree";
    const std::vector<std::string> names = tricky_tree(tree);
    std::vector<std::string> argv = {"sha256sum", "--"};
    argv.insert(argv.end(), names.begin(), names.end());
    const smk_test::ToolRun r = smk_test::run(argv, tree, tmp.path());
    REQUIRE(r.status == 0);

    std::string crlf;
    for (const char c : r.out) {
        if (c == '\n') {
            crlf += "\r\n";
        } else {
            crlf.push_back(c);
        }
    }
    smk_test::write_file(tmp / "crlf.sha256sum", crlf);
    const std::vector<fs::path> crlf_manifest = {tmp / "crlf.sha256sum"};
    check_all_ok(mf::verify(tree, crlf_manifest, {.strict = true}), names.size());
    // sha256sum itself accepts the converted file too.
    CHECK(smk_test::run({"sha256sum", "-c", "--strict", (tmp / "crlf.sha256sum").string()}, tree,
                        tmp.path())
              .status == 0);

    // Upper-case the digests only (the first 64 hex digits after an optional '\').
    std::string upper;
    std::size_t column = 0;
    bool escaped_line = false;
    for (const char c : r.out) {
        if (column == 0) {
            escaped_line = (c == '\\');
        }
        const std::size_t digest_end = escaped_line ? 65 : 64;
        upper.push_back(column < digest_end ? static_cast<char>(std::toupper(c)) : c);
        column = (c == '\n') ? 0 : column + 1;
    }
    REQUIRE(upper != r.out);
    smk_test::write_file(tmp / "upper.sha256sum", upper);
    const std::vector<fs::path> upper_manifest = {tmp / "upper.sha256sum"};
    check_all_ok(mf::verify(tree, upper_manifest, {.strict = true}), names.size());
}

TEST_CASE("a modified file FAILS and a deleted one is MISSING, here as in sha256sum") {
    const smk_test::TempDir tmp("interop-fail");
    const fs::path tree = tmp / "tree";
    const std::vector<std::string> names = tricky_tree(tree);
    (void)mf::write_manifest(tree, tree / "SHA256SUMS");
    smk_test::write_file(tree / "new\nline", "tampered");
    fs::remove(tree / "dir/sub/deep.bin");

    const mf::VerifyReport report = mf::verify_directory(tree);
    CHECK(report.count(mf::FileStatus::ok) == names.size() - 2);
    CHECK(report.count(mf::FileStatus::failed) == 1);
    CHECK(report.count(mf::FileStatus::missing) == 1);
    CHECK(report.failure() == smk::ErrorCategory::verification);
    for (const mf::FileResult& f : report.files) {
        if (f.name == "new\nline") {
            CHECK(f.status == mf::FileStatus::failed);
            CHECK(f.actual_hex != f.expected_hex);
        } else if (f.name == "dir/sub/deep.bin") {
            CHECK(f.status == mf::FileStatus::missing);
            CHECK(f.actual_hex.empty());
        } else {
            CHECK(f.status == mf::FileStatus::ok);
        }
    }
    const smk_test::ToolRun r = smk_test::run({"sha256sum", "-c", "SHA256SUMS"}, tree, tmp.path());
    CHECK(r.status == 1);
    CHECK(r.out.find("\\new\\nline: FAILED\n") != std::string::npos);
    CHECK(r.out.find("dir/sub/deep.bin: FAILED open or read") != std::string::npos);
}

TEST_CASE("sha256sum -c and -c --strict accept a manifest with link lines, odd names included") {
    const smk_test::TempDir tmp("interop-links");
    const fs::path tree = tmp / "tree";
    const std::vector<std::string> names = tricky_tree(tree);
    const std::vector<std::pair<std::string, std::string>> links = {
        {"link with space", "name with spaces"},
        {"back\\link", "back\\slash"},
        {"new\nlink", "new\nline"},
        {"arrow -> link", "dir/a"},
        {"dir/up", "../plain.txt"},
        {"dangling", "/nowhere/at all"},
    };
    for (const auto& [name, target] : links) {
        fs::create_symlink(target, tree / name);
    }
    const mf::Generated generated = mf::write_manifest(tree, tree / "SHA256SUMS");
    CHECK(generated.files.size() == names.size());
    CHECK(generated.links.size() == links.size());
    const std::string text = smk_test::read_file_if_exists(tree / "SHA256SUMS");
    CHECK(count_of(text, "\n# symlink ") == links.size());

    for (const std::vector<std::string>& argv : std::vector<std::vector<std::string>>{
             {"sha256sum", "-c", "SHA256SUMS"}, {"sha256sum", "-c", "--strict", "SHA256SUMS"}}) {
        CAPTURE(argv.size());
        const smk_test::ToolRun r = smk_test::run(argv, tree, tmp.path());
        CHECK_MESSAGE(r.status == 0, r.out << r.err);
        CHECK(count_of(r.out, ": OK\n") == names.size());
        CHECK(r.err.empty());  // no "improperly formatted" warning for the link lines
    }
    // smk reads the same bytes back: every link checked, nothing extra.
    const mf::VerifyReport report = mf::verify_directory(tree, {.strict = true});
    check_all_ok(report, names.size());
    CHECK(report.count_links(mf::FileStatus::ok) == links.size());
    for (const mf::LinkResult& l : report.links) {
        CAPTURE(l.name);
        CHECK(l.status == mf::FileStatus::ok);
    }
}
