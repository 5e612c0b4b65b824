#pragma once
// Helpers for the media tests: unique temporary trees and running coreutils as
// a subprocess (posix_spawn, no shell, so that any file name passes unharmed).

#include <doctest/doctest.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/files.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

namespace smk_test {

namespace fs = std::filesystem;

struct RunResult {
    int status = -1;  // exit code, or -1 if it did not exit normally
    std::string out;
    std::string err;
};

// Runs argv[0] (looked up in PATH) in cwd; stdout and stderr captured via files in
// `scratch` (which must lie outside any tree under test).
inline RunResult run(const std::vector<std::string>& argv, const fs::path& cwd,
                     const fs::path& scratch) {
    const fs::path out_file = scratch / "stdout";
    const fs::path err_file = scratch / "stderr";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
    posix_spawn_file_actions_addopen(&actions, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_addopen(&actions, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    std::vector<char*> args;
    for (const std::string& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE_MESSAGE(rc == 0, "cannot start " << argv[0]);
    int wstatus = 0;
    REQUIRE(::waitpid(pid, &wstatus, 0) == pid);
    RunResult result;
    result.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
    result.out = read_file_if_exists(out_file);
    result.err = read_file_if_exists(err_file);
    fs::remove(out_file);
    fs::remove(err_file);
    return result;
}

}  // namespace smk_test
