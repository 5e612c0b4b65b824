#pragma once
// Internal: how smk_media escapes a name on one line. coreutils 9.1's rule for
// sha256sum lines: '\' -> "\\", newline -> "\n", CR -> "\r" (a file line holding
// any of them starts with '\'). A manifest's link lines ("# symlink NAME -> TARGET",
// docs/FORMAT.md §8) always escape NAME and TARGET this way and also write '>' as
// "\>", so that " -> " never occurs inside an escaped name or target.

#include <optional>
#include <string>
#include <string_view>

namespace smk::media {

// Whether coreutils would escape `name` (and mark its line with a leading '\').
[[nodiscard]] inline bool needs_escape(std::string_view name) noexcept {
    return name.find_first_of("\\\n\r") != std::string_view::npos;
}

// Appends `name` to `out`, escaped; with `escape_gt` (link lines) '>' too.
inline void append_escaped(std::string& out, std::string_view name, bool escape_gt = false) {
    for (const char c : name) {
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '>':
                out += escape_gt ? "\\>" : ">";
                break;
            default:
                out.push_back(c);
                break;
        }
    }
}

// `name` escaped, without the marking '\' (a link's target on one line).
[[nodiscard]] inline std::string escaped(std::string_view name) {
    std::string out;
    append_escaped(out, name);
    return out;
}

// The inverse (coreutils' filename_unescape, and "\>" with `allow_gt`): nullopt for
// any other escape or a lone '\' at the end.
[[nodiscard]] inline std::optional<std::string> unescape(std::string_view escaped,
                                                         bool allow_gt = false) {
    std::string out;
    out.reserve(escaped.size());
    for (std::size_t i = 0; i < escaped.size(); ++i) {
        if (escaped[i] != '\\') {
            out.push_back(escaped[i]);
            continue;
        }
        if (i + 1 == escaped.size()) {
            return std::nullopt;
        }
        switch (escaped[++i]) {
            case '\\':
                out.push_back('\\');
                break;
            case 'n':
                out.push_back('\n');
                break;
            case 'r':
                out.push_back('\r');
                break;
            case '>':
                if (!allow_gt) {
                    return std::nullopt;
                }
                out.push_back('>');
                break;
            default:
                return std::nullopt;
        }
    }
    return out;
}

}  // namespace smk::media
