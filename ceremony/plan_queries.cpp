// The ceremony plan (include/smk/ceremony/plan.hpp), asked: a facility, a holder, the
// application keys' facility, token and files, the drive holding a path, the card of a
// serial, what the policy means. plan_read.cpp parses; these only look things up in what it read.

#include <fmt/core.h>

#include <cctype>
#include <string>

#include "plan_names.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/error.hpp"

namespace smk::ceremony {

namespace fs = std::filesystem;

std::string upper(std::string text) {
    for (char& c : text) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return text;
}

const Facility& Plan::facility(std::string_view wanted) const {
    if (wanted.empty()) {
        return facilities.front();
    }
    std::string names;
    for (const Facility& f : facilities) {
        if (f.name == wanted) {
            return f;
        }
        names += (names.empty() ? "" : ", ") + f.name;
    }
    throw Error(ErrorCategory::usage, "plan " + file.string() + " has no facility \"" +
                                          std::string(wanted) + "\" (it has: " + names + ")");
}

const Holder& Plan::holder(unsigned number) const {
    if (number < 1 || number > holders.size()) {
        throw Error(ErrorCategory::usage, "plan " + file.string() + " has holders 1 to " +
                                              std::to_string(holders.size()) + ", not " +
                                              std::to_string(number));
    }
    return holders[number - 1];
}

const Facility& Plan::application_facility() const {
    return facility(application_keys.value().facility);
}

const std::string& Plan::application_token() const {
    const ApplicationKeys& keys = application_keys.value();
    return keys.token.empty() ? application_facility().tokens.front().label : keys.token;
}

fs::path Plan::application_backup_path() const {
    return backup_source / application_keys.value().backup;
}

fs::path Plan::public_key_path(std::string_view label) const {
    return application_backup_path().parent_path() / (std::string(label) + ".public.der");
}

const Drive* Plan::drive_holding(const fs::path& path) const {
    const fs::path normal = path.lexically_normal();
    for (const Drive& d : drives) {
        fs::path mount = d.mount.lexically_normal();
        if (!mount.has_filename() && mount.has_parent_path()) {
            mount = mount.parent_path();  // "/media/x/" is "/media/x"
        }
        const fs::path rel = normal.lexically_relative(mount);
        if (!rel.empty() && *rel.begin() != ".." && rel != ".") {
            return &d;
        }
    }
    return nullptr;
}

const CardSpec* Plan::card_by_serial(std::string_view serial, const Holder** holder_out) const {
    const std::string wanted = upper(std::string(serial));
    for (const Holder& h : holders) {
        for (const CardSpec& c : h.cards) {
            if (c.serial == wanted) {
                if (holder_out != nullptr) {
                    *holder_out = &h;
                }
                return &c;
            }
        }
    }
    return nullptr;
}

const CardSpec* Holder::card_of_set(unsigned set) const {
    for (const CardSpec& c : cards) {
        if (c.set == set) {
            return &c;
        }
    }
    return nullptr;
}

std::string_view card_pins_name(CardPins pins) noexcept {
    switch (pins) {
        case CardPins::prepared:
            return "prepared";
        case CardPins::set_later:
            return "set-later";
        case CardPins::set_at_issuance:
            break;
    }
    return "set-at-issuance";
}

std::string_view passphrase_source_name(PassphraseSource source) noexcept {
    switch (source) {
        case PassphraseSource::file:
            return "file";
        case PassphraseSource::prompt:
            return "prompt";
        case PassphraseSource::none:
            break;
    }
    return "none";
}

slip39::SplitParams Policy::split_params() const {
    slip39::SplitParams params;
    params.group_threshold = group_threshold;
    params.groups.clear();
    for (const SetPolicy& set : sets) {
        params.groups.push_back({set.threshold, set.count});
    }
    return params;
}

std::string Policy::describe() const {
    std::string text;
    for (std::size_t i = 0; i < sets.size(); ++i) {
        text += fmt::format("{}{} {}-of-{}", i == 0 ? "" : ", ",
                            slip39::group_name(static_cast<unsigned>(i)), sets[i].threshold,
                            sets[i].count);
    }
    if (sets.size() == 1) {
        return text + " recovers the SMK";
    }
    if (group_threshold == sets.size()) {
        return text + "; all " + std::to_string(sets.size()) + " sets are needed";
    }
    return text + fmt::format("; any {} set{} recover{} the SMK", group_threshold,
                              group_threshold == 1 ? "" : "s", group_threshold == 1 ? "s" : "");
}

unsigned Policy::card_count() const {
    unsigned n = 0;
    for (const SetPolicy& set : sets) {
        n += set.count;
    }
    return n;
}

const HolderEvent* Plan::lost_cards(unsigned number) const {
    const HolderEvent* lost = nullptr;
    for (const HolderEvent& e : holder_events) {
        if (e.holder == number && e.kind == "lost" && identifier && e.identifier == *identifier) {
            lost = &e;
        }
    }
    return lost;
}

const Participant* Plan::participant(std::string_view who, std::string_view role) const {
    for (const auto& p : participants) {
        if (p.name == who && (role.empty() || p.role == role)) {
            return &p;
        }
    }
    return nullptr;
}

}  // namespace smk::ceremony
