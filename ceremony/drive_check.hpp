#pragma once
// A planned drive checked before a flow uses it: mounted where the plan says,
// a USB drive, with the USB serial on the paper. backup-copies checks every
// drive before it writes; restore checks the drive it reads the backup from.

#include <string_view>

#include "smk/ceremony/flows.hpp"
#include "smk/ceremony/journal.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/drive.hpp"

namespace smk::ceremony {

struct CheckedDrive {
    const Drive* planned = nullptr;
    drive::UsbDrive usb;
};

// The drive at the planned mount path, with the planned USB serial, recorded
// ("drive-checked"). A missing mount or a drive that is not USB: Error(device);
// another serial: Error(refused) showing both serials aligned, recorded
// ("drive-serial-mismatch"). `nothing_done` ends each error ("Nothing was written.").
// A difference only in look-alike characters may be overridden (`look_alike`): the
// serial the Ceremony Administrator types must be exactly the drive's; the decision
// is recorded as an "exception" line naming the plan's ceremony-administrator(s).
[[nodiscard]] CheckedDrive check_drive(const Plan& plan, const Drive& planned, Journal& journal,
                                       std::string_view nothing_done,
                                       const LookAlikeOverride& look_alike);

}  // namespace smk::ceremony
