#pragma once
// Helpers for the media tests: unique temporary trees and running coreutils as
// a subprocess (tests/support/process.hpp: no shell, so that any file name
// passes unharmed).

#include <doctest/doctest.h>
#include <fcntl.h>
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
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace smk_test {

namespace fs = std::filesystem;

struct ToolRun {
    int status = -1;  // exit code, or -1 if it did not exit normally
    std::string out;
    std::string err;
};

// Runs argv[0] (looked up in PATH) in cwd; stdout and stderr captured via files in
// `scratch` (which must lie outside any tree under test).
inline ToolRun run(const std::vector<std::string>& argv, const fs::path& cwd,
                   const fs::path& scratch) {
    Command command(argv);
    command.cwd = cwd;
    command.capture_dir = scratch;
    ProcessResult r = run_process(command);
    return {r.exited ? r.code : -1, std::move(r.out), std::move(r.err)};
}

}  // namespace smk_test
