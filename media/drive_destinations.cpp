// The --serial pre-check of `smk media copy`: every destination on the USB drive of
// its paper serial, all checked before anything is written (include/smk/drive.hpp).

#include <fmt/core.h>

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "smk/drive.hpp"
#include "smk/error.hpp"

namespace smk::drive {
namespace {

// The deepest existing directory of `dst` (a destination may not exist yet; the
// drive that will hold it is the one holding its nearest existing ancestor).
std::filesystem::path existing_part(const std::string& dst) {
    std::filesystem::path path = std::filesystem::absolute(dst).lexically_normal();
    std::error_code ec;
    while (!std::filesystem::exists(path, ec) && path.has_relative_path()) {
        path = path.parent_path();
    }
    return path;
}

}  // namespace

void refuse_wrong_drives(const std::vector<std::string>& destinations,
                         const std::vector<std::string>& serials) {
    if (serials.empty()) {
        return;
    }
    if (serials.size() != destinations.size()) {
        throw Error(ErrorCategory::usage,
                    fmt::format("{} --serial given for {} destinations; give one --serial per "
                                "destination, in the same order",
                                serials.size(), destinations.size()));
    }
    for (std::size_t i = 0; i < destinations.size(); ++i) {
        if (normalise_paper_serial(serials[i]).empty()) {
            throw Error(ErrorCategory::usage, "--serial \"" + serials[i] + "\" holds no serial");
        }
    }
    for (std::size_t i = 0; i < destinations.size(); ++i) {
        const std::string& dst = destinations[i];
        UsbDrive usb;
        try {
            usb = usb_drive_for_path(existing_part(dst));
        } catch (const Error& e) {
            throw Error(ErrorCategory::refused,
                        "destination " + dst + " cannot be checked against --serial " + serials[i] +
                            ": " + e.what() + "; nothing was written");
        }
        const SerialComparison cmp = compare_serials(serials[i], usb.serial);
        if (cmp.match) {
            continue;
        }
        std::string message = "destination " + dst + " is on the USB drive with serial " +
                              usb.serial + ", not the one on the paper; nothing was written\n" +
                              "  paper: " + cmp.paper_aligned + "\n" +
                              "  drive: " + cmp.drive_aligned + "\n" + "         " + cmp.carets;
        for (const std::string& e : cmp.explanations()) {
            message += "\n  " + e;
        }
        if (cmp.only_look_alikes()) {
            message +=
                "\n  only look-alike characters differ: check the paper, and if it is "
                "misread, correct it; smk never accepts a look-alike";
        }
        throw Error(ErrorCategory::refused, message);
    }
}

}  // namespace smk::drive
