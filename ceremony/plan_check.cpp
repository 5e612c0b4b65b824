// smk ceremony check: the plan, loaded and validated, and what it plans.

#include <fmt/core.h>

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
        if (!f.application_backup.empty()) {
            output.result(fmt::format(
                "  facility {}: restores {} from drive {}, SHA-256 {}{}", f.name,
                f.application_backup.string(), plan.drive_holding(f.application_backup)->name,
                f.application_backup_sha256.empty() ? "not recorded" : f.application_backup_sha256,
                f.replace_application_keys ? ", replacing keys of the same label" : ""));
        }
    }
    for (const auto& h : plan.holders) {
        output.result(fmt::format("  holder {} {}: set A card {} bag {}, set B card {} bag {}",
                                  h.number, h.name, h.cards[0].serial, h.cards[0].bag,
                                  h.cards[1].serial, h.cards[1].bag));
    }
    for (const auto& d : plan.drives) {
        output.result(
            fmt::format("  drive {}: USB serial {} at {}", d.name, d.usb_serial, d.mount.string()));
    }
    if (plan.identifier) {
        output.result(fmt::format("  issued: identifier {}, KCV {}", *plan.identifier, *plan.kcv));
    }
}

}  // namespace smk::ceremony
