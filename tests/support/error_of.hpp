#pragma once
// Test support: the smk::Error a call throws, as its category and message, for
// tests that check both; the test fails when the call throws none.

#include <doctest/doctest.h>

#include <string>
#include <utility>

#include "smk/error.hpp"

namespace smk_test {

template <typename F>
std::pair<smk::ErrorCategory, std::string> error_of(F&& f) {
    try {
        f();
    } catch (const smk::Error& e) {
        return {e.category(), e.what()};
    }
    FAIL("no smk::Error was thrown");
    return {};
}

}  // namespace smk_test
