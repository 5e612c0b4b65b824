// smk ceremony check: the plan, loaded and validated, and what it plans.

#include <fmt/core.h>

#include <utility>

#include "flow_setup.hpp"
#include "holder_pins.hpp"
#include "smk/ceremony/flows.hpp"
#include "smk/ceremony/plan.hpp"

namespace smk::ceremony {

void check_plan(const std::filesystem::path& file, Output& output) {
    const Plan plan = load_plan(file);
    output.result(fmt::format("plan {}: OK", file.string()));
    output.result(fmt::format("  name: {}", plan.name));
    output.result(fmt::format("  transcript: {}", plan.transcript.string()));
    for (const auto& f : plan.facilities) {
        output.result(fmt::format("  facility {}: module {}, {} token(s)", f.name,
                                  f.module.string(), f.tokens.size()));
        for (const auto& t : f.tokens) {
            output.result(
                t.pinned()
                    ? fmt::format("  facility {} token {}: pinned to serial {}{}{}", f.name,
                                  t.label, t.serial,
                                  t.manufacturer.empty() ? "" : ", manufacturer " + t.manufacturer,
                                  t.model.empty() ? "" : ", model " + t.model)
                    : fmt::format("  facility {} token {}: NOT pinned (no serial): any token "
                                  "labelled so receives the SMK",
                                  f.name, t.label));
        }
        if (!f.application_backup.empty()) {
            output.result(fmt::format(
                "  facility {}: restores {} from drive {}, SHA-256 {}{}", f.name,
                f.application_backup.string(), plan.drive_holding(f.application_backup)->name,
                f.application_backup_sha256.empty() ? "not recorded" : f.application_backup_sha256,
                f.replace_application_keys ? ", replacing keys of the same label" : ""));
        }
    }
    output.result(fmt::format("  policy: {}; a {}-byte SMK; passphrase: {}", plan.policy.describe(),
                              plan.policy.smk_bytes,
                              passphrase_source_name(plan.policy.passphrase)));
    const std::string admin_pin = fmt::format(
        "{}{}",
        plan.card_admin_pin_file.empty() ? std::string("typed")
                                         : "from " + plan.card_admin_pin_file.string(),
        plan.card_admin_pin_custodian.empty() ? std::string()
                                              : ", held by " + plan.card_admin_pin_custodian);
    const std::string_view pins =
        plan.card_pins == CardPins::set_at_issuance
            ? "set at issuance (each holder's own PIN and the custodian's admin PIN replace the "
              "factory PINs)"
        : plan.card_pins == CardPins::prepared
            ? "prepared before the ceremony (a factory PIN is refused)"
            : "set by the holders after the ceremony (the cards leave with the PINs they came "
              "with)";
    output.result(fmt::format("  cards: PINs {}; admin PIN {}; {}", pins, admin_pin,
                              plan.card_attest
                                  ? "each card generates its authentication key at issuance"
                                  : "no authentication keys ([cards] attest = false)"));
    for (const auto& h : plan.holders) {
        std::string cards;
        for (const CardSpec& c : h.cards) {
            cards += fmt::format(
                "{}set {} card {} bag {}{}", cards.empty() ? "" : ", ", slip39::set_letter(c.set),
                c.serial, c.bag,
                c.auth_key_sha256.empty() ? "" : " key " + c.auth_key_sha256.substr(0, 16) + "...");
        }
        output.result(fmt::format("  holder {} {}: {}; PIN {}", h.number, h.name, cards,
                                  h.pin_file.empty() ? std::string("typed by the holder")
                                                     : "from " + h.pin_file.string()));
    }
    for (const auto& e : plan.holder_events) {
        const std::string what =
            e.kind == "replaced" ? fmt::format("replaced ({} before, {} now)", e.previous, e.name)
            : e.kind == "lost"
                ? fmt::format(
                      "cards of share set {} reported lost{}", e.identifier,
                      plan.lost_cards(e.holder) == &e ? ": restore and reissue refuse them" : "")
                : std::string("unavailable");
        output.result(fmt::format("  holder {} event at {} by {}: {}{}", e.holder, e.time, e.by,
                                  what, e.note.empty() ? "" : " (" + e.note + ")"));
    }
    for (const auto& d : plan.drives) {
        std::string custody;
        for (const auto& [what, value] :
             {std::pair{"facility", &d.facility}, std::pair{"bag", &d.bag},
              std::pair{"recipient", &d.recipient}}) {
            if (!value->empty()) {
                custody += fmt::format(", {} {}", what, *value);
            }
        }
        output.result(fmt::format("  drive {}: USB serial {} at {}{}", d.name, d.usb_serial,
                                  d.mount.string(), custody));
    }
    // Every PIN file the flows will read, read now (never shown).
    check_card_pin_files(plan, !plan.identifier);
    for (const auto& h : plan.holders) {
        if (!h.pin_file.empty()) {
            output.result(fmt::format("  holder {} PIN file {}: readable{}", h.number,
                                      h.pin_file.string(),
                                      plan.identifier || plan.card_pins != CardPins::set_at_issuance
                                          ? ""
                                          : ", a PIN the rules allow"));
        }
    }
    if (!plan.card_admin_pin_file.empty()) {
        output.result(
            fmt::format("  card admin PIN file {}: readable", plan.card_admin_pin_file.string()));
    }
    for (const auto& f : plan.facilities) {
        for (const auto& t : f.tokens) {
            for (const auto& [pin_file, field] :
                 {std::pair{&t.pin_file, "pin_file"}, std::pair{&t.so_pin_file, "so_pin_file"}}) {
                if (!pin_file->empty()) {
                    check_pin_file(plan, *pin_file,
                                   fmt::format("facility {} token {} {}", f.name, t.label, field));
                    output.result(fmt::format("  facility {} token {}: {} {} readable", f.name,
                                              t.label, field, pin_file->string()));
                }
            }
        }
    }
    if (plan.policy.passphrase == PassphraseSource::file) {
        check_passphrase_file(plan);
        output.result(
            fmt::format("  passphrase file {}: readable", plan.policy.passphrase_file.string()));
    }
    if (plan.identifier) {
        output.result(fmt::format("  issued: identifier {}, KCV {}", *plan.identifier, *plan.kcv));
    }
}

}  // namespace smk::ceremony
