// Whose PIN each card gets: the holder's, the custodian's admin PIN, the factory
// PINs of a card issued anew until they are replaced (holder_pins.hpp).

#include "holder_pins.hpp"

#include <fmt/core.h>

#include <string_view>

#include "flow_setup.hpp"
#include "smk/error.hpp"
#include "smk/secret_input.hpp"

namespace smk::ceremony {
namespace {

std::string holder_field(const Holder& holder) {
    return fmt::format("holders[{}].pin_file", holder.number - 1);
}

std::string holder_text(const Holder& holder) {
    return fmt::format("holder {} ({})", holder.number, holder.name);
}

std::string custodian_text(const Plan& plan) {
    return plan.card_admin_pin_custodian.empty()
               ? std::string("the custodian")
               : fmt::format("the custodian, {}", plan.card_admin_pin_custodian);
}

// A PIN from a plan file: read (missing, unreadable or empty: Error(io) naming the
// field and the file), then checked as a new PIN, or (prepared) not a factory one.
Secret read_source(const Plan& plan, card::PinKind kind, const std::filesystem::path& file,
                   std::string_view field, std::string_view whose, bool checked_as_new) {
    check_pin_file(plan, file, field);
    Secret pin = read_pin_file(file.string());
    const std::string source =
        fmt::format("plan {}: {} {}", plan.file.string(), field, file.string());
    if (checked_as_new) {
        card::check_new_pin(kind, pin, source);
    } else if (plan.card_pins == CardPins::prepared && card::is_factory_pin(kind, pin)) {
        throw Error(ErrorCategory::refused,
                    fmt::format("{} is the factory {} of {}, and plan {} says the cards come "
                                "with their PINs set ([cards] pins = \"prepared\"): set the "
                                "PIN on the card first ('smk card change-pin'), or plan "
                                "pins = \"set-at-issuance\". Nothing was sent to a card",
                                source, card::pin_name(kind), whose, plan.file.string()));
    }
    return pin;
}

}  // namespace

void check_card_pin_files(const Plan& plan, bool issuing) {
    const bool as_new = issuing && plan.card_pins == CardPins::set_at_issuance;
    for (const Holder& h : plan.holders) {
        if (!h.pin_file.empty()) {
            (void)read_source(plan, card::PinKind::user, h.pin_file, holder_field(h),
                              holder_text(h), as_new);
        }
    }
    if (issuing && !plan.card_admin_pin_file.empty()) {
        (void)read_source(plan, card::PinKind::admin, plan.card_admin_pin_file,
                          "[cards] admin_pin_file", custodian_text(plan), as_new);
    }
}

HolderPins::HolderPins(const Plan& plan, const CeremonyOptions& options, Journal& journal)
    : m_plan(plan),
      m_options(options),
      m_journal(journal),
      m_factory_user(card::factory_pin(card::PinKind::user)),
      m_factory_admin(card::factory_pin(card::PinKind::admin)) {}

bool HolderPins::setting_pins() const noexcept {
    return m_plan.card_pins == CardPins::set_at_issuance;
}

std::string HolderPins::custodian() const {
    return custodian_text(m_plan);
}

void HolderPins::issue_anew(const std::string& serial) {
    if (setting_pins()) {
        m_anew.insert(serial);
    }
}

void HolderPins::choose_custodian_pin() {
    if (m_custodian_pin) {
        return;
    }
    if (!m_plan.card_admin_pin_file.empty()) {
        m_custodian_pin = read_source(m_plan, card::PinKind::admin, m_plan.card_admin_pin_file,
                                      "[cards] admin_pin_file", custodian(), true);
        return;
    }
    if (!m_options.ask_new_pin) {
        throw Error(ErrorCategory::usage,
                    fmt::format("plan {} sets the cards' admin PIN at issuance and names no "
                                "[cards] admin_pin_file; nothing can ask {} for it here. Name "
                                "the file, or run at a terminal. Nothing was touched",
                                m_plan.file.string(), custodian()));
    }
    m_journal.say(
        fmt::format("{}: choose the cards' admin PIN (PW3), and type it twice\n", custodian()));
    m_custodian_pin = m_options.ask_new_pin(
        fmt::format("the cards' admin PIN (PW3), chosen by {} ([cards] admin_pin_file names "
                    "none)",
                    custodian()),
        [](const Secret& typed) {
            card::check_new_pin(card::PinKind::admin, typed, "the terminal");
        });
}

void HolderPins::read_ahead(bool generating_keys) {
    bool some_card_held_before = false;
    for (const Holder& h : m_plan.holders) {
        bool anew = false;
        for (const CardSpec& c : h.cards) {
            anew = anew || m_anew.contains(c.serial);
        }
        if (anew) {
            (void)holder_pin(h, "", true);
        }
    }
    if (!m_anew.empty()) {
        choose_custodian_pin();
    }
    for (const Holder& h : m_plan.holders) {
        for (const CardSpec& c : h.cards) {
            some_card_held_before = some_card_held_before || !m_anew.contains(c.serial);
        }
    }
    if (generating_keys && some_card_held_before) {
        (void)custodian_pin();
    }
}

const Holder& HolderPins::holder_of(const card::ShareStore& card) {
    const Holder* holder = nullptr;
    if (m_plan.card_by_serial(card.serial(), &holder) == nullptr) {
        m_journal.record("card-not-in-plan", {{"card", card.serial()}}, {{"result", "refused"}});
        throw Error(ErrorCategory::refused,
                    fmt::format("card {}: this card is not in the plan {} (a card from another "
                                "ceremony?); it has no holder whose PIN could be sent to it, and "
                                "nothing was read from it. The flow stopped",
                                card.serial(), m_plan.file.string()));
    }
    return *holder;
}

// The holder's PIN, once per flow: their file (`choosing`: checked against the
// rules of a new PIN), else typed by them (`choosing`: twice, checked first).
const Secret& HolderPins::holder_pin(const Holder& holder, std::string_view card_label,
                                     bool choosing) {
    const auto known = m_holder_pins.find(holder.number);
    if (known != m_holder_pins.end()) {
        return known->second;
    }
    Secret pin;
    if (!holder.pin_file.empty()) {
        pin = read_source(m_plan, card::PinKind::user, holder.pin_file, holder_field(holder),
                          holder_text(holder), choosing);
    } else if (choosing) {
        pin = ask_chosen_pin(holder);
    } else {
        pin = ask_current_pin(holder, card_label);
    }
    return m_holder_pins.emplace(holder.number, std::move(pin)).first->second;
}

Secret HolderPins::ask_chosen_pin(const Holder& holder) const {
    if (!m_options.ask_new_pin) {
        throw Error(ErrorCategory::usage,
                    fmt::format("plan {} has {} choose their PIN at issuance and names no "
                                "{}; nothing can ask them here. Name the file, or run at a "
                                "terminal. Nothing was touched",
                                m_plan.file.string(), holder_text(holder), holder_field(holder)));
    }
    m_journal.say(fmt::format("{}: choose the PIN of your card(s), and type it twice\n",
                              holder_text(holder)));
    return m_options.ask_new_pin(fmt::format("the user PIN of {}'s card(s) ({} names none)",
                                             holder_text(holder), holder_field(holder)),
                                 [](const Secret& typed) {
                                     card::check_new_pin(card::PinKind::user, typed,
                                                         "the terminal");
                                 });
}

Secret HolderPins::ask_current_pin(const Holder& holder, std::string_view card_label) const {
    if (!m_options.ask_pin) {
        throw Error(ErrorCategory::usage,
                    fmt::format("plan {} names no {} and nothing can ask {} for their PIN here",
                                m_plan.file.string(), holder_field(holder), holder_text(holder)));
    }
    Secret pin = m_options.ask_pin(fmt::format("{}, {}", holder_text(holder), card_label));
    if (m_plan.card_pins == CardPins::prepared && card::is_factory_pin(card::PinKind::user, pin)) {
        throw Error(ErrorCategory::refused,
                    fmt::format("the PIN typed for {} is the factory user PIN, and plan {} says "
                                "the cards come with their holders' PINs set ([cards] pins = "
                                "\"prepared\"); nothing was sent to the card",
                                card_label, m_plan.file.string()));
    }
    return pin;
}

CardPinReader HolderPins::reader() {
    return [this](card::ShareStore& card) {
        if (m_anew.contains(card.serial())) {
            // A card that still has the authentication key the plan records for it
            // was issued (and wiped since): it keeps its holder's PINs.
            // Any other key says the card is not new: refused before a PIN is sent.
            const Holder* holder = nullptr;
            const CardSpec* spec = m_plan.card_by_serial(card.serial(), &holder);
            const auto key = card.auth_public_key();
            if (key && spec != nullptr && key->sha256_hex() == spec->auth_key_sha256) {
                m_anew.erase(card.serial());
                m_journal.say(
                    fmt::format("  {} has the key it was issued with: it keeps {}'s "
                                "PIN\n",
                                card.label(), holder_text(*holder)));
            } else if (key) {
                throw Error(
                    ErrorCategory::refused,
                    fmt::format("{} is to be issued as a new card but already holds an "
                                "authentication key (public key SHA-256 {}) that plan {} does "
                                "not record: it is not in its factory state (a card used "
                                "before, or an earlier attempt), and no PIN was sent to it. "
                                "Reset it to its factory state ('gpg --card-edit', admin, "
                                "factory-reset) or plan another card",
                                card.label(), key->sha256_hex(), m_plan.file.string()));
            } else {
                if (m_announced.insert(card.serial()).second) {
                    m_journal.say(
                        fmt::format("  {} is new: its factory PIN is verified; its "
                                    "holder's replaces it once it holds its share\n",
                                    card.label()));
                }
                return Secret::copy_of(m_factory_user.bytes());
            }
        }
        const Holder& holder = holder_of(card);
        if (holder.number == m_not_taking_part) {
            return Secret{};  // passed over unread: no PIN of theirs is asked or sent
        }
        return Secret::copy_of(holder_pin(holder, card.label(), false).bytes());
    };
}

const Secret& HolderPins::custodian_pin() {
    if (!m_custodian_pin) {
        if (!m_plan.card_admin_pin_file.empty()) {
            m_custodian_pin = read_source(m_plan, card::PinKind::admin, m_plan.card_admin_pin_file,
                                          "[cards] admin_pin_file", custodian(), false);
        } else if (m_options.ask_admin_pin) {
            m_custodian_pin = m_options.ask_admin_pin(
                fmt::format("the cards (admin PIN, PW3, held by {})", custodian()));
            if (m_plan.card_pins == CardPins::prepared &&
                card::is_factory_pin(card::PinKind::admin, *m_custodian_pin)) {
                throw Error(ErrorCategory::refused,
                            fmt::format("the admin PIN typed is the factory one, and plan {} "
                                        "says the cards come with their PINs set ([cards] pins "
                                        "= \"prepared\"); nothing was sent to a card",
                                        m_plan.file.string()));
            }
        } else {
            throw Error(ErrorCategory::usage,
                        fmt::format("plan {} names no [cards] admin_pin_file and nothing can ask "
                                    "{} for the cards' admin PIN here. Name the file. Nothing "
                                    "was touched",
                                    m_plan.file.string(), custodian()));
        }
    }
    return *m_custodian_pin;
}

const Secret& HolderPins::admin_pin(const std::string& serial) {
    return m_anew.contains(serial) ? m_factory_admin : custodian_pin();
}

void HolderPins::set_pins(card::ShareStore& card, const Holder& holder) {
    if (!m_anew.contains(card.serial())) {
        return;
    }
    const Secret& user = holder_pin(holder, card.label(), true);
    choose_custodian_pin();
    card.change_pin(card::PinKind::user, m_factory_user, user, m_options.card_last_try);
    card.change_pin(card::PinKind::admin, m_factory_admin, *m_custodian_pin,
                    m_options.card_last_try);
    m_anew.erase(card.serial());
    const std::string user_source = holder.pin_file.empty()
                                        ? std::string("chosen by the holder, typed twice")
                                        : "from " + holder_field(holder);
    const std::string admin_source = m_plan.card_admin_pin_file.empty()
                                         ? custodian() + "'s, typed twice"
                                         : custodian() + "'s, from [cards] admin_pin_file";
    m_journal.record("card-pins-set",
                     {{"holder", std::to_string(holder.number)}, {"card", card.serial()}},
                     {{"user_pin", user_source}, {"admin_pin", admin_source}});
    m_journal.say(
        fmt::format("    its PINs: {}'s user PIN, {}'s admin PIN; the factory PINs "
                    "are gone\n",
                    holder_text(holder), custodian()));
}

}  // namespace smk::ceremony
