// The ceremony plan, validated as a whole: what one table cannot say alone
// (names, serials, bags and shares planned once, the drives in order).

#include <fmt/core.h>

#include <bit>
#include <cctype>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "plan_names.hpp"
#include "plan_validate_people.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/error.hpp"
#include "smk/slip39.hpp"

namespace smk::ceremony {
namespace {

namespace fs = std::filesystem;
using plan_detail::invalid;

// The numbers of [policy], each against its SLIP-39 rule, named by set.
void validate_policy(const Plan& plan) {
    const Policy& policy = plan.policy;
    if (policy.sets.empty() || policy.sets.size() > kMaxSets) {
        invalid(plan, "policy.sets",
                fmt::format("1 to {} sets (A to D), not {}", kMaxSets, policy.sets.size()));
    }
    for (std::size_t i = 0; i < policy.sets.size(); ++i) {
        const SetPolicy& set = policy.sets[i];
        const std::string path = fmt::format("policy.sets[{}]", i);
        const std::string name = slip39::group_name(static_cast<unsigned>(i));
        if (set.count < 1 || set.count > kMaxSetCount) {
            invalid(plan, path + ".count",
                    fmt::format("{}: count {} is not 1 to {} cards (the SLIP-39 limit)", name,
                                set.count, kMaxSetCount));
        }
        if (set.threshold < 1) {
            invalid(plan, path + ".threshold", name + ": threshold must be at least 1");
        }
        if (set.threshold > set.count) {
            invalid(plan, path + ".threshold",
                    fmt::format("{}: threshold {} is more than its {} cards", name, set.threshold,
                                set.count));
        }
        if (set.threshold == 1 && set.count > 1) {
            invalid(plan, path + ".threshold",
                    fmt::format("{}: threshold 1 of {} cards is not allowed by SLIP-39 (every "
                                "card would hold the same secret); use count 1, or a threshold "
                                "of 2 or more",
                                name, set.count));
        }
    }
    if (policy.group_threshold < 1 || policy.group_threshold > policy.sets.size()) {
        invalid(plan, "policy.group_threshold",
                fmt::format("must be 1 to the {} set(s) planned, not {}", policy.sets.size(),
                            policy.group_threshold));
    }
    if (policy.smk_bytes != 16 && policy.smk_bytes != 32) {
        invalid(
            plan, "policy.smk_bytes",
            fmt::format("must be 16 or 32 (an AES-128 or AES-256 SMK), not {}", policy.smk_bytes));
    }
    if (policy.passphrase == PassphraseSource::file && policy.passphrase_file.empty()) {
        invalid(plan, "policy.passphrase_file",
                "missing: passphrase = \"file\" needs the file that holds it");
    }
    if (policy.passphrase != PassphraseSource::file && !policy.passphrase_file.empty()) {
        invalid(plan, "policy.passphrase_file", "given, but passphrase is not \"file\"");
    }
    try {  // the SLIP-39 implementation's own rules, as a backstop
        slip39::validate(policy.split_params(), policy.smk_bytes);
    } catch (const Error& e) {
        invalid(plan, "policy", e.what());
    }
}

// Whether the sets in `chosen` (a bit mask) can take their thresholds of cards from
// distinct holders (each holder counts once in a restore): a bipartite matching of
// the sets' threshold slots to the holders, by augmenting paths (at most 64 slots).
bool distinct_holders_suffice(const Plan& plan, unsigned chosen) {
    std::vector<unsigned> slots;  // one entry per card needed: its set
    for (unsigned set = 0; set < plan.policy.sets.size(); ++set) {
        if ((chosen >> set) & 1U) {
            slots.insert(slots.end(), plan.policy.sets[set].threshold, set);
        }
    }
    std::vector<int> slot_of_holder(plan.holders.size(), -1);
    for (std::size_t slot = 0; slot < slots.size(); ++slot) {
        std::vector<bool> visited(plan.holders.size(), false);
        const std::function<bool(std::size_t)> place = [&](std::size_t s) {
            for (std::size_t h = 0; h < plan.holders.size(); ++h) {
                if (visited[h] || plan.holders[h].card_of_set(slots[s]) == nullptr) {
                    continue;
                }
                visited[h] = true;
                if (slot_of_holder[h] < 0 || place(static_cast<std::size_t>(slot_of_holder[h]))) {
                    slot_of_holder[h] = static_cast<int>(s);
                    return true;
                }
            }
            return false;
        };
        if (!place(slot)) {
            return false;
        }
    }
    return true;
}

// Some group_threshold of the sets can be made whole by distinct holders; else no
// restore could ever succeed (e.g. two 5-of-7 sets on the same 7 holders, both needed).
void validate_quorum_reachable(const Plan& plan) {
    const auto sets = static_cast<unsigned>(plan.policy.sets.size());
    for (unsigned chosen = 1; chosen < (1U << sets); ++chosen) {
        if (static_cast<unsigned>(std::popcount(chosen)) == plan.policy.group_threshold &&
            distinct_holders_suffice(plan, chosen)) {
            return;
        }
    }
    invalid(plan, "policy.group_threshold",
            fmt::format("{} whole sets are needed ({}), and no {} of them can be made whole by "
                        "distinct holders (each holder counts once in a restore); plan more "
                        "holders or fewer cards per holder",
                        plan.policy.group_threshold, plan.policy.describe(),
                        plan.policy.group_threshold));
}

// Every share of every set on exactly one planned card; a holder holds at most one
// card of each set (so no holder counts twice towards one set), and has their own bag.
void validate_holders(const Plan& plan) {
    const Policy& policy = plan.policy;
    if (plan.holders.empty()) {
        invalid(plan, "holders", "at least one holder is needed");
    }
    std::map<std::string, std::string> serials;                   // card serial -> where
    std::map<std::string, unsigned> bags;                         // bag -> holder number
    std::vector<std::set<unsigned>> planned(policy.sets.size());  // per set: share indexes
    for (std::size_t i = 0; i < plan.holders.size(); ++i) {
        const Holder& h = plan.holders[i];
        const std::string path = "holders[" + std::to_string(i) + "]";
        if (h.cards.empty()) {
            invalid(plan, path + ".cards", "holder \"" + h.name + "\" has no card");
        }
        std::set<unsigned> sets_held;
        for (std::size_t j = 0; j < h.cards.size(); ++j) {
            const CardSpec& c = h.cards[j];
            const std::string cpath = path + ".cards[" + std::to_string(j) + "]";
            const std::string set = slip39::group_name(c.set);
            if (c.set >= policy.sets.size()) {
                invalid(plan, cpath + ".set",
                        fmt::format("{} is not in the policy, which has {} set(s)", set,
                                    policy.sets.size()));
            }
            if (!sets_held.insert(c.set).second) {
                invalid(plan, cpath + ".set",
                        fmt::format("holder \"{}\" has two cards of {}; a holder holds at most "
                                    "one card of each set",
                                    h.name, set));
            }
            const unsigned count = policy.sets[c.set].count;
            if (c.index > count) {
                invalid(plan, cpath + ".index",
                        fmt::format("{} share {}: {} has only {} cards (policy.sets[{}].count)",
                                    set, c.index, set, count, c.set));
            }
            if (!planned[c.set].insert(c.index).second) {
                invalid(plan, cpath + ".index",
                        fmt::format("{} share {} is planned twice", set, c.index));
            }
            const auto [it, inserted] = serials.emplace(c.serial, cpath);
            if (!inserted) {
                invalid(plan, cpath + ".serial",
                        "card " + c.serial + " is already planned at " + it->second +
                            "; every share needs its own card");
            }
            const auto [bag, new_bag] = bags.emplace(c.bag, h.number);
            if (!new_bag && bag->second != h.number) {
                invalid(plan, cpath + ".bag",
                        "bag \"" + c.bag + "\" is also holder " + std::to_string(bag->second) +
                            "'s; each holder has their own bag");
            }
        }
    }
    for (std::size_t g = 0; g < planned.size(); ++g) {
        std::string missing;
        for (unsigned index = 1; index <= policy.sets[g].count; ++index) {
            if (!planned[g].contains(index)) {
                missing += (missing.empty() ? "" : ", ") + std::to_string(index);
            }
        }
        if (!missing.empty()) {
            invalid(plan, "holders",
                    fmt::format("{}: share(s) {} of its {} are on no holder's card; every share "
                                "of a set is planned",
                                slip39::group_name(static_cast<unsigned>(g)), missing,
                                policy.sets[g].count));
        }
    }
}

void validate_application_keys(const Plan& plan) {
    const ApplicationKeys& keys = *plan.application_keys;
    const Facility* facility = nullptr;
    for (const Facility& f : plan.facilities) {
        facility = f.name == keys.facility ? &f : facility;
    }
    if (facility == nullptr) {
        invalid(plan, "application_keys.facility",
                "\"" + keys.facility + "\" is not one of the plan's facilities");
    }
    if (!keys.token.empty()) {
        bool planned = false;
        for (const Token& t : facility->tokens) {
            planned = planned || t.label == keys.token;
        }
        if (!planned) {
            invalid(
                plan, "application_keys.token",
                "\"" + keys.token + "\" is not one of facility " + facility->name + "'s tokens");
        }
    }
    if (keys.labels.empty()) {
        invalid(plan, "application_keys.labels", "at least one key is needed");
    }
    if (keys.wrap_with_trusted && !plan.key_trusted) {
        invalid(plan, "application_keys.wrap_with_trusted",
                "needs [key] trusted = true: keys so marked leave the token only under a "
                "trusted SMK");
    }
    std::set<std::string> labels;
    for (const std::string& label : keys.labels) {
        if (!labels.insert(label).second) {
            invalid(plan, "application_keys.labels", "\"" + label + "\" appears twice");
        }
        if (label == plan.key_label) {
            invalid(plan, "application_keys.labels",
                    "\"" + label + "\" is the SMK's own label; the SMK never leaves the token");
        }
    }
    if (plan.backup_source.empty()) {
        invalid(plan, "application_keys.backup",
                "needs [backup] source: the backup goes into the tree backup-copies copies");
    }
    bool climbs = false;
    for (const auto& part : keys.backup) {
        climbs = climbs || part == "..";
    }
    if (keys.backup.is_absolute() || climbs || !keys.backup.has_filename()) {
        invalid(plan, "application_keys.backup",
                "must be a file name within [backup] source (relative, no \"..\"), not \"" +
                    keys.backup.string() + "\"");
    }
}

// [[drives]] facility, bag and recipient (docs/CEREMONY.md, "Drives and their
// custody"): every drive names a planned facility or none does, each facility keeps
// exactly two drives (the Master counts among its facility's two), and a bag holds
// one drive and no card.
void validate_drive_custody(const Plan& plan) {
    const Drive* with_facility = nullptr;
    for (const Drive& d : plan.drives) {
        with_facility = with_facility == nullptr && !d.facility.empty() ? &d : with_facility;
    }
    std::map<std::string, std::vector<std::string>> kept;  // facility -> drive names
    std::string facility_names;
    for (const Facility& f : plan.facilities) {
        kept[f.name];
        facility_names += (facility_names.empty() ? "" : ", ") + f.name;
    }
    // Bags compared as the operator's reading is compared (backup-copies
    // --one-at-a-time, inventory): in any case.
    const auto bag_key = [](const std::string& bag) { return upper(bag); };
    std::map<std::string, std::size_t> bags;  // bag -> drive index
    std::map<std::string, unsigned> card_bags;
    for (const Holder& h : plan.holders) {
        for (const CardSpec& c : h.cards) {
            card_bags.emplace(bag_key(c.bag), h.number);
        }
    }
    for (std::size_t i = 0; i < plan.drives.size(); ++i) {
        const Drive& d = plan.drives[i];
        const std::string path = "drives[" + std::to_string(i) + "]";
        if (with_facility != nullptr && d.facility.empty()) {
            invalid(plan, path + ".facility",
                    "missing for drive " + d.name + ": drive " + with_facility->name +
                        " names its facility, so every drive must (two per facility)");
        }
        if (!d.facility.empty()) {
            const auto it = kept.find(d.facility);
            if (it == kept.end()) {
                invalid(plan, path + ".facility",
                        "\"" + d.facility + "\" is not one of the plan's facilities (" +
                            facility_names + ")");
            }
            it->second.push_back(d.name);
        }
        if (d.bag.empty()) {
            continue;
        }
        const auto [other, new_bag] = bags.emplace(bag_key(d.bag), i);
        if (!new_bag) {
            invalid(plan, path + ".bag",
                    "bag \"" + d.bag + "\" is also drives[" + std::to_string(other->second) +
                        "] (" + plan.drives[other->second].name +
                        ")'s; each drive travels in its own bag");
        }
        const auto card = card_bags.find(bag_key(d.bag));
        if (card != card_bags.end()) {
            invalid(plan, path + ".bag",
                    "bag \"" + d.bag + "\" is holder " + std::to_string(card->second) +
                        "'s card bag; a drive travels in a bag of its own");
        }
    }
    if (with_facility == nullptr) {
        return;
    }
    for (const Facility& f : plan.facilities) {  // in plan order
        const std::vector<std::string>& names = kept.at(f.name);
        if (names.size() == 2) {
            continue;
        }
        std::string listed;
        for (const std::string& name : names) {
            listed += (listed.empty() ? "" : ", ") + name;
        }
        invalid(plan, "drives",
                "facility " + f.name + " has " + std::to_string(names.size()) +
                    (names.size() == 1 ? " drive" : " drives") +
                    (listed.empty() ? "" : " (" + listed + ")") +
                    "; the plan needs two per facility (the Master counts among its "
                    "facility's two)");
    }
}

}  // namespace

void validate(const Plan& plan) {
    plan_detail::validate_participants(plan);
    if (plan.facilities.empty()) {
        invalid(plan, "facilities", "at least one facility is needed");
    }
    std::set<std::string> facility_names;
    std::set<std::string> token_serials;  // one HSM is in one place
    for (std::size_t i = 0; i < plan.facilities.size(); ++i) {
        const Facility& f = plan.facilities[i];
        const std::string path = "facilities[" + std::to_string(i) + "]";
        if (!facility_names.insert(f.name).second) {
            invalid(plan, path + ".name", "\"" + f.name + "\" appears twice");
        }
        if (f.tokens.empty()) {
            invalid(plan, path + ".tokens", "at least one token is needed");
        }
        std::set<std::string> labels;
        for (std::size_t j = 0; j < f.tokens.size(); ++j) {
            if (!f.tokens[j].so_pin_file.empty() && !plan.key_trusted) {
                invalid(plan, path + ".tokens[" + std::to_string(j) + "].so_pin_file",
                        "is used only with [key] trusted = true (the SO sets CKA_TRUSTED)");
            }
            const Token& t = f.tokens[j];
            const std::string tpath = path + ".tokens[" + std::to_string(j) + "]";
            // PKCS#11 CK_TOKEN_INFO: serialNumber 16, manufacturerID 32, model 16 characters.
            for (const auto& [value, field, max] :
                 {std::tuple{&t.serial, "serial", 16U},
                  std::tuple{&t.manufacturer, "manufacturer", 32U},
                  std::tuple{&t.model, "model", 16U}}) {
                if (value->size() > max) {
                    invalid(plan, tpath + "." + field,
                            "\"" + *value + "\" is longer than the " + std::to_string(max) +
                                " characters a PKCS#11 token " + field + " has");
                }
            }
            std::string serial_key = t.serial;  // compared as the flows compare: any case
            for (char& ch : serial_key) {
                ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
            }
            if (!t.serial.empty() && !token_serials.insert(serial_key).second) {
                invalid(plan, tpath + ".serial",
                        "\"" + t.serial + "\" is pinned to another token of the plan too");
            }
            if (t.serial.empty() && (!t.manufacturer.empty() || !t.model.empty())) {
                invalid(plan, tpath + ".serial",
                        "is needed with manufacturer or model: the serial is what tells two "
                        "HSMs of one model apart");
            }
            if (!labels.insert(f.tokens[j].label).second) {
                invalid(plan, path + ".tokens[" + std::to_string(j) + "].label",
                        "\"" + f.tokens[j].label + "\" appears twice in this facility");
            }
        }
        if (f.application_backup.empty()) {
            if (!f.application_backup_sha256.empty()) {
                invalid(plan, path + ".application_backup_sha256",
                        "given without an application_backup to check");
            }
            if (f.replace_application_keys) {
                invalid(plan, path + ".replace_application_keys",
                        "given without an application_backup to restore");
            }
        } else if (plan.drive_holding(f.application_backup) == nullptr) {
            // restore checks the drive's USB serial before it reads the file.
            invalid(plan, path + ".application_backup",
                    f.application_backup.string() +
                        " is on none of the planned drives (no [[drives]] mount holds it); the "
                        "backup is read from a planned drive whose USB serial is checked");
        }
    }
    validate_policy(plan);
    validate_holders(plan);
    plan_detail::validate_card_pins(plan);
    validate_quorum_reachable(plan);
    if (!plan.drives.empty()) {
        if (plan.backup_source.empty()) {
            invalid(plan, "backup.source", "missing: drives are planned but not what to copy");
        }
        if (plan.drives.front().name != kMasterDrive) {
            invalid(plan, "drives[0].name",
                    "the first drive must be the Master Backup Copy, named \"MASTER\"");
        }
        std::set<std::string> names;
        std::set<std::string> usb_serials;
        std::set<std::string> mounts;
        for (std::size_t i = 0; i < plan.drives.size(); ++i) {
            const Drive& d = plan.drives[i];
            const std::string path = "drives[" + std::to_string(i) + "]";
            if (!names.insert(d.name).second) {
                invalid(plan, path + ".name", "\"" + d.name + "\" appears twice");
            }
            std::string normalised;
            for (const char c : d.usb_serial) {
                if (c != ' ' && c != '-' && c != '\t') {
                    normalised.push_back(
                        static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
                }
            }
            if (!usb_serials.insert(normalised).second) {
                invalid(plan, path + ".usb_serial", "\"" + d.usb_serial + "\" appears twice");
            }
            if (!d.mount.is_absolute()) {
                invalid(plan, path + ".mount",
                        "must be an absolute path, not \"" + d.mount.string() + "\"");
            }
            fs::path mount = d.mount.lexically_normal();
            if (!mount.has_filename() && mount.has_parent_path()) {
                mount = mount.parent_path();  // "/media/x/" and "/media/x" are one mount
            }
            if (!mounts.insert(mount.string()).second) {
                invalid(plan, path + ".mount", "\"" + d.mount.string() + "\" appears twice");
            }
        }
        validate_drive_custody(plan);
    }
    if (plan.application_keys) {
        validate_application_keys(plan);  // after the drives: it needs [backup] source
    }
}

}  // namespace smk::ceremony
