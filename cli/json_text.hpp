#pragma once
// JSON output of the smk command: two-space indent, one trailing newline.
// File names, labels and device names are bytes, so bytes that are not UTF-8
// are replaced (U+FFFD) rather than making the dump throw.

#include <nlohmann/json.hpp>
#include <string>

namespace smk::cli {

[[nodiscard]] inline std::string json_text(const nlohmann::json& json) {
    return json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace smk::cli
