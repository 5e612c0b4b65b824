#pragma once
// Runs the "media" command group in-process through CLI11, with stdout and stderr
// captured to files and exit codes mapped as cli/main.cpp maps them.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/media.hpp"
#include "media_test_util.hpp"
#include "smk/error.hpp"

namespace smk_test {

struct CliRun {
    int exit = 0;
    std::string out;
    std::string err;
    std::string error;  // the smk::Error or CLI11 message, if any
};

// Redirects fd to a file for the lifetime of the object.
class Capture final {
  public:
    Capture(int fd, const std::filesystem::path& file) : m_fd(fd), m_saved(::dup(fd)) {
        const int target = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        REQUIRE(target >= 0);
        REQUIRE(::dup2(target, fd) == fd);
        ::close(target);
    }
    ~Capture() {
        ::dup2(m_saved, m_fd);
        ::close(m_saved);
    }
    Capture(const Capture&) = delete;
    Capture& operator=(const Capture&) = delete;

  private:
    int m_fd;
    int m_saved;
};

// args start after "smk", e.g. {"media", "digest", FILE}; scratch holds the captures.
inline CliRun run_media_cli(const std::vector<std::string>& args,
                            const std::filesystem::path& scratch) {
    CLI::App app{"smk"};
    app.require_subcommand(1);
    smk::cli::register_media(app);
    std::vector<const char*> argv = {"smk"};
    for (const std::string& a : args) {
        argv.push_back(a.c_str());
    }
    CliRun run;
    {
        const Capture out(1, scratch / "cli-out");
        const Capture err(2, scratch / "cli-err");
        try {
            app.parse(static_cast<int>(argv.size()), argv.data());
        } catch (const smk::Error& e) {
            run.exit = smk::exit_code(e.category());
            run.error = e.what();
        } catch (const CLI::ParseError& e) {
            run.exit = smk::exit_code(smk::ErrorCategory::usage);
            run.error = e.what();
        }
    }
    run.out = read_file_if_exists(scratch / "cli-out");
    run.err = read_file_if_exists(scratch / "cli-err");
    return run;
}

}  // namespace smk_test
