#include "pcsc_helpers.hpp"

#include <doctest/doctest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>

#include "support/process.hpp"

namespace smk::test {

PcscEnv::PcscEnv() {
    const char* path = std::getenv("SMK_PCSC_ENV");
    if (path == nullptr) {
        FAIL(
            "SMK_PCSC_ENV is not set: run this test through ctest (fixture 'pcsc' starts the "
            "private pcscd)");
    }
    std::ifstream in(path);
    if (!in) {
        FAIL("no PC/SC test stack: "
             << path
             << " is missing; the fixture test 'cardsim: pcsc fixture start' failed "
                "(needs root, pcscd, vsmartcard-vpcd; see its output)");
    }
    std::string line;
    while (std::getline(in, line)) {
        const auto eq = line.find('=');
        if (line.empty() || line[0] == '#' || eq == std::string::npos) {
            continue;
        }
        std::string value = line.substr(eq + 1);
        if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
            value = value.substr(1, value.size() - 2);
        }
        m_vars[line.substr(0, eq)] = value;
    }
    REQUIRE_MESSAGE(m_vars.count("PCSCLITE_CSOCK_NAME") == 1,
                    "env file without PCSCLITE_CSOCK_NAME: " << path);
    setenv("PCSCLITE_CSOCK_NAME", m_vars["PCSCLITE_CSOCK_NAME"].c_str(), 1);
}

std::string PcscEnv::get(const std::string& key) const {
    const auto it = m_vars.find(key);
    if (it == m_vars.end()) {
        FAIL("the PC/SC test stack's env file has no " << key);
    }
    return it->second;
}

CardConnection::CardConnection(const std::string& reader) {
    LONG rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &m_context);
    REQUIRE_MESSAGE(rc == SCARD_S_SUCCESS, "SCardEstablishContext: " << pcsc_stringify_error(rc));
    // The reader may still be settling after a card-start: retry briefly.
    for (int attempt = 0; attempt < 50; ++attempt) {
        rc = SCardConnect(m_context, reader.c_str(), SCARD_SHARE_EXCLUSIVE,
                          SCARD_PROTOCOL_T1 | SCARD_PROTOCOL_T0, &m_card, &m_protocol);
        if (rc != SCARD_E_SHARING_VIOLATION && rc != SCARD_E_NO_SMARTCARD &&
            rc != SCARD_W_REMOVED_CARD) {
            break;
        }
        struct timespec ts {
            0, 100'000'000
        };
        nanosleep(&ts, nullptr);
    }
    REQUIRE_MESSAGE(rc == SCARD_S_SUCCESS,
                    "SCardConnect '" << reader << "': " << pcsc_stringify_error(rc));
}

CardConnection::~CardConnection() {
    if (m_card != 0) {
        SCardDisconnect(m_card, SCARD_RESET_CARD);
    }
    if (m_context != 0) {
        SCardReleaseContext(m_context);
    }
}

ApduResult CardConnection::transmit(const std::vector<std::uint8_t>& apdu) {
    std::array<std::uint8_t, 4096> buf{};
    DWORD len = buf.size();
    const SCARD_IO_REQUEST* pci = m_protocol == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
    const LONG rc = SCardTransmit(m_card, pci, apdu.data(), static_cast<DWORD>(apdu.size()),
                                  nullptr, buf.data(), &len);
    REQUIRE_MESSAGE(rc == SCARD_S_SUCCESS, "SCardTransmit: " << pcsc_stringify_error(rc));
    REQUIRE(len >= 2);
    ApduResult r;
    r.data.assign(buf.begin(), buf.begin() + static_cast<long>(len - 2));
    r.sw = static_cast<std::uint16_t>((buf[len - 2] << 8) | buf[len - 1]);
    return r;
}

ApduResult CardConnection::send(const std::string& hex) {
    return transmit(from_hex(hex));
}

std::vector<std::uint8_t> from_hex(const std::string& hex) {
    std::string digits;
    for (const char c : hex) {
        if (c != ' ') {
            digits.push_back(c);
        }
    }
    REQUIRE(digits.size() % 2 == 0);
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i < digits.size(); i += 2) {
        out.push_back(static_cast<std::uint8_t>(std::stoul(digits.substr(i, 2), nullptr, 16)));
    }
    return out;
}

std::string to_hex_upper(const std::vector<std::uint8_t>& bytes) {
    std::string out;
    for (const auto b : bytes) {
        std::array<char, 3> two{};
        std::snprintf(two.data(), two.size(), "%02X", b);
        out += two.data();
    }
    return out;
}

bool contains(const std::vector<std::uint8_t>& haystack, const std::vector<std::uint8_t>& needle) {
    return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
           haystack.end();
}

CommandResult run(const std::string& command) {
    // stderr joined to stdout in order, as the checks read one listing.
    smk_test::ProcessResult done = smk_test::run_shell(command + " 2>&1");
    CommandResult r;
    r.output = std::move(done.out) + done.err;
    r.status = done.exited ? done.code : -1;
    return r;
}

std::string reader_line(const std::string& listing, const std::string& reader) {
    std::size_t pos = 0;
    while (pos < listing.size()) {
        std::size_t end = listing.find('\n', pos);
        if (end == std::string::npos) {
            end = listing.size();
        }
        const std::string line = listing.substr(pos, end - pos);
        if (line.size() >= reader.size() &&
            line.compare(line.size() - reader.size(), reader.size(), reader) == 0) {
            return line;
        }
        pos = end + 1;
    }
    return {};
}

void factory_reset(CardConnection& card) {
    REQUIRE(card.sw("00 A4 04 00 06 D2 76 00 01 24 01") == 0x9000);
    for (int i = 0; i < 4 && card.sw("00 20 00 83 08 00 00 00 00 00 00 00 00") != 0x6983; ++i) {
    }
    REQUIRE(card.sw("00 20 00 83 08 00 00 00 00 00 00 00 00") == 0x6983);
    REQUIRE(card.sw("00 E6 00 00") == 0x9000);
    REQUIRE(card.sw("00 A4 04 00 06 D2 76 00 01 24 01") == 0x6285);  // termination state
    REQUIRE(card.sw("00 44 00 00") == 0x9000);
    REQUIRE(card.sw("00 A4 04 00 06 D2 76 00 01 24 01") == 0x9000);
}

std::string pcsc_env_script() {
    return std::string(SMK_SOURCE_DIR) + "/scripts/pcsc-env.sh";
}

}  // namespace smk::test
