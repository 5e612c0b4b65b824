#pragma once
// Public text as people read and type it (bag and drive serials, token fields, PGP
// words): compared without regard to ASCII case, a typed reading without the
// blanks around it. Never for secrets (these compare in variable time).

#include <string_view>

namespace smk {

[[nodiscard]] bool equal_ignoring_case(std::string_view a, std::string_view b) noexcept;

// `text` without leading and trailing spaces and tabs.
[[nodiscard]] std::string_view trim_blanks(std::string_view text) noexcept;

// A serial the operator typed, read off a bag, against the planned one: blanks
// around it and case do not matter.
[[nodiscard]] inline bool same_typed_serial(std::string_view typed,
                                            std::string_view planned) noexcept {
    return equal_ignoring_case(trim_blanks(typed), planned);
}

}  // namespace smk
