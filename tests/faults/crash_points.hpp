#pragma once
// Crash at every step (issue 16): one smk command run again and again under
// strace's fault injection, one fault per run, at each write, fsync, fdatasync,
// syncfs, rename, renameat, renameat2, unlink, unlinkat and close it makes: an
// error return (EIO, and ENOSPC for write) and SIGKILL at the Nth call.
//
// The fault points are counted first from a clean run (`strace -f -y`): the
// dynamic loader's closes of shared libraries are left out (not smk's). strace
// counts calls per thread, so "the Nth close" is the Nth of every thread (the
// read-back threads of media copy each have a few).
//
// After each fault the scenario's invariants must hold (nothing partial under a
// final name, the source untouched, a transcript intact or torn only in its last
// line), and the same command run again without a fault, in the state the fault
// left, must complete. A rerun refused (exit 7) by what the interrupted run left
// is accepted only as the scenario says: the complete output is already there
// (Refusal::output_complete), or the administrator moves the named leftovers
// away as the message says and runs again, which must then complete
// (Refusal::move_away); the test counts and prints each kind.

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/run.hpp"
#include "support/files.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace crash {

namespace fs = std::filesystem;
using smk_test::RunResult;

inline const std::vector<std::string> kSyscalls = {"write",    "fsync",    "fdatasync", "syncfs",
                                                   "rename",   "renameat", "renameat2", "unlink",
                                                   "unlinkat", "close"};

// For `make check` to print after the tests: one file per drill, named after it,
// in $SMK_CRASH_POINTS_DIR (CTest sets it to build/<preset>/crash-points).
inline void record_points_line(const std::string& name, const std::string& line) {
    const char* dir = std::getenv("SMK_CRASH_POINTS_DIR");
    if (dir == nullptr || *dir == '\0') {
        return;
    }
    std::string slug;
    for (const char c : name) {
        if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
            slug += c;
        } else if (!slug.empty() && slug.back() != '-') {
            slug += '-';
        }
    }
    if (!slug.empty() && slug.back() == '-') {
        slug.pop_back();
    }
    fs::create_directories(dir);
    std::ofstream(fs::path(dir) / (slug + ".txt"), std::ios::trunc) << line << "\n";
}

enum class Refusal { fails, output_complete, move_away };

struct Scenario {
    std::string name;               // for the report line
    std::vector<std::string> args;  // smk ARGS
    std::function<void()> reset;    // the state before the command, fresh for each run
    // After a fault: "" or what is wrong (partial file, source changed, ...).
    std::function<std::string()> after_fault;
    // After the command completed (or its refusal was accepted): "" or what is wrong.
    std::function<std::string()> completed;
    // A rerun refused (exit 7): what that means in the state the fault left, after
    // the faulted run `first` (killed, or the error it reported).
    std::function<Refusal(const smk_test::ProcessResult& first)> on_refusal =
        [](const smk_test::ProcessResult&) { return Refusal::fails; };
    std::function<void()> move_away;  // Refusal::move_away: the administrator's step
    // Calls on paths containing one of these are not fault points: another
    // program's files (SoftHSM2's token store), not smk's.
    std::vector<std::string> not_ours;
};

struct Tally {
    std::map<std::string, std::size_t> points;  // syscall -> fault points
    std::size_t runs = 0;                       // runs with a fault injected
    std::size_t redrawn = 0;                    // runs made again: the Nth call did not come
    std::size_t completed_anyway = 0;           // exit 0 despite the fault (checked complete)
    std::size_t refused_complete = 0;           // reruns refused: the output was complete
    std::size_t moved_away = 0;                 // reruns that needed leftovers moved away
    std::vector<std::string> failures;
};

inline std::string slurp(const fs::path& p) {
    return smk_test::read_file_if_exists(p);
}

// `strace ARGS... smk SMK_ARGS...`, output of strace in `trace`.
inline smk_test::ProcessResult run_traced(const std::vector<std::string>& strace_args,
                                          const std::vector<std::string>& smk_args,
                                          const fs::path& trace) {
    std::vector<std::string> argv = {"strace", "-f", "-o", trace.string()};
    argv.insert(argv.end(), strace_args.begin(), strace_args.end());
    argv.push_back(SMK_BINARY);
    argv.insert(argv.end(), smk_args.begin(), smk_args.end());
    smk_test::Command command(argv);
    // In the ASan build: LeakSanitizer attaches to the process with ptrace at exit,
    // which fails under strace; leaks are checked in the runs without strace.
    const char* asan = std::getenv("ASAN_OPTIONS");
    command.env.push_back("ASAN_OPTIONS=" + std::string(asan != nullptr ? asan : "") +
                          (asan != nullptr && *asan != '\0' ? ":" : "") + "detect_leaks=0");
    return smk_test::run_process(command);
}

// Fault points of a clean run: for each syscall, the N for which some thread's
// Nth call of it is not the loader's close of a shared library.
inline std::map<std::string, std::vector<int>> fault_points(const Scenario& s,
                                                            const fs::path& trace) {
    const auto version = smk_test::run_process(smk_test::Command({"strace", "-V"}));
    REQUIRE_MESSAGE(version.shell_status() == 0,
                    "the crash drills need strace (Debian package strace): " << version.err);
    s.reset();
    std::string set;
    for (const auto& name : kSyscalls) {
        set += (set.empty() ? "" : ",") + name;
    }
    const auto r = run_traced({"-y", "-e", "trace=" + set}, s.args, trace);
    INFO("strace: " << r.err);
    REQUIRE_MESSAGE(r.shell_status() == 0, s.name << " failed without a fault: " << slurp(trace));
    REQUIRE_MESSAGE(s.completed().empty(), s.completed());
    const std::regex call(R"(^(\d+)\s+([a-z0-9_]+)\()");
    const std::regex loader(R"(\.so(\.[0-9.]+)?>|ld\.so\.cache)");
#if defined(__SANITIZE_ADDRESS__)
    // The sanitizer runtime's own calls (ASan reads /proc/PID/maps; UBSan's memory
    // probe writes to and closes a pipe of its own, fd 3 and up): not smk's, and
    // counting them would make the ASan stage run several times the release points.
    const std::regex runtime(R"(^\d+\s+(close|write)\((?:[3-9]|\d\d+)<(pipe:|/proc/\d+/maps>))");
#endif
    std::map<std::string, std::map<std::string, int>> seen;  // pid -> syscall -> calls
    std::map<std::string, std::set<int>> points;
    std::istringstream lines(slurp(trace));
    for (std::string line; std::getline(lines, line);) {
        std::smatch m;
        if (!std::regex_search(line, m, call)) {
            continue;  // "<... resumed>", exits, signals
        }
        const int n = ++seen[m[1]][m[2]];
        const bool theirs = std::any_of(s.not_ours.begin(), s.not_ours.end(),
                                        [&](const auto& p) { return smk_test::contains(line, p); });
#if defined(__SANITIZE_ADDRESS__)
        if (std::regex_search(line, runtime)) {
            continue;
        }
#endif
        if (!theirs && !std::regex_search(line, loader)) {
            points[m[2]].insert(n);
        }
    }
    std::map<std::string, std::vector<int>> out;
    for (const auto& [name, ns] : points) {
        out[name] = {ns.begin(), ns.end()};
    }
    return out;
}

inline std::string describe(const RunResult& r) {
    return "exit " + std::to_string(r.exit_code) + ", stderr: " + r.err;
}

// "" when `file` verifies, or is torn only in its last line and verify names that
// line; else what is wrong.
inline std::string intact_or_torn_last(const fs::path& file, const std::string& before) {
    const std::string now = smk_test::read_file_if_exists(file);
    if (now.substr(0, before.size()) != before) {
        return "the transcript's earlier lines were changed";
    }
    const auto v = smk_test::run_smk({"transcript", "verify", file.string()});
    if (v.exit_code == 0) {
        return {};
    }
    const auto lines =
        std::count(now.begin(), now.end(), '\n') + (!now.empty() && now.back() != '\n' ? 1 : 0);
    if (v.exit_code == 5 &&
        smk_test::contains(v.out + v.err, "broken at line " + std::to_string(lines) + ":")) {
        return {};
    }
    return "transcript verify: " + describe(v);
}

// The faulted run was killed, or failed only in printing its report: what it wrote
// may stay. Any other error must leave nothing under a final name.
inline bool killed_or_report_failed(const smk_test::ProcessResult& first) {
    return !first.exited || smk_test::contains(first.err, "cannot write to stdout") ||
           smk_test::contains(first.err, "cannot write to stderr");
}

// One fault, then the checks and the rerun. "" or what went wrong.
inline std::string one_point(const Scenario& s, const std::string& syscall, int n,
                             const std::string& action, const fs::path& trace, Tally& tally) {
    // Which thread makes which call can vary (media copy's read-back threads take
    // files from a shared queue), so a thread's Nth call may not exist this time:
    // then the run is made again, up to kTries times, until the fault is injected.
    constexpr int kTries = 10;
    smk_test::ProcessResult faulted;
    std::string log;
    for (int attempt = 1;; ++attempt) {
        s.reset();
        faulted = run_traced({"-e", "trace=" + syscall, "-e",
                              "inject=" + syscall + ":" + action + ":when=" + std::to_string(n)},
                             s.args, trace);
        ++tally.runs;
        log = slurp(trace);
        if (smk_test::contains(log, "(INJECTED)") ||
            smk_test::contains(log, "+++ killed by SIGKILL")) {
            break;
        }
        if (attempt == kTries) {
            return "the fault was never injected (fewer calls each time): " + log;
        }
        ++tally.redrawn;
    }
    if (const std::string bad = s.after_fault(); !bad.empty()) {
        return "after the fault: " + bad + "\nstderr: " + faulted.err;
    }
    if (faulted.exited && faulted.code == 0) {  // an error smk may ignore (a read's close)
        ++tally.completed_anyway;
        if (std::getenv("SMK_CRASH_VERBOSE") != nullptr) {
            std::cerr << s.name << ": " << syscall << " #" << n << " " << action << ": exit 0\n"
                      << log << "\n";
        }
        const std::string bad = s.completed();
        return bad.empty() ? "" : "exit 0 after the fault, but: " + bad;
    }
    RunResult again = smk_test::run_smk(s.args);
    const Refusal refusal = again.exit_code == 7 ? s.on_refusal(faulted) : Refusal::fails;
    if (again.exit_code == 7 && std::getenv("SMK_CRASH_VERBOSE") != nullptr) {
        std::cerr << s.name << ": " << syscall << " #" << n << " " << action
                  << (refusal == Refusal::move_away ? ": moved away" : ": kept") << " (first run "
                  << faulted.shell_status() << ")\n  " << faulted.err << "\n";
    }
    if (again.exit_code == 7 && refusal == Refusal::output_complete) {
        ++tally.refused_complete;
    } else if (again.exit_code == 7 && refusal == Refusal::move_away) {
        s.move_away();
        again = smk_test::run_smk(s.args);
        ++tally.moved_away;
        if (again.exit_code != 0) {
            return "the rerun after moving the leftovers away: " + describe(again);
        }
    } else if (again.exit_code != 0) {
        return "the rerun: " + describe(again) + "\nfirst run's stderr: " + faulted.err;
    }
    if (const std::string bad = s.completed(); !bad.empty()) {
        return "after the rerun: " + bad;
    }
    return {};
}

// Every fault point of the scenario, both kinds of fault. Prints the counts.
inline Tally exercise(const Scenario& s, const fs::path& work) {
    Tally tally;
    const fs::path trace = work / "strace.log";
    for (const auto& [syscall, ns] : fault_points(s, trace)) {
        tally.points[syscall] = ns.size();
        std::vector<std::string> actions = {"error=EIO", "signal=KILL"};
        if (syscall == "write") {
            actions.emplace_back("error=ENOSPC");
        }
        for (const int n : ns) {
            for (const auto& action : actions) {
                const std::string bad = one_point(s, syscall, n, action, trace, tally);
                if (!bad.empty()) {
                    tally.failures.push_back(syscall + " #" + std::to_string(n) + " " + action +
                                             ": " + bad);
                }
            }
        }
    }
    std::string line = "crash points: " + s.name + ":";
    std::size_t total = 0;
    for (const auto& [syscall, count] : tally.points) {
        line += " " + syscall + " " + std::to_string(count) + ",";
        total += count;
    }
    line.pop_back();  // the last ','
    line += " -> " + std::to_string(total) + " points, " + std::to_string(tally.runs) + " runs (" +
            std::to_string(tally.redrawn) + " again: no Nth call); exit 0 despite the fault: " +
            std::to_string(tally.completed_anyway) +
            "; reruns refused with the output complete: " + std::to_string(tally.refused_complete) +
            ", needing leftovers moved away: " + std::to_string(tally.moved_away) + "; " +
            (tally.failures.empty() ? "all invariants held"
                                    : std::to_string(tally.failures.size()) + " FAILED");
    MESSAGE(line);
    record_points_line(s.name, line);
    for (std::size_t i = 0; i < tally.failures.size() && i < 20; ++i) {  // the first 20
        FAIL_CHECK(tally.failures[i]);
    }
    return tally;
}

}  // namespace crash
