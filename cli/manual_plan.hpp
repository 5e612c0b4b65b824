#pragma once
// The manual page smk-plan(5), the ceremony plan, as roff: rendered from the plan
// schema (smk/ceremony/plan_schema.hpp), the same table the plan reader takes its
// keys from, so a key the reader accepts is a key the page documents. Written by
// `smk manual --plan` (cli/manual.cpp), built into man/smk-plan.5 by CMake.

#include <string>
#include <string_view>

namespace smk::cli::manual {

[[nodiscard]] std::string render_plan_page(std::string_view version);

}  // namespace smk::cli::manual
