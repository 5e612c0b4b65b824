#pragma once
// The rules of a plan about its people (plan_validate_people.cpp): who is in the
// room, and where each holder's card PIN and the custodian's admin PIN come from.
// validate() (plan_validate.cpp) calls them.

#include <string>

#include "smk/ceremony/plan.hpp"

namespace smk::ceremony::plan_detail {

// Error(invalid_input) "plan FILE: PATH: WHAT (see docs/CEREMONY.md); nothing was
// touched".
[[noreturn]] void invalid(const Plan& plan, const std::string& path, const std::string& what);

// Roles known, no one twice in one role, a ceremony administrator when anyone is listed.
void validate_participants(const Plan& plan);

// Never one PIN file for two holders (the same file however the path is spelt),
// and the admin PIN's custodian one of the participants when they are listed.
void validate_card_pins(const Plan& plan);

}  // namespace smk::ceremony::plan_detail
