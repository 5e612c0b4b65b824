#pragma once
// The virtual hardware of a ceremony for one test case: a private pcscd with 14
// emulated cards (tests/support/pcsc_stack.hpp), two SoftHSM2 tokens in a
// private SoftHSM2 configuration (tests/support/softhsm.hpp), the PIN files, and a
// plan naming all of it: holder h has card h-1 (set A) and card h+6 (set B) and
// their own PIN file (holder_pin(h)), which issuance puts on their cards in place
// of the factory PIN ([cards] pins = "set-at-issuance", the default), with the
// custodian's admin PIN (card_admin_pin()); facility WELLINGTON has token hsm-one,
// AUCKLAND token hsm-two.
// Needs root; anything that cannot start FAILS the test with its output.

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "ceremony/ceremony_test_util.hpp"
#include "cli/run.hpp"
#include "support/pcsc_stack.hpp"
#include "support/softhsm.hpp"

namespace smk_test {

class CeremonyRig {
  public:
    CeremonyRig() : m_cards(14), m_tokens({"hsm-one:246810", "hsm-two:246810"}) {
        write_file(factory_pin(), "123456\n");  // what a new card answers to
        write_file(card_admin_pin(), std::string(kCustodianAdminPin) + "\n");
        for (int h = 1; h <= 7; ++h) {
            write_file(holder_pin(h), holder_pin_value(h) + "\n");
        }
        write_file(token_pin(), "246810\n");
        write_file(plan(), plan_text());
    }
    CeremonyRig(const CeremonyRig&) = delete;
    CeremonyRig& operator=(const CeremonyRig&) = delete;

    [[nodiscard]] std::string plan() const { return m_dir / "plan.toml"; }
    [[nodiscard]] std::string transcript() const { return m_dir / "plan.transcript.jsonl"; }
    // The custodian's admin PIN, which issuance sets on every card.
    static constexpr const char* kCustodianAdminPin = "73019846";
    // Holder h's PIN (1 to 7): each different, each one the PIN rules allow.
    [[nodiscard]] static std::string holder_pin_value(int h) {
        return "9" + std::to_string(h) + "4720";
    }
    [[nodiscard]] std::string holder_pin(int h) const {
        return m_dir / ("holder-" + std::to_string(h) + ".pin");
    }
    // The PIN file of the holder of card i (0 to 13) as the rig plans them.
    [[nodiscard]] std::string pin_of_card(int i) const { return holder_pin(i < 7 ? i + 1 : i - 6); }
    // The factory user PIN, for a card that has not been issued.
    [[nodiscard]] std::string factory_pin() const { return m_dir / "factory.pin"; }
    [[nodiscard]] std::string card_admin_pin() const { return m_dir / "card-admin.pin"; }
    [[nodiscard]] std::string token_pin() const { return m_dir / "token.pin"; }
    [[nodiscard]] std::string path(const std::string& name) const { return m_dir / name; }
    [[nodiscard]] PcscStack& cards() { return m_cards; }

    [[nodiscard]] std::string plan_text() const {
        std::string text =
            "version = 1\nname = \"test ceremony\"\n\n[key]\nlabel = \"SMK\"\nid = \"01\"\n\n";
        text += "[cards]\nadmin_pin_file = \"" + card_admin_pin() + "\"\n\n";
        text += "[[facilities]]\nname = \"WELLINGTON\"\nmodule = \"" + std::string(kSoftHsmModule) +
                "\"\ntokens = [ { label = \"hsm-one\", pin_file = \"" + token_pin() + "\" } ]\n\n";
        text += "[[facilities]]\nname = \"AUCKLAND\"\nmodule = \"" + std::string(kSoftHsmModule) +
                "\"\ntokens = [ { label = \"hsm-two\", pin_file = \"" + token_pin() + "\" } ]\n";
        for (int h = 1; h <= 7; ++h) {
            text += "\n[[holders]]\nname = \"Holder " + std::to_string(h) + "\"\npin_file = \"" +
                    holder_pin(h) + "\"\ncards = [ ";
            text += "{ set = \"A\", index = " + std::to_string(h) + ", serial = \"" +
                    m_cards.serial(h - 1) + "\", bag = \"BAG-" + std::to_string(h) + "\" },\n";
            text += "  { set = \"B\", index = " + std::to_string(h) + ", serial = \"" +
                    m_cards.serial(h + 6) + "\", bag = \"BAG-" + std::to_string(h) + "\" } ]\n";
        }
        return text;
    }

    // Pulls card i out of its reader and waits until pcscd shows the reader empty.
    void pull(int i) {
        m_cards.card_stop(i);
        const std::string empty = "reader \"" + m_cards.reader(i) + "\": no card";
        for (int tries = 0; tries < 80; ++tries) {
            if (run_smk({"card", "list"}).out.find(empty) != std::string::npos) {
                return;
            }
            ::usleep(250000);
        }
        FAIL("pcscd still shows card " << i << " after it was pulled");
    }

    // Puts card i back and waits until pcscd shows it in its reader.
    void insert(int i) {
        m_cards.card_start(i);
        const std::string present = "reader \"" + m_cards.reader(i) + "\": card ";
        for (int tries = 0; tries < 80; ++tries) {
            if (run_smk({"card", "list"}).out.find(present) != std::string::npos) {
                return;
            }
            ::usleep(250000);
        }
        FAIL("pcscd does not show card " << i << " after it was inserted");
    }

    // `smk hsm kcv` of the SMK in a token: exit code and output.
    [[nodiscard]] RunResult token_kcv(const std::string& token) const {
        return run_smk({"hsm", "kcv", "--pkcs11-module", kSoftHsmModule, "--token", token,
                        "--pin-file", token_pin(), "--label", "SMK"});
    }

  private:
    TempDir m_dir;
    PcscStack m_cards;
    SoftHsm m_tokens;  // SOFTHSM2_CONF set while the rig lives
};

}  // namespace smk_test
