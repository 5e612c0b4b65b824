#pragma once
// Test helpers for the private PC/SC stack started by the CTest fixture `pcsc`
// (scripts/pcsc-env.sh): the env file, a PC/SC connection to one reader,
// running client programs, and a factory reset of an emulated card.

#include <PCSC/winscard.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace smk::test {

// STATE_DIR/env of the running stack ($SMK_PCSC_ENV). Sets PCSCLITE_CSOCK_NAME
// in this process. FAILs the test (with the reason) if the stack is not there.
class PcscEnv {
  public:
    PcscEnv();
    [[nodiscard]] std::string get(const std::string& key) const;
    [[nodiscard]] std::string reader(int card) const {
        return get("SMK_PCSC_READER_" + std::to_string(card));
    }
    [[nodiscard]] std::string serial(int card) const {
        return get("SMK_PCSC_SERIAL_" + std::to_string(card));
    }
    [[nodiscard]] std::string state_dir() const { return get("SMK_PCSC_STATE_DIR"); }

  private:
    std::map<std::string, std::string> m_vars;
};

struct ApduResult {
    std::vector<std::uint8_t> data;
    std::uint16_t sw = 0;
};

// One exclusive PC/SC connection to a reader holding an emulated card.
class CardConnection {
  public:
    explicit CardConnection(const std::string& reader);
    ~CardConnection();
    CardConnection(const CardConnection&) = delete;
    CardConnection& operator=(const CardConnection&) = delete;

    [[nodiscard]] ApduResult transmit(const std::vector<std::uint8_t>& apdu);
    // APDU from hex text ("00 A4 04 00 ..."), spaces ignored.
    [[nodiscard]] ApduResult send(const std::string& hex);
    [[nodiscard]] std::uint16_t sw(const std::string& hex) { return send(hex).sw; }

  private:
    SCARDCONTEXT m_context = 0;
    SCARDHANDLE m_card = 0;
    DWORD m_protocol = 0;
};

[[nodiscard]] std::vector<std::uint8_t> from_hex(const std::string& hex);
[[nodiscard]] std::string to_hex_upper(const std::vector<std::uint8_t>& bytes);
[[nodiscard]] bool contains(const std::vector<std::uint8_t>& haystack,
                            const std::vector<std::uint8_t>& needle);

// Runs `sh -c command`, returns stdout+stderr and the exit status.
struct CommandResult {
    int status = -1;
    std::string output;
};
[[nodiscard]] CommandResult run(const std::string& command);

// The line of `opensc-tool -l` output that ends with the reader name ("" if none).
[[nodiscard]] std::string reader_line(const std::string& listing, const std::string& reader);

// SELECT; block PW3 with wrong PINs; TERMINATE DF; ACTIVATE FILE; SELECT.
// Leaves the card factory-new (same serial). CHECKs every step.
void factory_reset(CardConnection& card);

// scripts/pcsc-env.sh in the source tree.
[[nodiscard]] std::string pcsc_env_script();

}  // namespace smk::test
