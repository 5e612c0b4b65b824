#pragma once
// Plan unit tests: the plan file name they parse under, and the check that a
// plan text is refused with an error naming the field path.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "smk/ceremony/plan.hpp"
#include "smk/error.hpp"

namespace smk_test {

inline const std::filesystem::path kPlanFile = "/srv/ceremony/plan.toml";

// Parsing `text` fails with invalid_input naming `path` and saying `what`.
inline void check_plan_rejected(const std::string& text, const std::string& path,
                                const std::string& what) {
    try {
        (void)smk::ceremony::parse_plan(text, kPlanFile);
        FAIL("the plan was accepted; expected an error at " << path);
    } catch (const smk::Error& e) {
        const std::string message = e.what();
        INFO("message: " << message);
        CHECK(e.category() == smk::ErrorCategory::invalid_input);
        CHECK(message.find("plan /srv/ceremony/plan.toml: " + path + ": ") != std::string::npos);
        CHECK(message.find(what) != std::string::npos);
    }
}

}  // namespace smk_test
