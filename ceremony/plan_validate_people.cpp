// The plan's people: who is in the room, and whose PIN each card gets.

#include "plan_validate_people.hpp"

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "plan_names.hpp"
#include "smk/error.hpp"

namespace smk::ceremony::plan_detail {

void invalid(const Plan& plan, const std::string& path, const std::string& what) {
    throw Error(ErrorCategory::invalid_input, "plan " + plan.file.string() + ": " + path + ": " +
                                                  what +
                                                  " (see docs/CEREMONY.md); nothing was "
                                                  "touched");
}

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

void validate_card_pins(const Plan& plan) {
    // One PIN source per holder: a file named for two holders would give both
    // the same PIN, which is one PIN for all of them in small.
    std::map<std::string, unsigned> files;  // normalised path -> holder number
    for (const Holder& h : plan.holders) {
        if (h.pin_file.empty()) {
            continue;
        }
        const std::string key = std::filesystem::absolute(h.pin_file).lexically_normal().string();
        const auto [first, inserted] = files.emplace(key, h.number);
        if (!inserted) {
            invalid(plan, "holders[" + std::to_string(h.number - 1) + "].pin_file",
                    h.pin_file.string() + " is holder " + std::to_string(first->second) +
                        "'s PIN file too; each holder has their own PIN source, never one for "
                        "several");
        }
    }
    if (!plan.card_admin_pin_custodian.empty() && !plan.participants.empty() &&
        plan.participant(plan.card_admin_pin_custodian) == nullptr) {
        invalid(
            plan, "cards.admin_pin_custodian",
            "\"" + plan.card_admin_pin_custodian + "\" is not one of the plan's [[participants]]");
    }
}

}  // namespace smk::ceremony::plan_detail
