#pragma once
// The canned answers of one OpenPGP card (AID serial 0005:0000001A, 255-byte
// private DOs) for the unit tests that script a card over FakeTransport, and
// the small checks those tests share.

#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <utility>

#include "smk/error.hpp"
#include "smk/secret.hpp"

namespace smk_test {

using Step = std::pair<std::string, std::string>;  // command hex, answer hex

inline const Step kSelect = {"00A4040006D2760001240100", "9000"};
inline const Step kAid = {"00CA004F00", "D27600012401030400050000001A00009000"};
inline const Step kCaps = {"00CA00C000", "7D000BFE080000FF00009000"};

// C4: PW1 valid for several PSO:CDS, max lengths PW1 / RC / PW3, then the tries.
inline Step pw_status(const std::string& tries, const std::string& lengths = "7F7F7F") {
    return {"00CA00C400", "00" + lengths + tries + "9000"};
}

inline smk::Secret pin(const std::string& text) {
    return smk::Secret::copy_of({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

// The category of the smk::Error `action` throws, its text in `message`; FAILs
// when it throws none.
inline smk::ErrorCategory category_of(const std::function<void()>& action, std::string& message) {
    try {
        action();
    } catch (const smk::Error& e) {
        message = e.what();
        return e.category();
    }
    FAIL("no error");
    return smk::ErrorCategory::internal;
}

inline bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace smk_test
