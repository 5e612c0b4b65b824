#pragma once
// What `smk card` shows of the share a store holds (smk/share_record.hpp): the
// share in one line, the state of the store, the share part of a `card list`
// entry and the verdict of `card verify`, as text and JSON. Public fields only
// (identifier, set, index, thresholds, sizes): never the words.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "smk/share_record.hpp"
#include "smk/slip39.hpp"

namespace smk::card {

// "set A #1 (identifier 1234, 2 shares of the set needed)" (slip39::group_name).
[[nodiscard]] std::string share_text(const slip39::ShareInfo& info);

// "empty", "valid", "garbage".
[[nodiscard]] std::string_view state_name(StoredState state);

// The "share" object of a `card list` entry, as JSON text (no indent): state, and
// the public fields (identifier, set, index, threshold, group_threshold,
// group_count, value_bytes, words) or the problem of a record that is not valid.
[[nodiscard]] std::string stored_share_json(const StoredShare& stored);

// Its line of `card list` text: "share: <share_text>\n", "share: none
// (<empty_text>)\n" or "share: NOT VALID (<problem>)\n".
[[nodiscard]] std::string stored_share_text(const StoredShare& stored, std::string_view empty_text);

// What `card verify` was told to expect; unset fields are not checked.
struct ShareExpectations {
    std::optional<unsigned> identifier;
    std::string set;  // a set letter, "" for any
    std::optional<unsigned> index;
};

struct VerifyReport {
    std::string text;     // the lines for stdout
    std::string json;     // the JSON object (two-space indent, one trailing newline)
    std::string failure;  // why it fails (exit 5), "" when the share is valid as expected
};

// The verdict on what `holder` holds (`ids`: its identifying fields, e.g. card and
// reader, token and serial; `empty_what`: what empty means there): EMPTY, GARBAGE,
// or VALID with the record check and SLIP-39 checksum, and NOT AS EXPECTED with
// every expectation the share does not meet.
[[nodiscard]] VerifyReport verify_report(
    std::string_view holder, const std::vector<std::pair<std::string, std::string>>& ids,
    std::string_view empty_what, const StoredShare& stored, const ShareExpectations& expected);

}  // namespace smk::card
