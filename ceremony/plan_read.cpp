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
#include "smk/ceremony/plan.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/kcv.hpp"
#include "smk/sha256.hpp"
#include "smk/slip39.hpp"
#include "smk/text_file.hpp"

namespace smk::ceremony {
namespace {

namespace fs = std::filesystem;

class Reader {
  public:
    explicit Reader(const fs::path& file) : m_file(file), m_dir(file.parent_path()) {}

    [[noreturn]] void fail(const std::string& path, const std::string& what) const {
        throw Error(ErrorCategory::invalid_input,
                    "plan " + m_file.string() + ": " + path + ": " + what +
                        " (see docs/CEREMONY.md); nothing was touched");
    }

    void allow_only(const toml::table& table, const std::string& path,
                    std::initializer_list<std::string_view> keys) const {
        for (const auto& [key, node] : table) {
            if (std::find(keys.begin(), keys.end(), key.str()) == keys.end()) {
                std::string allowed;
                for (const auto k : keys) {
                    allowed += (allowed.empty() ? "" : ", ") + std::string(k);
                }
                fail(join(path, key.str()), "unknown key (allowed here: " + allowed + ")");
            }
            (void)node;
        }
    }

    static std::string join(const std::string& path, std::string_view key) {
        return path.empty() ? std::string(key) : path + "." + std::string(key);
    }

    const toml::node* get(const toml::table& table, const std::string& path, std::string_view key,
                          bool required) const {
        const toml::node* node = table.get(key);
        if (node == nullptr && required) {
            fail(join(path, key), "missing");
        }
        return node;
    }

    std::string string(const toml::table& table, const std::string& path, std::string_view key,
                       bool required = true) const {
        const toml::node* node = get(table, path, key, required);
        if (node == nullptr) {
            return {};
        }
        if (!node->is_string()) {
            fail(join(path, key), "must be a string");
        }
        std::string value = *node->value<std::string>();
        if (required && value.empty()) {
            fail(join(path, key), "must not be empty");
        }
        return value;
    }

    std::optional<std::int64_t> integer(const toml::table& table, const std::string& path,
                                        std::string_view key, bool required) const {
        const toml::node* node = get(table, path, key, required);
        if (node == nullptr) {
            return std::nullopt;
        }
        if (!node->is_integer()) {
            fail(join(path, key), "must be an integer");
        }
        return *node->value<std::int64_t>();
    }

    bool boolean(const toml::table& table, const std::string& path, std::string_view key) const {
        const toml::node* node = get(table, path, key, false);
        if (node == nullptr) {
            return false;
        }
        if (!node->is_boolean()) {
            fail(join(path, key), "must be true or false");
        }
        return *node->value<bool>();
    }

    fs::path file_path(const toml::table& table, const std::string& path, std::string_view key,
                       bool required = false) const {
        const std::string text = string(table, path, key, required);
        if (text.empty()) {
            return {};
        }
        const fs::path p(text);
        return p.is_absolute() ? p : (m_dir.empty() ? p : m_dir / p);
    }

    const toml::table& table(const toml::table& parent, const std::string& path,
                             std::string_view key) const {
        const toml::node* node = get(parent, path, key, true);
        if (!node->is_table()) {
            fail(join(path, key), "must be a table");
        }
        return *node->as_table();
    }

    const toml::array* array(const toml::table& parent, const std::string& path,
                             std::string_view key, bool required) const {
        const toml::node* node = get(parent, path, key, required);
        if (node == nullptr) {
            return nullptr;
        }
        if (!node->is_array()) {
            fail(join(path, key), "must be an array of tables ([[" + join(path, key) + "]])");
        }
        return node->as_array();
    }

    const toml::table& element(const toml::array& array, const std::string& path,
                               std::size_t i) const {
        if (!array[i].is_table()) {
            fail(path + "[" + std::to_string(i) + "]", "must be a table");
        }
        return *array[i].as_table();
    }

    [[nodiscard]] const fs::path& file() const noexcept { return m_file; }

  private:
    fs::path m_file;
    fs::path m_dir;
};

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

CardSpec parse_card(const Reader& r, const toml::table& t, const std::string& path) {
    r.allow_only(t, path, {"set", "index", "serial", "bag"});
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
    r.allow_only(t, "policy",
                 {"sets", "group_threshold", "smk_bytes", "passphrase", "passphrase_file"});
    Policy& policy = plan.policy;
    policy.sets.clear();
    const toml::array* sets = r.array(t, "policy", "sets", true);
    for (std::size_t i = 0; i < sets->size(); ++i) {
        const std::string path = "policy.sets[" + std::to_string(i) + "]";
        const toml::table& set = r.element(*sets, "policy.sets", i);
        r.allow_only(set, path, {"threshold", "count"});
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

void parse_issued(const Reader& r, const toml::table& root, Plan& plan) {
    const toml::node* node = root.get("issued");
    if (node == nullptr) {
        return;
    }
    if (!node->is_table()) {
        r.fail("issued", "must be a table");
    }
    const toml::table& t = *node->as_table();
    r.allow_only(t, "issued", {"identifier", "kcv", "card", "share", "event"});
    const auto id = r.integer(t, "issued", "identifier", true);
    if (*id < 0 || *id > 0x7FFF) {
        r.fail("issued.identifier",
               "must be 0 to 32767 (a SLIP-39 identifier), not " + std::to_string(*id));
    }
    plan.identifier = static_cast<std::uint16_t>(*id);
    std::string kcv = lower(r.string(t, "issued", "kcv"));
    if (!try_parse_kcv(kcv)) {
        r.fail("issued.kcv", "must be 6 hex digits, not \"" + kcv + "\"");
    }
    plan.kcv = kcv;
    if (const toml::array* cards = r.array(t, "issued", "card", false)) {
        for (std::size_t i = 0; i < cards->size(); ++i) {
            const std::string path = "issued.card[" + std::to_string(i) + "]";
            const toml::table& c = r.element(*cards, "issued.card", i);
            r.allow_only(c, path, {"holder", "set", "serial", "bag"});
            const auto number = r.integer(c, path, "holder", true);
            if (*number < 1 || *number > static_cast<std::int64_t>(plan.holders.size())) {
                r.fail(path + ".holder", "no holder " + std::to_string(*number));
            }
            const unsigned set = parse_set(r, path + ".set", r.string(c, path, "set"));
            Holder& holder = plan.holders[static_cast<std::size_t>(*number - 1)];
            for (CardSpec& card : holder.cards) {
                if (card.set == set) {
                    card.serial = upper(r.string(c, path, "serial"));
                    if (!is_card_serial(card.serial)) {
                        r.fail(path + ".serial", "\"" + card.serial + "\" is not a card serial");
                    }
                    card.bag = r.string(c, path, "bag");
                }
            }
        }
    }
    if (const toml::array* shares = r.array(t, "issued", "share", false)) {
        for (std::size_t i = 0; i < shares->size(); ++i) {
            const std::string path = "issued.share[" + std::to_string(i) + "]";
            const toml::table& c = r.element(*shares, "issued.share", i);
            r.allow_only(c, path, {"holder", "set", "sha256"});
            const auto number = r.integer(c, path, "holder", true);
            if (*number < 1 || *number > static_cast<std::int64_t>(plan.holders.size())) {
                r.fail(path + ".holder", "no holder " + std::to_string(*number));
            }
            const unsigned set = parse_set(r, path + ".set", r.string(c, path, "set"));
            const std::string sha256 = lower(r.string(c, path, "sha256"));
            Sha256 parsed{};
            if (sha256.size() != 64 || !decode_public_hex(sha256, parsed)) {
                r.fail(path + ".sha256", "must be 64 hex digits, not \"" + sha256 + "\"");
            }
            bool found = false;
            for (CardSpec& card : plan.holders[static_cast<std::size_t>(*number - 1)].cards) {
                if (card.set == set) {
                    if (!card.share_sha256.empty()) {
                        r.fail(path, "a second commitment for this card");
                    }
                    card.share_sha256 = sha256;
                    found = true;
                }
            }
            if (!found) {
                r.fail(path + ".set", "holder " + std::to_string(*number) + " has no card of set " +
                                          slip39::set_letter(set));
            }
        }
    }
}

// [[issued.event]]: holder custody events, applied in order (a replacement renames
// the holder).
void parse_events(const Reader& r, const toml::table& issued, Plan& plan) {
    const toml::array* events = r.array(issued, "issued", "event", false);
    if (events == nullptr) {
        return;
    }
    for (std::size_t i = 0; i < events->size(); ++i) {
        const std::string path = "issued.event[" + std::to_string(i) + "]";
        const toml::table& t = r.element(*events, "issued.event", i);
        r.allow_only(t, path,
                     {"holder", "kind", "time", "by", "identifier", "note", "name", "previous"});
        HolderEvent event;
        const auto number = r.integer(t, path, "holder", true);
        if (*number < 1 || *number > static_cast<std::int64_t>(plan.holders.size())) {
            r.fail(path + ".holder", "no holder " + std::to_string(*number));
        }
        event.holder = static_cast<unsigned>(*number);
        event.kind = r.string(t, path, "kind");
        if (std::find(std::begin(kHolderEventKinds), std::end(kHolderEventKinds), event.kind) ==
            std::end(kHolderEventKinds)) {
            r.fail(path + ".kind",
                   "must be \"replaced\", \"lost\" or \"unavailable\", not \"" + event.kind + "\"");
        }
        event.time = r.string(t, path, "time");
        event.by = r.string(t, path, "by");
        const auto id = r.integer(t, path, "identifier", true);
        if (*id < 0 || *id > 0x7FFF) {
            r.fail(path + ".identifier", "must be 0 to 32767, not " + std::to_string(*id));
        }
        event.identifier = static_cast<std::uint16_t>(*id);
        event.note = r.string(t, path, "note", false);
        event.name = r.string(t, path, "name", false);
        event.previous = r.string(t, path, "previous", false);
        if ((event.kind == "replaced") != !event.name.empty()) {
            r.fail(path + ".name", "a replacement names the new holder; other events do not");
        }
        if (event.kind == "replaced") {
            plan.holders[event.holder - 1].name = event.name;
        }
        plan.holder_events.push_back(std::move(event));
    }
}

Plan parse_table(const toml::table& root, std::string_view text, const fs::path& file) {
    const Reader r(file);
    r.allow_only(root, "",
                 {"version", "name", "transcript", "key", "policy", "cards", "facilities",
                  "holders", "participants", "backup", "application_keys", "drives", "issued"});
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
    r.allow_only(key, "key", {"label", "id", "trusted"});
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
        r.allow_only(*cards->as_table(), "cards", {"pin_file"});
        plan.card_pin_file = r.file_path(*cards->as_table(), "cards", "pin_file");
    }

    const toml::array* facilities = r.array(root, "", "facilities", true);
    for (std::size_t i = 0; i < facilities->size(); ++i) {
        const std::string path = "facilities[" + std::to_string(i) + "]";
        const toml::table& t = r.element(*facilities, "facilities", i);
        r.allow_only(t, path,
                     {"name", "module", "tokens", "application_backup", "application_backup_sha256",
                      "replace_application_keys"});
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
            r.allow_only(tt, tpath,
                         {"label", "pin_file", "so_pin_file", "serial", "manufacturer", "model"});
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
        r.allow_only(t, path, {"name", "cards"});
        Holder holder;
        holder.number = static_cast<unsigned>(i + 1);
        holder.name = r.string(t, path, "name");
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
            r.allow_only(t, path, {"name", "role"});
            plan.participants.push_back({r.string(t, path, "name"), r.string(t, path, "role")});
        }
    }

    if (const toml::node* backup = root.get("backup")) {
        if (!backup->is_table()) {
            r.fail("backup", "must be a table");
        }
        r.allow_only(*backup->as_table(), "backup", {"source"});
        plan.backup_source = r.file_path(*backup->as_table(), "backup", "source", true);
    }
    if (const toml::node* keys = root.get("application_keys")) {
        if (!keys->is_table()) {
            r.fail("application_keys", "must be a table");
        }
        const toml::table& t = *keys->as_table();
        r.allow_only(t, "application_keys",
                     {"facility", "token", "labels", "backup", "wrap_with_trusted"});
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
            r.allow_only(t, path, {"name", "usb_serial", "mount", "facility", "bag", "recipient"});
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
