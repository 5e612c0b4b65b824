// Fuzz target: what a card (or something pretending to be one) answers. The input
// is a script of responses: byte 0 holds flags (bit 0: T=0), then records of
// [length byte][that many bytes]; the first record is the ATR, each further one
// answers the next command. Drives the ATR parser, APDU exchange (61xx/6Cxx,
// chaining) and the OpenPGP application's TLV parsing of AID, C0 and C4 and
// GET DATA of the share DO.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "apdu.hpp"
#include "openpgp.hpp"
#include "smk/error.hpp"
#include "smk/secret.hpp"

namespace {

class ScriptedCard final : public smk::card::Transport {
  public:
    ScriptedCard(std::vector<std::vector<std::uint8_t>> answers, bool t0)
        : m_answers(std::move(answers)), m_t0(t0) {}
    smk::Secret transmit(std::span<const std::uint8_t> /*apdu*/) override {
        if (m_next >= m_answers.size()) {
            throw smk::Error(smk::ErrorCategory::device, "fuzz card removed");
        }
        return smk::Secret::copy_of(m_answers[m_next++]);
    }
    bool is_t0() const noexcept override { return m_t0; }

  private:
    std::vector<std::vector<std::uint8_t>> m_answers;
    std::size_t m_next = 0;
    bool m_t0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    smk::crypto_init();
    if (size < 1) {
        return 0;
    }
    const bool t0 = (data[0] & 1u) != 0;
    std::vector<std::vector<std::uint8_t>> records;
    std::size_t i = 1;
    while (i < size) {
        const std::size_t n = data[i++];
        const std::size_t take = n < size - i ? n : size - i;
        records.emplace_back(data + i, data + i + take);
        i += take;
    }
    if (records.empty()) {
        return 0;
    }
    const std::vector<std::uint8_t> atr = records.front();
    records.erase(records.begin());
    try {
        const smk::card::CardCapabilities caps = smk::card::capabilities_from_atr(atr);
        // A long command first: chaining or extended length, per the ATR.
        ScriptedCard raw(records, t0);
        const std::vector<std::uint8_t> long_data(300, 0xA5);
        smk::card::Command put{0x00, 0xDA, 0x01, 0x03, long_data, false};
        try {
            (void)smk::card::exchange(raw, caps, put);
        } catch (const smk::Error&) {
        }
    } catch (const smk::Error&) {
    }
    try {
        ScriptedCard card(records, t0);
        smk::card::OpenPgpApp app(card, atr, "fuzz reader");
        (void)app.read_tries();
        (void)app.get_data(smk::card::kSharePrivateDo);
    } catch (const smk::Error&) {
    }
    return 0;
}
