// Fuzz target: the binary card share record (smk/share_record.hpp) as read from an
// OpenPGP card DO or a PKCS#11 data object. A record that decodes must re-encode
// from its mnemonic and decode to the same mnemonic.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "smk/error.hpp"
#include "smk/secret.hpp"
#include "smk/share_record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    smk::crypto_init();
    try {
        const smk::card::DecodedShareRecord record =
            smk::card::decode_share_record(std::span(data, size), "fuzz card");
        const smk::Secret again =
            smk::card::encode_share_record(record.mnemonic.text(), "re-encoded");
        const smk::card::DecodedShareRecord back =
            smk::card::decode_share_record(again.bytes(), "re-encoded");
        if (!smk::constant_time_equal(back.mnemonic.bytes(), record.mnemonic.bytes())) {
            std::abort();
        }
    } catch (const smk::Error&) {
    }
    return 0;
}
