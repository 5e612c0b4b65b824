// Checking a planned drive before a flow uses it (drive_check.hpp).

#include "drive_check.hpp"

#include <fmt/core.h>

#include <filesystem>
#include <string>

#include "smk/error.hpp"

namespace smk::ceremony {

namespace fs = std::filesystem;

namespace {

std::string administrators(const Plan& plan) {
    std::string names;
    for (const auto& p : plan.participants) {
        if (p.role == kCeremonyAdministrator) {
            names += (names.empty() ? "" : ", ") + p.name;
        }
    }
    return names.empty() ? "the Ceremony Administrator (not named in the plan)" : names;
}

// The Ceremony Administrator's reading of the drive, for a look-alike difference
// only: true when it is exactly the drive's serial (recorded as an exception).
bool overridden(const Plan& plan, const Drive& planned, const drive::SerialComparison& c,
                const LookAlikeOverride& look_alike, Journal& journal) {
    if (!look_alike.allowed || !c.only_look_alikes() || !look_alike.ask) {
        return false;
    }
    if (journal.dry_run()) {
        journal.say(fmt::format("  drive {}: --look-alike-override is not taken in a dry run\n",
                                planned.name));
        return false;
    }
    // The drive's own serial is not shown before the answer: the reading must come
    // from the drive in the CA's hand, not from the screen.
    const std::string typed = look_alike.ask(fmt::format(
        "drive {}: the drive's USB serial differs from the plan's only in look-alike "
        "characters (O/0, I/1, ...) at the places marked:\n  plan:  {}\n         {}\n"
        "Ceremony Administrator: read the serial printed on the drive itself and type it as "
        "you read it: ",
        planned.name, c.paper_aligned, c.carets));
    const auto reading = drive::compare_serials(typed, c.drive);
    const transcript::Fields items = {{"drive", planned.name},
                                      {"mount", planned.mount.string()},
                                      {"expected_usb_serial", c.paper},
                                      {"found_usb_serial", c.drive},
                                      {"typed_usb_serial", reading.paper},
                                      {"ca", administrators(plan)}};
    if (!reading.match) {
        journal.record("drive-serial-override-refused", items,
                       {{"result", "the serial typed is not the drive's"}});
        return false;
    }
    journal.record("exception", items,
                   {{"what",
                     "the plan's USB serial differs from the drive's only in look-alike "
                     "characters"},
                    {"decision",
                     "accepted: the Ceremony Administrator read the drive's serial "
                     "and typed it; it is the drive's"}});
    journal.say(
        fmt::format("  drive {}: look-alike override recorded as an exception\n", planned.name));
    return true;
}

}  // namespace

// The drive at the planned mount path, with the planned USB serial.
CheckedDrive check_drive(const Plan& plan, const Drive& planned, Journal& journal,
                         std::string_view nothing_done, const LookAlikeOverride& look_alike) {
    std::error_code ec;
    if (!fs::is_directory(planned.mount, ec)) {
        throw Error(ErrorCategory::device,
                    fmt::format("drive {}: {} is not there (not mounted?); plug in the drive "
                                "labelled {} and mount it there. {}",
                                planned.name, planned.mount.string(), planned.name, nothing_done));
    }
    drive::UsbDrive usb;
    try {
        usb = drive::usb_drive_for_path(planned.mount);
    } catch (const Error& e) {
        throw Error(ErrorCategory::device,
                    fmt::format("drive {}: {}: {}. The plan expects USB drive {} mounted there. {}",
                                planned.name, planned.mount.string(), e.what(), planned.usb_serial,
                                nothing_done));
    }
    const auto comparison = drive::compare_serials(planned.usb_serial, usb.serial);
    const bool override_taken =
        !comparison.match && overridden(plan, planned, comparison, look_alike, journal);
    if (!comparison.match && !override_taken) {
        std::string why;
        for (const auto& line : comparison.explanations()) {
            why += "\n  " + line;
        }
        journal.record("drive-serial-mismatch",
                       {{"drive", planned.name},
                        {"mount", planned.mount.string()},
                        {"expected_usb_serial", comparison.paper},
                        {"found_usb_serial", comparison.drive}},
                       {{"result", "mismatch"}});
        throw Error(ErrorCategory::refused,
                    fmt::format("drive {}: the drive at {} has USB serial {}, the plan says {}:"
                                "\n  plan:  {}\n  drive: {}\n         {}{}\nThis is not the "
                                "planned drive. {}",
                                planned.name, planned.mount.string(), comparison.drive,
                                comparison.paper, comparison.paper_aligned,
                                comparison.drive_aligned, comparison.carets, why, nothing_done) +
                        (comparison.only_look_alikes() && !look_alike.allowed
                             ? " If the Ceremony Administrator compares the drive by eye, "
                               "--look-alike-override lets them type the serial they read "
                               "there; it is recorded as an exception."
                             : ""));
    }
    journal.record("drive-checked",
                   {{"drive", planned.name},
                    {"usb_serial", comparison.drive},
                    {"device", usb.disk.node},
                    {"mount", planned.mount.string()}},
                   {{"serial", override_taken ? "look-alike override" : "match"}});
    return {&planned, usb};
}

}  // namespace smk::ceremony
