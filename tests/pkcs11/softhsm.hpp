#pragma once
// A private SoftHSM2 per test case: scripts/softhsm-env.sh makes a config and
// token directory in a fresh temp dir and initialises the tokens; SOFTHSM2_CONF
// points at it for this process and the smk / pkcs11-tool processes it starts.
// Never the system's tokens. If SoftHSM2 is missing the test FAILS.

#include <doctest/doctest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "cli/run.hpp"
#include "pkcs11_raw.hpp"
#include "smk/error.hpp"

namespace smk_test {

inline const std::string kSoftHsmModule = "/usr/lib/softhsm/libsofthsm2.so";
inline const std::string kPin = "123456";

class SoftHsm final {
  public:
    // Tokens "LABEL:PIN" (SO PIN 12345678).
    explicit SoftHsm(const std::vector<std::string>& tokens) {
        std::string command = std::string("'") + SMK_SOURCE_DIR + "/scripts/softhsm-env.sh' '" +
                              m_dir.path().string() + "/hsm'";
        for (const auto& token : tokens) {
            command += " '" + token + "'";
        }
        const std::string log = m_dir / "softhsm-env.log";
        command += " >'" + log + "' 2>&1";
        const int rc = std::system(command.c_str());
        REQUIRE_MESSAGE(rc == 0, "scripts/softhsm-env.sh failed: " << read_file(log));
        m_conf = m_dir.path() / "hsm" / "softhsm2.conf";
        REQUIRE(fs::exists(m_conf));
        REQUIRE(::setenv("SOFTHSM2_CONF", m_conf.c_str(), 1) == 0);
        m_pin_file = m_dir / "pin";
        write_file(m_pin_file, kPin + "\n");
        m_wrong_pin_file = m_dir / "wrong-pin";
        write_file(m_wrong_pin_file, "999999\n");
    }
    ~SoftHsm() { ::unsetenv("SOFTHSM2_CONF"); }
    SoftHsm(const SoftHsm&) = delete;
    SoftHsm& operator=(const SoftHsm&) = delete;

    [[nodiscard]] const TempDir& dir() const noexcept { return m_dir; }
    [[nodiscard]] const std::string& pin_file() const noexcept { return m_pin_file; }
    [[nodiscard]] const std::string& wrong_pin_file() const noexcept { return m_wrong_pin_file; }

  private:
    TempDir m_dir;
    fs::path m_conf;
    std::string m_pin_file;
    std::string m_wrong_pin_file;
};

// Runs a shell command line, stdout+stderr into `output`; returns the exit code.
inline int run_shell(const std::string& command, std::string& output, const TempDir& dir) {
    const std::string log = dir / "command.log";
    const int rc = std::system((command + " >'" + log + "' 2>&1").c_str());
    output = read_file(log);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

// A logged-in session on a token of the SoftHSM2 of the current test case.
struct OpenToken {
    smk::pkcs11::Module module{kSoftHsmModule};
    smk::pkcs11::Session session;

    explicit OpenToken(const std::string& label, const std::string& pin = kPin)
        : session(module, label) {
        const auto secret =
            smk::Secret::copy_of({reinterpret_cast<const std::uint8_t*>(pin.data()), pin.size()});
        session.login(secret);
    }
    [[nodiscard]] smk::pkcs11::SessionImpl& raw() { return smk::pkcs11::raw(session); }
};

// The category of the smk::Error `f` throws (fails if it throws none).
template <typename F>
smk::ErrorCategory error_category(F&& f, std::string* message = nullptr) {
    try {
        f();
    } catch (const smk::Error& error) {
        if (message != nullptr) {
            *message = error.what();
        }
        return error.category();
    }
    FAIL("no smk::Error was thrown");
    return smk::ErrorCategory::internal;
}

// AES-ECB of one block with a token key (what two copies of a key must agree on).
inline std::vector<std::uint8_t> encrypt_block(smk::pkcs11::SessionImpl& s, CK_OBJECT_HANDLE key) {
    CK_MECHANISM ecb{CKM_AES_ECB, nullptr, 0};
    REQUIRE(s.f().C_EncryptInit(s.handle, &ecb, key) == CKR_OK);
    std::vector<std::uint8_t> block = {'s', 'm', 'k', ' ', 't', 'e', 's', 't',
                                       ' ', 'b', 'l', 'o', 'c', 'k', '!', '!'};
    std::vector<std::uint8_t> out(16);
    CK_ULONG length = out.size();
    REQUIRE(s.f().C_Encrypt(s.handle, block.data(), block.size(), out.data(), &length) == CKR_OK);
    REQUIRE(length == 16);
    return out;
}

// An application key made in the token: AES-256, extractable (so it can be backed up).
inline CK_OBJECT_HANDLE generate_app_key(smk::pkcs11::SessionImpl& s, const std::string& label,
                                         bool extractable = true) {
    CK_MECHANISM generate{CKM_AES_KEY_GEN, nullptr, 0};
    CK_ULONG length = 32;
    CK_BBOOL yes = CK_TRUE;
    CK_BBOOL no = CK_FALSE;
    CK_BBOOL can_extract = extractable ? CK_TRUE : CK_FALSE;
    std::vector<std::uint8_t> id = {0xA1, 0x02};
    CK_ATTRIBUTE key_template[] = {
        smk::pkcs11::attribute(CKA_VALUE_LEN, length),
        smk::pkcs11::attribute(CKA_TOKEN, yes),
        smk::pkcs11::attribute(CKA_PRIVATE, yes),
        smk::pkcs11::attribute(CKA_SENSITIVE, yes),
        smk::pkcs11::attribute(CKA_EXTRACTABLE, can_extract),
        smk::pkcs11::attribute(CKA_ENCRYPT, yes),
        smk::pkcs11::attribute(CKA_DECRYPT, yes),
        smk::pkcs11::attribute(CKA_WRAP, no),
        smk::pkcs11::attribute(CKA_UNWRAP, no),
        smk::pkcs11::attribute_text(CKA_LABEL, label),
        smk::pkcs11::attribute_bytes(CKA_ID, id),
    };
    CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
    REQUIRE(s.f().C_GenerateKey(s.handle, &generate, key_template, std::size(key_template), &key) ==
            CKR_OK);
    return key;
}

}  // namespace smk_test
