// The share reports of `smk card` (include/smk/share_report.hpp), moved out of
// cli/card.cpp and cli/card_list.cpp byte for byte: the CLI tests pin them.

#include "smk/share_report.hpp"

#include <fmt/core.h>

#include <nlohmann/json.hpp>
#include <string>

#include "smk/slip39.hpp"

namespace smk::card {
namespace {

// The set letter of a group index, as the rest of smk names sets (A, B, ...).

nlohmann::json share_fields(const slip39::ShareInfo& info, unsigned words) {
    return {
        {"identifier", info.identifier},           {"set", slip39::set_letter(info.group_index)},
        {"index", info.member_index + 1},          {"threshold", info.member_threshold},
        {"group_threshold", info.group_threshold}, {"group_count", info.group_count},
        {"value_bytes", info.value_bytes},         {"words", words}};
}

std::vector<std::string> unmet_expectations(const ShareExpectations& expected,
                                            const slip39::ShareInfo& info) {
    std::vector<std::string> unmet;
    if (expected.identifier && *expected.identifier != info.identifier) {
        unmet.push_back(
            fmt::format("identifier is {}, expected {}", info.identifier, *expected.identifier));
    }
    if (!expected.set.empty() && expected.set != slip39::set_letter(info.group_index)) {
        unmet.push_back(fmt::format("set is {}, expected {}", slip39::set_letter(info.group_index),
                                    expected.set));
    }
    if (expected.index && *expected.index != info.member_index + 1) {
        unmet.push_back(
            fmt::format("index is {}, expected {}", info.member_index + 1, *expected.index));
    }
    return unmet;
}

}  // namespace

std::string share_text(const slip39::ShareInfo& info) {
    return fmt::format("{} #{} (identifier {}, {} shares of the set needed)",
                       slip39::group_name(info.group_index), info.member_index + 1, info.identifier,
                       info.member_threshold);
}

std::string_view state_name(StoredState state) {
    switch (state) {
        case StoredState::empty:
            return "empty";
        case StoredState::valid:
            return "valid";
        case StoredState::garbage:
            return "garbage";
    }
    return "unknown";
}

std::string stored_share_json(const StoredShare& stored) {
    nlohmann::json share = {{"state", state_name(stored.state)}};
    if (stored.record) {
        share.update(share_fields(stored.record->info, stored.record->word_count));
    } else if (stored.state != StoredState::empty) {
        share["problem"] = stored.problem;
    }
    return share.dump();
}

std::string stored_share_text(const StoredShare& stored, std::string_view empty_text) {
    if (stored.record) {
        return fmt::format("share: {}\n", share_text(stored.record->info));
    }
    if (stored.state == StoredState::empty) {
        return fmt::format("share: none ({})\n", empty_text);
    }
    return fmt::format("share: NOT VALID ({})\n", stored.problem);
}

VerifyReport verify_report(std::string_view holder,
                           const std::vector<std::pair<std::string, std::string>>& ids,
                           std::string_view empty_what, const StoredShare& stored,
                           const ShareExpectations& expected) {
    VerifyReport report;
    nlohmann::json json = nlohmann::json::object();
    for (const auto& [key, value] : ids) {
        json[key] = value;
    }
    json["state"] = state_name(stored.state);
    json["bytes"] = stored.bytes;
    if (stored.state == StoredState::empty) {
        report.failure = fmt::format("{} holds no share: {}", holder, empty_what);
        report.text = fmt::format("{}: EMPTY ({})\n", holder, empty_what);
    } else if (!stored.record) {
        report.failure = stored.problem;
        json["problem"] = stored.problem;
        report.text = fmt::format("{}: GARBAGE ({} bytes that are not a valid share record)\n",
                                  holder, stored.bytes);
    } else {
        json.update(share_fields(stored.record->info, stored.record->word_count));
        json["record_check"] = "ok";
        json["slip39_checksum"] = "ok";
        const auto unmet = unmet_expectations(expected, stored.record->info);
        json["expectations_met"] = unmet.empty();
        report.text =
            fmt::format("{}: VALID share record: {}; record check OK, SLIP-39 checksum OK\n",
                        holder, share_text(stored.record->info));
        if (!unmet.empty()) {
            std::string all;
            for (const auto& one : unmet) {
                all += (all.empty() ? "" : "; ") + one;
            }
            json["unmet"] = unmet;
            report.failure =
                fmt::format("the share on {} is not the one expected: {}", holder, all);
            report.text += fmt::format("NOT AS EXPECTED: {}\n", all);
        }
    }
    report.json = json.dump(2) + "\n";
    return report;
}

}  // namespace smk::card
