#pragma once
// The one SoftHSM2 test fixture (tests/pkcs11, tests/faults, tests/ceremony): a private
// SoftHSM2 per test case. scripts/softhsm-env.sh makes a config and token
// directory in a fresh temp dir and initialises the tokens; SOFTHSM2_CONF points
// at it for this process and the smk / pkcs11-tool processes it starts. Never
// the system's tokens. If SoftHSM2 is missing the test FAILS.
// Raw PKCS#11 helpers on a token (OpenToken, ...) are in tests/pkcs11/token_raw.hpp.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "support/files.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace smk_test {

inline const std::string kSoftHsmModule = "/usr/lib/softhsm/libsofthsm2.so";
inline const std::string kPin = "123456";
inline const std::string kSoPin = "12345678";  // scripts/softhsm-env.sh's default

class SoftHsm final {
  public:
    // Tokens "LABEL:PIN" (SO PIN 12345678).
    explicit SoftHsm(std::vector<std::string> tokens) : m_tokens(std::move(tokens)) {
        init_tokens();
        m_pin_file = m_dir / "pin";
        write_file(m_pin_file, kPin + "\n");
        m_wrong_pin_file = m_dir / "wrong-pin";
        write_file(m_wrong_pin_file, "999999\n");
        m_so_pin_file = m_dir / "so-pin";
        write_file(m_so_pin_file, kSoPin + "\n");
    }
    ~SoftHsm() { ::unsetenv("SOFTHSM2_CONF"); }
    SoftHsm(const SoftHsm&) = delete;
    SoftHsm& operator=(const SoftHsm&) = delete;

    // Initialises the tokens (again, after one was lost: its directory deleted).
    void init_tokens() {
        Command command({std::string(SMK_SOURCE_DIR) + "/scripts/softhsm-env.sh",
                         (m_dir.path() / "hsm").string()});
        command.argv.insert(command.argv.end(), m_tokens.begin(), m_tokens.end());
        command.capture_dir = m_dir.path();
        const ProcessResult r = run_process(command);
        REQUIRE_MESSAGE(
            r.shell_status() == 0,
            "scripts/softhsm-env.sh failed (the test needs SoftHSM2): " << r.out << r.err);
        m_conf = m_dir.path() / "hsm" / "softhsm2.conf";
        REQUIRE(fs::exists(m_conf));
        REQUIRE(::setenv("SOFTHSM2_CONF", m_conf.c_str(), 1) == 0);
    }
    // The directory of the one token (directories.tokendir/<uuid>).
    [[nodiscard]] fs::path token_dir() const {
        fs::path found;
        int count = 0;
        for (const auto& entry : fs::directory_iterator(m_dir.path() / "hsm" / "tokens")) {
            found = entry.path();
            ++count;
        }
        REQUIRE(count == 1);
        return found;
    }

    [[nodiscard]] const TempDir& dir() const noexcept { return m_dir; }
    [[nodiscard]] const std::string& pin_file() const noexcept { return m_pin_file; }
    [[nodiscard]] const std::string& wrong_pin_file() const noexcept { return m_wrong_pin_file; }
    [[nodiscard]] const std::string& so_pin_file() const noexcept { return m_so_pin_file; }

  private:
    std::vector<std::string> m_tokens;
    TempDir m_dir;
    fs::path m_conf;
    std::string m_pin_file;
    std::string m_wrong_pin_file;
    std::string m_so_pin_file;
};

}  // namespace smk_test
