// Fuzz target: SLIP-39 mnemonic text -> Share (slip39::decode: tokenizer, word
// lookup, RS1024 checksum, padding and parameter checks). A share that decodes
// must encode back to a mnemonic that decodes to the same share.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "smk/error.hpp"
#include "smk/secret.hpp"
#include "smk/slip39.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    smk::crypto_init();
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const smk::slip39::Share share = smk::slip39::decode(text, "fuzz input");
        const smk::Secret again = smk::slip39::encode(share);
        const smk::slip39::Share back = smk::slip39::decode(again.text(), "re-encoded");
        if (!smk::constant_time_equal(back.value.bytes(), share.value.bytes()) ||
            back.info.identifier != share.info.identifier ||
            back.info.member_index != share.info.member_index ||
            back.info.group_index != share.info.group_index) {
            std::abort();  // decode(encode(decode(x))) must be decode(x)
        }
    } catch (const smk::Error&) {
        // Rejected input: the expected outcome for almost every input.
    }
    return 0;
}
