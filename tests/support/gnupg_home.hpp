#pragma once
// Test support: a private GNUPGHOME whose scdaemon talks PC/SC (to the pcscd of
// the inherited PCSCLITE_CSOCK_NAME) on one reader, with a pinentry that answers
// the factory PINs (the Admin PIN when asked for it). Its own temp dir; the
// agent is killed (gpgconf --kill all) and the dir removed when the object goes.

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace smk_test {

class GnupgHome {
  public:
    explicit GnupgHome(const std::string& reader) : m_home("gnupg") {
        const auto& dir = m_home.path();
        ::chmod(dir.c_str(), 0700);
        std::ofstream(dir / "scdaemon.conf")
            << "disable-ccid\npcsc-shared\nreader-port " << reader << "\n";
        const auto pinentry = dir / "pinentry.sh";
        std::ofstream(pinentry) << "#!/bin/sh\n"
                                   "echo 'OK test pinentry'\n"
                                   "pin=123456\n"
                                   "while read -r cmd rest; do\n"
                                   "  case \"$cmd\" in\n"
                                   "    SETDESC|SETPROMPT) case \"$rest\" in *Admin*) pin=12345678 "
                                   ";; esac; echo OK ;;\n"
                                   "    GETPIN) echo \"D $pin\"; echo OK ;;\n"
                                   "    BYE) echo OK; exit 0 ;;\n"
                                   "    *) echo OK ;;\n"
                                   "  esac\n"
                                   "done\n";
        ::chmod(pinentry.c_str(), 0700);
        std::ofstream(dir / "gpg-agent.conf") << "pinentry-program " << pinentry.string() << "\n";
    }
    ~GnupgHome() {
        // Best effort: a daemon that is already gone is fine.
        if (run({"gpgconf", "--kill", "all"}).shell_status() != 0) {
            MESSAGE("gpgconf --kill all failed; a gpg-agent may be left running");
        }
    }
    GnupgHome(const GnupgHome&) = delete;
    GnupgHome& operator=(const GnupgHome&) = delete;

    [[nodiscard]] const std::filesystem::path& dir() const { return m_home.path(); }
    // For a shell command line: "GNUPGHOME='DIR' timeout 60 ".
    [[nodiscard]] std::string prefix() const {
        return "GNUPGHOME='" + dir().string() + "' timeout 60 ";
    }
    // A GnuPG tool with this GNUPGHOME (at most 60 s). Output in files, as the
    // agent it starts may keep them open.
    [[nodiscard]] ProcessResult run(std::vector<std::string> argv) const {
        argv.insert(argv.begin(), {"timeout", "60"});
        Command command(std::move(argv));
        command.env = {"GNUPGHOME=" + dir().string()};
        command.capture_dir = dir();
        return run_process(command);
    }
    // gpg-connect-agent COMMANDS... /bye: stdout and stderr, and the exit status
    // when it is not 0.
    [[nodiscard]] std::string agent(std::vector<std::string> commands) const {
        commands.insert(commands.begin(), "gpg-connect-agent");
        commands.emplace_back("/bye");
        const ProcessResult r = run(std::move(commands));
        return r.out + r.err +
               (r.shell_status() == 0 ? ""
                                      : "\n(exit status " + std::to_string(r.shell_status()) + ")");
    }

  private:
    TempDir m_home;
};

}  // namespace smk_test
