#pragma once
// The card options of split --to-cards and combine --from-cards, turned into a
// card session of smk_ceremony (smk/ceremony/card_session.hpp).

#include <string_view>

#include "context.hpp"
#include "smk/ceremony/card_session.hpp"

namespace CLI {
class App;
}

namespace smk::cli {

// --pin-file/--pin-fd/--last-try, --card-timeout S and --interactive.
void add_card_flow_options(CLI::App& cmd, CardFlowOptions& options);
// Error(usage) when card options are given without `flag` (e.g. "--to-cards").
void check_card_flow_options(const CardFlowOptions& options, std::string_view flag);
[[nodiscard]] ceremony::CardSessionOptions session_options(const CardFlowOptions& options);

}  // namespace smk::cli
