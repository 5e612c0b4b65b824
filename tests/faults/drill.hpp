#pragma once
// Helpers for the fault drills: start `smk` as a child with captured output
// (cli/run.hpp, on tests/support/process.hpp), wait for a condition while it
// runs, count the lines of a card log, and compare a destination with its
// source after the fault. Black box: only the binary, the filesystem, the
// card's log and signals.

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/run.hpp"
#include "support/files.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace faults {

namespace fs = std::filesystem;

// The drills' smk children are smk_test::Child (tests/support/process.hpp):
// started in the background, signalled, read while they run, waited for.
using Child = smk_test::Child;
using Outcome = smk_test::ProcessResult;

// `smk ARGS...` in the background, stdin /dev/null.
inline Child spawn_smk(std::vector<std::string> args) {
    return Child(smk_test::smk_command(std::move(args)));
}

// Whether process `pid` is blocked reading a pipe (smk waiting for its PIN):
// /proc/PID/wchan names the kernel function it sleeps in ("pipe_read", or
// "anon_pipe_read" on Linux 6.x).
inline bool blocked_on_pipe_read(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/wchan");
    std::string where;
    std::getline(in, where);
    return where.find("pipe_read") != std::string::npos;
}

// One field of /proc/PID/status as a number ("SigPnd", "ShdPnd": hex masks).
inline unsigned long long status_mask(pid_t pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(field + ":", 0) == 0) {
            return std::stoull(line.substr(field.size() + 1), nullptr, 16);
        }
    }
    return 0;
}

// The child has ended (a zombie not reaped yet) or, having taken `sig` (no longer
// pending for it), is back reading its PIN pipe: either way the signal was handled,
// and waitpid(WNOHANG) then tells which.
inline bool signal_handled(pid_t pid, int sig) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    std::getline(stat, text);
    const auto close = text.rfind(')');
    if (close == std::string::npos || close + 2 >= text.size() || text[close + 2] == 'Z') {
        return true;
    }
    const unsigned long long bit = 1ULL << (sig - 1);
    const bool pending = ((status_mask(pid, "SigPnd") | status_mask(pid, "ShdPnd")) & bit) != 0;
    return !pending && blocked_on_pipe_read(pid);
}

// Waits on an observable condition (tests/support/wait.hpp).
using smk_test::wait_for;

// Whether `text` holds `part` (tests/support/files.hpp).
using smk_test::contains;

// Lines of `text` that contain both `a` and `b`: in a card log, the APDUs of
// one header ("00 DA 01 03") the card answered ("->") or is holding ("PUT DATA
// held").
inline std::size_t lines_with(const std::string& text, const std::string& a,
                              const std::string& b = {}) {
    std::size_t found = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) {
            end = text.size();
        }
        const std::string line = text.substr(start, end - start);
        if (contains(line, a) && contains(line, b)) {
            ++found;
        }
        start = end + 1;
    }
    return found;
}

inline bool has_temp_file(const fs::path& dir) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->path().filename().string().find(".smk-tmp-") != std::string::npos) {
            return true;
        }
    }
    return false;
}

inline std::vector<std::string> temp_files(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (e.path().filename().string().find(".smk-tmp-") != std::string::npos) {
            out.push_back(e.path().lexically_relative(dir).string());
        }
    }
    return out;
}

inline std::string file_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Every regular file under `copy` with a final name (not a temporary) must equal
// the file of that name under `source`: an interrupted copy may be incomplete, but
// never holds a partial or wrong file under a name the user trusts.
inline std::vector<std::string> partial_files_under_final_names(const fs::path& source,
                                                                const fs::path& copy) {
    std::vector<std::string> bad;
    for (const auto& e : fs::recursive_directory_iterator(copy)) {
        const std::string rel = e.path().lexically_relative(copy).string();
        if (!e.is_regular_file() || rel.find(".smk-tmp-") != std::string::npos ||
            rel.find("lost+found") == 0) {
            continue;
        }
        const fs::path original = source / rel;
        if (!fs::exists(original) || fs::file_size(original) != e.file_size() ||
            file_bytes(original) != file_bytes(e.path())) {
            bad.push_back(rel);
        }
    }
    return bad;
}

// A source tree of `files` files of `mib` MiB each (distinct contents).
inline void make_source(const fs::path& dir, int files, int mib) {
    fs::create_directories(dir);
    std::string block(1 << 20, '\0');
    for (int f = 0; f < files; ++f) {
        std::ofstream out(dir / ("part-" + std::to_string(f) + ".bin"), std::ios::binary);
        for (int m = 0; m < mib; ++m) {
            for (std::size_t i = 0; i < block.size(); i += 64) {
                block[i] = static_cast<char>(f * 31 + m * 7 + static_cast<int>(i >> 6));
            }
            out.write(block.data(), static_cast<std::streamsize>(block.size()));
        }
    }
}

// A shell line for the drills' setup (tests/support/process.hpp).
inline int run_command(const std::string& command) {
    return smk_test::run_shell(command).shell_status();
}

using smk_test::TempDir;

}  // namespace faults
