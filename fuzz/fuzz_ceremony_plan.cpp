// Fuzz target: the ceremony plan (strict TOML, smk/ceremony/plan.hpp parse_plan).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smk/ceremony/plan.hpp"
#include "smk/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        (void)smk::ceremony::parse_plan(text, "/nonexistent/fuzz-plan.toml");
    } catch (const smk::Error&) {
    }
    return 0;
}
