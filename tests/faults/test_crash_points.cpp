// Crash at every step (issue 16), black box: each command below runs under
// strace's fault injection at every write, fsync, rename, unlink and close it
// makes (crash_points.hpp), one fault per run, an error return and SIGKILL.
// After each fault: nothing partial under a final name, the source untouched,
// the transcript intact or torn only in its last line, and the same command
// run again completes. The counts go to the test's output (and to
// $SMK_CRASH_POINTS_DIR/<scenario>.txt).

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "cli/fixtures.hpp"
#include "crash_points.hpp"
#include "smk/ceremony/transcript.hpp"

namespace {

using crash::Refusal;
using crash::Scenario;
using smk_test::contains;
using smk_test::read_file_if_exists;
using smk_test::run_smk;
using smk_test::write_file;
namespace fs = std::filesystem;

// Every regular file under `dir` (relative name -> bytes), temporaries included.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
    std::map<std::string, std::string> files;
    if (!fs::exists(dir)) {
        return files;
    }
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (e.is_regular_file()) {
            files[e.path().lexically_relative(dir).string()] = read_file_if_exists(e.path());
        }
    }
    return files;
}

// Regular files directly in `dir` whose names are final (not smk's temporaries).
std::vector<fs::path> final_files(const fs::path& dir) {
    std::vector<fs::path> out;
    if (fs::is_directory(dir)) {
        for (const auto& e : fs::directory_iterator(dir)) {
            if (e.is_regular_file() && !contains(e.path().filename().string(), ".smk-tmp-")) {
                out.push_back(e.path());
            }
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string source_untouched(const fs::path& dir, const std::map<std::string, std::string>& was) {
    return snapshot(dir) == was ? "" : "the source " + dir.string() + " was changed";
}

}  // namespace

// d1 holds an older a.txt (the copy replaces it), d2 a file the source does not
// have (kept: no --delete), d3 nothing.
TEST_CASE("crash at every step - media copy to 3 destinations") {
    smk_test::TempDir t("crash-copy");
    const fs::path src = t.path() / "src";
    const std::vector<fs::path> dsts = {t.path() / "d1", t.path() / "d2", t.path() / "d3"};
    const std::vector<std::map<std::string, std::string>> before = {
        {{"a.txt", "an older one\n"}}, {{"keep.txt", "not in the source\n"}}, {}};
    const auto reset = [&] {
        fs::remove_all(src);
        write_file(src / "a.txt", "one\n");
        write_file(src / "sub" / "b.bin", std::string(70000, 'b'));
        write_file(src / "sub" / "c.txt", "three\n");
        for (std::size_t i = 0; i < dsts.size(); ++i) {
            fs::remove_all(dsts[i]);
            fs::create_directories(dsts[i]);
            for (const auto& [name, bytes] : before[i]) {
                write_file(dsts[i] / name, bytes);
                fs::last_write_time(dsts[i] / name, fs::file_time_type::clock::now() -
                                                        std::chrono::hours(24 * 365));
            }
        }
    };
    reset();
    const auto source = snapshot(src);
    // Files under final names in destination i: each is the source's or what was
    // there before, whole; `done`: exactly the source's and the kept extra, and no
    // temporary file left (the rerun removes what a killed copy left).
    const auto check = [&](std::size_t i, bool done) -> std::string {
        for (const auto& [name, bytes] : snapshot(dsts[i])) {
            if (contains(name, ".smk-tmp-")) {
                if (done) {
                    return "a temporary file left after the rerun: " + (dsts[i] / name).string();
                }
                continue;
            }
            const auto from_source = source.find(name);
            const auto old = before[i].find(name);
            const bool ok = (from_source != source.end() && from_source->second == bytes) ||
                            (old != before[i].end() && old->second == bytes &&
                             (!done || from_source == source.end()));
            if (!ok) {
                return "a partial or wrong " + (dsts[i] / name).string();
            }
        }
        return {};
    };
    Scenario s;
    s.name = "media copy (3 destinations)";
    s.args = {"media", "copy", src.string() + "/"};
    for (const auto& d : dsts) {
        s.args.push_back(d.string());
    }
    s.reset = reset;
    s.after_fault = [&]() -> std::string {
        for (std::size_t i = 0; i < dsts.size(); ++i) {
            if (auto bad = check(i, false); !bad.empty()) {
                return bad;
            }
        }
        return source_untouched(src, source);
    };
    s.completed = [&]() -> std::string {
        for (std::size_t i = 0; i < dsts.size(); ++i) {
            if (auto bad = check(i, true); !bad.empty()) {
                return bad;
            }
            for (const auto& [name, bytes] : source) {
                if (read_file_if_exists(dsts[i] / name) != bytes) {
                    return (dsts[i] / name).string() + " is not the source's";
                }
            }
            for (const auto& [name, bytes] : before[i]) {
                if (!fs::exists(dsts[i] / name)) {
                    return (dsts[i] / name).string() + " is gone";
                }
            }
        }
        return source_untouched(src, source);
    };
    crash::exercise(s, t.path());
}

TEST_CASE("crash at every step - split --out-dir") {
    smk_test::TempDir t("crash-split");
    const fs::path key = t.path() / "key.hex";
    const fs::path out = t.path() / "shares";
    const fs::path moved = t.path() / "moved";
    const fs::path check = t.path() / "check.hex";
    const auto reset = [&] {
        fs::remove_all(out);
        fs::remove_all(moved);
        write_file(key, smk_test::kSecretHex + "\n");
    };
    Scenario s;
    s.name = "split --out-dir";
    s.args = {"split",   "--secret-file", key.string(), "--out-dir", out.string(),
              "--group", "2/3",           "--exp",      "0"};
    s.reset = reset;
    s.after_fault = [&]() -> std::string {
        if (read_file_if_exists(key) != smk_test::kSecretHex + "\n") {
            return "the secret file was changed";
        }
        for (const auto& f : final_files(out)) {
            const auto r = run_smk({"share", "inspect", f.string()});
            if (r.exit_code != 0) {
                return "an incomplete share under a final name: " + f.string() + ": " + r.err;
            }
        }
        return {};
    };
    s.completed = [&]() -> std::string {
        const auto files = final_files(out);
        if (files.size() != 3) {
            return "not 3 share files in " + out.string();
        }
        fs::remove(check);
        const auto r =
            run_smk({"combine", "--out", check.string(), files[0].string(), files[2].string()});
        if (r.exit_code != 0 || read_file_if_exists(check) != smk_test::kSecretHex + "\n") {
            return "the shares do not combine back to the secret: " + r.err;
        }
        return {};
    };
    // A run killed between two renames (or after the last, or failing to print its
    // report) leaves share files of a split nobody was told about; the rerun refuses
    // to mix splits and names them (exit 7). Any other error removes them.
    s.on_refusal = [&](const smk_test::ProcessResult& first) {
        return !final_files(out).empty() && crash::killed_or_report_failed(first)
                   ? Refusal::move_away
                   : Refusal::fails;
    };
    s.move_away = [&] {
        fs::create_directories(moved);
        for (const auto& f : final_files(out)) {
            fs::rename(f, moved / f.filename());
        }
    };
    crash::exercise(s, t.path());
}

TEST_CASE("crash at every step - combine --out") {
    const smk_test::SplitRun split({"--group", "2/3", "--exp", "0"});
    smk_test::TempDir t("crash-combine");
    const fs::path out = t.path() / "smk.hex";
    const std::vector<std::string> shares = {split.share_file('A', 1), split.share_file('A', 3)};
    const auto share_bytes = snapshot(split.out_dir);
    Scenario s;
    s.name = "combine --out";
    s.args = {"combine", "--out", out.string(), shares[0], shares[1]};
    s.reset = [&] { fs::remove(out); };
    s.after_fault = [&]() -> std::string {
        if (fs::exists(out) && read_file_if_exists(out) != smk_test::kSecretHex + "\n") {
            return "a partial or wrong " + out.string();
        }
        return snapshot(split.out_dir) == share_bytes ? "" : "the share files were changed";
    };
    s.completed = [&]() -> std::string {
        return read_file_if_exists(out) == smk_test::kSecretHex + "\n"
                   ? ""
                   : "the output is not the secret";
    };
    // Killed after the rename (or failing to print its report): the complete output
    // is there and the rerun refuses to overwrite it (exit 7), as it should. Any
    // other error leaves no output.
    s.on_refusal = [&](const smk_test::ProcessResult& first) {
        return fs::exists(out) && crash::killed_or_report_failed(first) ? Refusal::output_complete
                                                                        : Refusal::fails;
    };
    crash::exercise(s, t.path());
}

TEST_CASE("crash at every step - transcript note") {
    smk_test::TempDir t("crash-note");
    const fs::path original = t.path() / "original.jsonl";
    const fs::path file = t.path() / "t.jsonl";
    {
        smk::transcript::Writer writer(original);
        writer.append({"issue", "start", {{"plan", "p.toml"}}, {}, {}});
        writer.append({"issue", "done", {}, {{"result", "ok"}}, {}});
    }
    const std::string before = read_file_if_exists(original);
    Scenario s;
    s.name = "transcript note";
    s.args = {"transcript", "note", file.string(), "--by", "Ivan", "crash drill note"};
    s.reset = [&] {
        fs::remove(file);
        fs::copy_file(original, file);
    };
    s.after_fault = [&] { return crash::intact_or_torn_last(file, before); };
    s.completed = [&]() -> std::string {
        const auto v = run_smk({"transcript", "verify", file.string()});
        if (v.exit_code != 0) {
            return "transcript verify: " + crash::describe(v);
        }
        return contains(read_file_if_exists(file), "crash drill note") ? "" : "no note";
    };
    crash::exercise(s, t.path());
}

// strace cannot tear a line (each line is one write, made whole or not at all);
// a power cut can. A note's line cut anywhere: verify names that line and the
// earlier lines still verify. smk appends to no broken chain: the rerun refuses
// (exit 5) and says to keep the file as evidence and start a new transcript.
TEST_CASE("crash at every step - a torn transcript line is named and never appended to") {
    smk_test::TempDir t("crash-torn");
    const fs::path file = t.path() / "t.jsonl";
    {
        smk::transcript::Writer writer(file);
        writer.append({"issue", "start", {}, {}, {}});
    }
    const std::string before = read_file_if_exists(file);
    REQUIRE(run_smk({"transcript", "note", file.string(), "--by", "Ivan", "torn note"}).exit_code ==
            0);
    const std::string whole = read_file_if_exists(file);
    for (const std::size_t keep :
         {std::size_t{1}, (whole.size() - before.size()) / 2, whole.size() - before.size() - 1}) {
        CAPTURE(keep);
        write_file(file, whole.substr(0, before.size() + keep));
        CHECK(crash::intact_or_torn_last(file, before).empty());
        const auto again = run_smk({"transcript", "note", file.string(), "--by", "Ivan", "again"});
        CHECK(again.exit_code == 5);
        CHECK(contains(again.err, "broken at line 2"));
        CHECK(read_file_if_exists(file) == whole.substr(0, before.size() + keep));
    }
}
