// Fuzz target: /proc/self/mountinfo text (media/mountinfo.hpp), whole files and
// the octal-escape decoder.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mountinfo.hpp"
#include "smk/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)smk::media::decode_octal_escapes(text);
    try {
        (void)smk::media::parse_mountinfo(text, "mountinfo");
    } catch (const smk::Error&) {
    }
    return 0;
}
