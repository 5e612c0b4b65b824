// The ceremony plan (include/smk/ceremony/plan.hpp), read: strict TOML through
// toml++. Every table is read with a list of the keys it may hold, so a misspelt
// key is an error naming its path rather than a setting silently ignored.

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <iterator>
#include <map>
#include <set>

#include "plan_names.hpp"
#include "plan_reader.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/kcv.hpp"
#include "smk/sha256.hpp"
#include "smk/slip39.hpp"
#include "smk/text_file.hpp"

namespace smk::ceremony {

namespace fs = std::filesystem;

namespace plan_detail {

std::string lower(std::string text) {
    for (char& c : text) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return text;
}

bool all_hex(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

// "FFFF:5AC00001": the OpenPGP card serial as smk prints it (manufacturer:serial).
bool is_card_serial(std::string_view text) {
    return text.size() == 13 && text[4] == ':' && all_hex(text.substr(0, 4)) &&
           all_hex(text.substr(5));
}

// "A" to "D" (either case): the set letters of kMaxSets sets. Whether the policy
// has that set is validate()'s question.
unsigned parse_set(const Reader& r, const std::string& path, const std::string& text) {
    for (unsigned set = 0; set < kMaxSets; ++set) {
        if (upper(text) == slip39::set_letter(set)) {
            return set;
        }
    }
    r.fail(path, "must be a set letter, \"A\" to \"D\", not \"" + text + "\"");
}

}  // namespace plan_detail
namespace {

using namespace plan_detail;  // NOLINT(google-build-using-namespace): the reader's own parts

CardSpec parse_card(const Reader& r, const toml::table& t, const std::string& path) {
    r.allow_only(t, path, "holders.cards");
    CardSpec card;
    card.set = parse_set(r, path + ".set", r.string(t, path, "set"));
    const auto index = r.integer(t, path, "index", true);
    if (*index < 1 || *index > static_cast<std::int64_t>(kMaxSetCount)) {
        r.fail(path + ".index",
               "must be 1 to " + std::to_string(kMaxSetCount) + ", not " + std::to_string(*index));
    }
    card.index = static_cast<unsigned>(*index);
    card.serial = upper(r.string(t, path, "serial"));
    if (!is_card_serial(card.serial)) {
        r.fail(path + ".serial", "\"" + card.serial +
                                     "\" is not a card serial like \"FFFF:5AC00001\" (as 'smk "
                                     "card list' shows it)");
    }
    card.bag = r.string(t, path, "bag");
    return card;
}

// A count or threshold: required unless it has a fallback.
unsigned small_count(const Reader& r, const toml::table& t, const std::string& path,
                     std::string_view key, std::optional<unsigned> fallback) {
    const auto value = r.integer(t, path, key, !fallback);
    if (!value) {
        return *fallback;
    }
    if (*value < 0 || *value > 1024) {
        r.fail(Reader::join(path, key),
               "must be a small whole number, not " + std::to_string(*value));
    }
    return static_cast<unsigned>(*value);
}

// [policy]; validate() checks the numbers against SLIP-39 and the holders' cards.
void parse_policy(const Reader& r, const toml::table& root, Plan& plan) {
    const toml::node* node = root.get("policy");
    if (node == nullptr) {
        return;  // the KMP default (Policy's initial values)
    }
    if (!node->is_table()) {
        r.fail("policy", "must be a table");
    }
    const toml::table& t = *node->as_table();
    r.allow_only(t, "policy", "policy");
    Policy& policy = plan.policy;
    policy.sets.clear();
    const toml::array* sets = r.array(t, "policy", "sets", true);
    for (std::size_t i = 0; i < sets->size(); ++i) {
        const std::string path = "policy.sets[" + std::to_string(i) + "]";
        const toml::table& set = r.element(*sets, "policy.sets", i);
        r.allow_only(set, path, "policy.sets");
        policy.sets.push_back({small_count(r, set, path, "threshold", std::nullopt),
                               small_count(r, set, path, "count", std::nullopt)});
    }
    policy.group_threshold = small_count(r, t, "policy", "group_threshold", 1);
    policy.smk_bytes = small_count(r, t, "policy", "smk_bytes", 32);
    const std::string source = r.string(t, "policy", "passphrase", false);
    if (source.empty() || source == "none") {
        policy.passphrase = PassphraseSource::none;
    } else if (source == "file") {
        policy.passphrase = PassphraseSource::file;
    } else if (source == "prompt") {
        policy.passphrase = PassphraseSource::prompt;
    } else {
        r.fail("policy.passphrase",
               "must be \"none\", \"file\" or \"prompt\", not \"" + source + "\"");
    }
    policy.passphrase_file = r.file_path(t, "policy", "passphrase_file");
}

Plan parse_table(const toml::table& root, std::string_view text, const fs::path& file) {
    const Reader r(file);
    r.allow_only(root, "", "");
    Plan plan;
    plan.file = file;
    plan.text = std::string(text);
    const auto version = r.integer(root, "", "version", true);
    if (*version != kPlanVersion) {
        r.fail("version", "must be " + std::to_string(kPlanVersion) +
                              " (this smk reads plan "
                              "version 1), not " +
                              std::to_string(*version));
    }
    plan.name = r.string(root, "", "name");
    plan.transcript = r.file_path(root, "", "transcript");
    if (plan.transcript.empty()) {
        plan.transcript = file.parent_path() / (base_stem(file) + ".transcript.jsonl");
    }

    const toml::table& key = r.table(root, "", "key");
    r.allow_only(key, "key", "key");
    plan.key_trusted = r.boolean(key, "key", "trusted");
    plan.key_label = r.string(key, "key", "label");
    plan.key_id = lower(r.string(key, "key", "id"));
    if (plan.key_id.size() % 2 != 0 || !all_hex(plan.key_id)) {
        r.fail("key.id",
               "must be an even number of hex digits (the CKA_ID), not \"" + plan.key_id + "\"");
    }

    parse_policy(r, root, plan);
    if (const toml::node* cards = root.get("cards")) {
        if (!cards->is_table()) {
            r.fail("cards", "must be a table");
        }
        const toml::table& c = *cards->as_table();
        if (c.contains("pin_file")) {
            r.fail("cards.pin_file",
                   "one PIN for every card is not allowed: each holder has their own. Give "
                   "each holder a pin_file ([[holders]] pin_file), or leave it out and each "
                   "holder types theirs");
        }
        r.allow_only(c, "cards", "cards");
        const std::string pins = r.string(c, "cards", "pins", false);
        if (pins == "prepared") {
            plan.card_pins = CardPins::prepared;
        } else if (pins == "set-later") {
            plan.card_pins = CardPins::set_later;
        } else if (!pins.empty() && pins != "set-at-issuance") {
            r.fail("cards.pins",
                   "must be \"set-at-issuance\", \"prepared\" or \"set-later\", "
                   "not \"" +
                       pins + "\"");
        }
        if (c.contains("attest")) {
            plan.card_attest = r.boolean(c, "cards", "attest");
        }
        plan.card_admin_pin_file = r.file_path(c, "cards", "admin_pin_file");
        plan.card_admin_pin_custodian = r.string(c, "cards", "admin_pin_custodian", false);
    }

    const toml::array* facilities = r.array(root, "", "facilities", true);
    for (std::size_t i = 0; i < facilities->size(); ++i) {
        const std::string path = "facilities[" + std::to_string(i) + "]";
        const toml::table& t = r.element(*facilities, "facilities", i);
        r.allow_only(t, path, "facilities");
        Facility facility;
        facility.name = r.string(t, path, "name");
        facility.module = r.file_path(t, path, "module", true);
        facility.application_backup = r.file_path(t, path, "application_backup");
        const std::string sha256 = r.string(t, path, "application_backup_sha256", false);
        if (!sha256.empty()) {
            const auto hex = sha256_hex_from_text(sha256);
            if (!hex) {
                r.fail(path + ".application_backup_sha256",
                       "must be a SHA-256 as 64 hex digits or the colon form of openssl dgst "
                       "-c, not \"" +
                           sha256 + "\"");
            }
            facility.application_backup_sha256 = *hex;
        }
        facility.replace_application_keys = r.boolean(t, path, "replace_application_keys");
        const toml::array* tokens = r.array(t, path, "tokens", true);
        for (std::size_t j = 0; j < tokens->size(); ++j) {
            const std::string tpath = path + ".tokens[" + std::to_string(j) + "]";
            const toml::table& tt = r.element(*tokens, path + ".tokens", j);
            r.allow_only(tt, tpath, "facilities.tokens");
            facility.tokens.push_back(
                {r.string(tt, tpath, "label"), r.file_path(tt, tpath, "pin_file"),
                 r.file_path(tt, tpath, "so_pin_file"), r.string(tt, tpath, "serial", false),
                 r.string(tt, tpath, "manufacturer", false), r.string(tt, tpath, "model", false)});
        }
        plan.facilities.push_back(std::move(facility));
    }

    const toml::array* holders = r.array(root, "", "holders", true);
    for (std::size_t i = 0; i < holders->size(); ++i) {
        const std::string path = "holders[" + std::to_string(i) + "]";
        const toml::table& t = r.element(*holders, "holders", i);
        r.allow_only(t, path, "holders");
        Holder holder;
        holder.number = static_cast<unsigned>(i + 1);
        holder.name = r.string(t, path, "name");
        holder.pin_file = r.file_path(t, path, "pin_file");
        const toml::array* cards = r.array(t, path, "cards", true);
        for (std::size_t j = 0; j < cards->size(); ++j) {
            holder.cards.push_back(parse_card(r, r.element(*cards, path + ".cards", j),
                                              path + ".cards[" + std::to_string(j) + "]"));
        }
        plan.holders.push_back(std::move(holder));
    }

    if (const toml::array* participants = r.array(root, "", "participants", false)) {
        for (std::size_t i = 0; i < participants->size(); ++i) {
            const std::string path = "participants[" + std::to_string(i) + "]";
            const toml::table& t = r.element(*participants, "participants", i);
            r.allow_only(t, path, "participants");
            plan.participants.push_back({r.string(t, path, "name"), r.string(t, path, "role")});
        }
    }

    if (const toml::node* backup = root.get("backup")) {
        if (!backup->is_table()) {
            r.fail("backup", "must be a table");
        }
        r.allow_only(*backup->as_table(), "backup", "backup");
        plan.backup_source = r.file_path(*backup->as_table(), "backup", "source", true);
    }
    if (const toml::node* keys = root.get("application_keys")) {
        if (!keys->is_table()) {
            r.fail("application_keys", "must be a table");
        }
        const toml::table& t = *keys->as_table();
        r.allow_only(t, "application_keys", "application_keys");
        ApplicationKeys application;
        application.facility = r.string(t, "application_keys", "facility");
        application.token = r.string(t, "application_keys", "token", false);
        const toml::node* labels = r.get(t, "application_keys", "labels", true);
        if (!labels->is_array()) {
            r.fail("application_keys.labels", "must be an array of strings");
        }
        for (const auto& label : *labels->as_array()) {
            if (!label.is_string() || label.value<std::string>()->empty()) {
                r.fail("application_keys.labels", "must be an array of non-empty strings");
            }
            application.labels.push_back(*label.value<std::string>());
        }
        application.backup = r.string(t, "application_keys", "backup");
        application.wrap_with_trusted = r.boolean(t, "application_keys", "wrap_with_trusted");
        plan.application_keys = std::move(application);
    }
    if (const toml::array* drives = r.array(root, "", "drives", false)) {
        for (std::size_t i = 0; i < drives->size(); ++i) {
            const std::string path = "drives[" + std::to_string(i) + "]";
            const toml::table& t = r.element(*drives, "drives", i);
            r.allow_only(t, path, "drives");
            Drive drive;
            drive.name = r.string(t, path, "name");
            drive.usb_serial = r.string(t, path, "usb_serial");
            drive.mount = r.string(t, path, "mount");
            // Custody: optional, but an empty value is a half-filled line, not "none".
            for (const auto& [custody, field] :
                 {std::pair{"facility", &drive.facility}, std::pair{"bag", &drive.bag},
                  std::pair{"recipient", &drive.recipient}}) {
                *field = r.string(t, path, custody, t.get(custody) != nullptr);
            }
            plan.drives.push_back(std::move(drive));
        }
    }
    parse_issued(r, root, plan);
    if (const toml::node* issued = root.get("issued"); issued != nullptr && issued->is_table()) {
        parse_events(r, *issued->as_table(), plan);
    }
    return plan;
}

}  // namespace

Plan parse_plan(std::string_view text, const fs::path& file) {
    toml::table root;
    try {
        root = toml::parse(text, file.string());
    } catch (const toml::parse_error& e) {
        const auto& where = e.source().begin;
        throw Error(ErrorCategory::invalid_input,
                    "plan " + file.string() + " line " + std::to_string(where.line) + " column " +
                        std::to_string(where.column) + ": not valid TOML: " +
                        std::string(e.description()) + "; nothing was touched");
    }
    Plan plan = parse_table(root, text, file);
    validate(plan);
    return plan;
}

Plan load_plan(const fs::path& file) {
    return parse_plan(read_text_file(file, "plan", kMaxPlanBytes), file);
}

}  // namespace smk::ceremony
