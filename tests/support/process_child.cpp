// Test support: the background Child of process.hpp.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>

#include "support/process.hpp"
#include "support/process_detail.hpp"

namespace smk_test {

using namespace detail;

Child::Child(const Command& command) {
    int out[2];
    int err[2];
    int pipe[2] = {-1, -1};
    make_pipe(out);
    make_pipe(err);
    if (command.pipe_fd >= 0) {
        make_pipe(pipe);
    }
    const int null = open_fd("/dev/null", O_RDONLY);
    Fds fds{command.pipe_fd == 0 ? pipe[0] : null, out[1], err[1], -1, -1};
    if (command.pipe_fd > 2) {
        fds.extra = pipe[0];
        fds.extra_at = command.pipe_fd;
    }
    m_pid = launch(command, fds);
    ::close(null);
    ::close(out[1]);
    ::close(err[1]);
    if (pipe[0] >= 0) {
        ::close(pipe[0]);
    }
    m_pipe = pipe[1];
    m_out_fd = out[0];
    m_err_fd = err[0];
}

Child::~Child() {
    if (m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
    }
    close_all();
}

Child::Child(Child&& other) noexcept
    : m_pid(std::exchange(other.m_pid, -1)),
      m_pipe(std::exchange(other.m_pipe, -1)),
      m_out_fd(std::exchange(other.m_out_fd, -1)),
      m_err_fd(std::exchange(other.m_err_fd, -1)),
      m_out(std::move(other.m_out)),
      m_err(std::move(other.m_err)) {}

Child& Child::operator=(Child&& other) noexcept {
    if (this != &other) {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
        }
        close_all();
        m_pid = std::exchange(other.m_pid, -1);
        m_pipe = std::exchange(other.m_pipe, -1);
        m_out_fd = std::exchange(other.m_out_fd, -1);
        m_err_fd = std::exchange(other.m_err_fd, -1);
        m_out = std::move(other.m_out);
        m_err = std::move(other.m_err);
    }
    return *this;
}

void Child::write_pipe(std::string_view text) {
    REQUIRE_MESSAGE(m_pipe >= 0, "the child has no pipe (Command::pipe_fd) or it is closed");
    std::signal(SIGPIPE, SIG_IGN);  // a child that is gone gives EPIPE, not our death
    REQUIRE(::write(m_pipe, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    close_pipe();
}

void Child::close_pipe() {
    if (m_pipe >= 0) {
        ::close(m_pipe);
        m_pipe = -1;
    }
}

void Child::signal(int sig) const {
    REQUIRE(::kill(m_pid, sig) == 0);
}

bool Child::running() const {
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(m_pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == 0;
}

void Child::read_available(int timeout_ms) {
    std::vector<pollfd> fds;
    for (const int fd : {m_out_fd, m_err_fd}) {
        if (fd >= 0) {
            fds.push_back({fd, POLLIN, 0});
        }
    }
    if (fds.empty() || ::poll(fds.data(), fds.size(), timeout_ms) <= 0) {
        return;
    }
    for (const auto& p : fds) {
        if (p.revents != 0) {
            p.fd == m_out_fd ? read_into(m_out_fd, m_out) : read_into(m_err_fd, m_err);
        }
    }
}

bool Child::stderr_has(std::string_view needle) {
    for (;;) {
        const std::size_t before = m_out.size() + m_err.size();
        read_available(0);
        if (m_out.size() + m_err.size() == before) {
            break;
        }
    }
    return m_err.find(needle) != std::string::npos;
}

ProcessResult Child::wait(std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    bool killed = false;
    while (m_out_fd >= 0 || m_err_fd >= 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            ::kill(m_pid, SIGKILL);
            killed = true;
            break;
        }
        read_available(static_cast<int>(std::min<long long>(left.count(), kIdleMs)));
    }
    REQUIRE(::waitpid(m_pid, &status, 0) == m_pid);
    m_pid = -1;
    if (killed) {
        FAIL_CHECK("the child did not end within the time limit; stderr so far: " << m_err);
    }
    ProcessResult result = decode(status);
    result.out = std::move(m_out);
    result.err = std::move(m_err);
    close_all();
    return result;
}

void Child::close_all() noexcept {
    for (int* fd : {&m_pipe, &m_out_fd, &m_err_fd}) {
        if (*fd >= 0) {
            ::close(*fd);
            *fd = -1;
        }
    }
}

}  // namespace smk_test
