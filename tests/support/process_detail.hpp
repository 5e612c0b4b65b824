#pragma once
// Test support, internal to process.cpp and process_child.cpp: starting a child
// with its fds in place, and reading its output.

#include <sys/types.h>

#include <filesystem>
#include <string>

#include "support/process.hpp"

namespace smk_test::detail {

constexpr int kIdleMs = 60000;  // hang guard: no output for this long

// The child's fds 0, 1, 2 (and pipe_fd) from these parent fds; -1 leaves one as it is.
struct Fds {
    int in = -1;
    int out = -1;
    int err = -1;
    int extra = -1;  // becomes fd `extra_at`
    int extra_at = -1;
};

// open(2) with O_CLOEXEC, mode 0600; REQUIREs success.
int open_fd(const std::filesystem::path& path, int flags);
// pipe2(2) with O_CLOEXEC; REQUIREs success.
void make_pipe(int (&fds)[2]);
// Forks and execs; returns once the exec has happened (or FAILs with its errno).
// `pty_slave` (not empty): a new session whose controlling terminal it is.
pid_t launch(const Command& command, const Fds& fds, const std::string& pty_slave = {});
// A waitpid status as exited + code.
ProcessResult decode(int status);
// Reads into `sink`; closes and clears `fd` at end of file (or EIO: a pty master
// whose child is gone).
void read_into(int& fd, std::string& sink);

}  // namespace smk_test::detail
