// The ceremony plan, validated as a whole: what one table cannot say alone
// (names, serials, bags and shares planned once, the drives in order).

#include <cctype>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "smk/ceremony/plan.hpp"
#include "smk/error.hpp"
#include "smk/slip39.hpp"

namespace smk::ceremony {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void invalid(const Plan& plan, const std::string& path, const std::string& what) {
    throw Error(ErrorCategory::invalid_input, "plan " + plan.file.string() + ": " + path + ": " +
                                                  what +
                                                  " (see docs/CEREMONY.md); nothing was "
                                                  "touched");
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
    const auto bag_key = [](std::string bag) {
        for (char& ch : bag) {
            ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        }
        return bag;
    };
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

namespace {

void validate_participants(const Plan& plan) {
    std::set<std::pair<std::string, std::string>> seen;
    bool administrator = false;
    for (std::size_t i = 0; i < plan.participants.size(); ++i) {
        const Participant& p = plan.participants[i];
        const std::string path = "participants[" + std::to_string(i) + "]";
        bool known = false;
        std::string roles;
        for (const std::string_view role : kParticipantRoles) {
            known = known || p.role == role;
            roles += (roles.empty() ? "" : ", ") + std::string(role);
        }
        if (!known) {
            invalid(plan, path + ".role",
                    "\"" + p.role + "\" is not a role (one of: " + roles + ")");
        }
        if (!seen.insert({p.name, p.role}).second) {
            invalid(plan, path, "\"" + p.name + "\" is listed twice as " + p.role);
        }
        administrator = administrator || p.role == kCeremonyAdministrator;
    }
    if (!plan.participants.empty() && !administrator) {
        invalid(plan, "participants",
                "no ceremony-administrator: someone must direct the ceremony and decide its "
                "exceptions");
    }
}

}  // namespace

void validate(const Plan& plan) {
    validate_participants(plan);
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
    if (plan.holders.size() != kHolderCount) {
        invalid(plan, "holders",
                "a plan has exactly " + std::to_string(kHolderCount) +
                    " holders (2 sets of 5-of-7), not " + std::to_string(plan.holders.size()));
    }
    std::map<std::string, std::string> serials;  // card serial -> where
    std::map<std::string, unsigned> bags;        // bag -> holder number
    std::set<std::pair<unsigned, unsigned>> shares;
    for (std::size_t i = 0; i < plan.holders.size(); ++i) {
        const Holder& h = plan.holders[i];
        const std::string path = "holders[" + std::to_string(i) + "]";
        if (h.cards.size() != kSetCount) {
            invalid(plan, path + ".cards",
                    "holder \"" + h.name +
                        "\" must have exactly 2 cards (one of set A, "
                        "one of set B), not " +
                        std::to_string(h.cards.size()));
        }
        if (h.cards[0].set == h.cards[1].set) {
            invalid(plan, path + ".cards",
                    "holder \"" + h.name + "\" has two cards of set " +
                        slip39::set_letter(h.cards[0].set) + "; one of each set is needed");
        }
        for (std::size_t j = 0; j < h.cards.size(); ++j) {
            const CardSpec& c = h.cards[j];
            const std::string cpath = path + ".cards[" + std::to_string(j) + "]";
            if (!shares.insert({c.set, c.index}).second) {
                invalid(plan, cpath + ".index",
                        std::string("set ") + slip39::set_letter(c.set) + " share " +
                            std::to_string(c.index) + " is planned twice");
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
