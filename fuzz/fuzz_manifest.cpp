// Fuzz target: sha256sum manifest text (smk/manifest.hpp parse), strict and lenient.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smk/error.hpp"
#include "smk/manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    for (const bool strict : {true, false}) {
        try {
            const smk::manifest::Parsed parsed = smk::manifest::parse(text, "SHA256SUMS", strict);
            for (const smk::manifest::Entry& e : parsed.entries) {
                (void)smk::manifest::format_line(e.name, e.digest);
            }
        } catch (const smk::Error&) {
        }
    }
    return 0;
}
