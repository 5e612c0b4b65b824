#pragma once
// What the report functions of smk_media (copy_report.cpp, manifest_report.cpp,
// drive_report.cpp) share: names on one line, sizes for people, and JSON text.

#include <fmt/core.h>

#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "name_escape.hpp"

namespace smk::media_report {

// A name on one line, escaped as `sha256sum -c` prints it (a leading '\' when the
// name holds '\', newline or CR).
[[nodiscard]] inline std::string one_line(std::string_view name) {
    if (!media::needs_escape(name)) {
        return std::string(name);
    }
    std::string out = "\\";
    media::append_escaped(out, name);
    return out;
}

// "512 B", "1.5 KiB", "3.2 GiB".
[[nodiscard]] inline std::string human_bytes(double bytes) {
    constexpr std::array<const char*, 5> kUnits = {"B", "KiB", "MiB", "GiB", "TiB"};
    std::size_t unit = 0;
    while (bytes >= 1024.0 && unit + 1 < kUnits.size()) {
        bytes /= 1024.0;
        ++unit;
    }
    return unit == 0 ? fmt::format("{:.0f} B", bytes)
                     : fmt::format("{:.1f} {}", bytes, kUnits[unit]);
}

// JSON output of the smk command: two-space indent, one trailing newline. File
// names, labels and device names are bytes, so bytes that are not UTF-8 are
// replaced (U+FFFD) rather than making the dump throw (as cli/json_text.hpp).
[[nodiscard]] inline std::string json_text(const nlohmann::json& json) {
    return json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace smk::media_report
