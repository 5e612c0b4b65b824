// The share reports of `smk card` (include/smk/share_report.hpp) in process: the
// share line, the `card list` share object and the `card verify` verdicts.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "smk/share_report.hpp"

namespace {

smk::card::StoredShare valid_share() {
    smk::slip39::ShareInfo info;
    info.identifier = 1234;
    info.group_index = 1;
    info.group_threshold = 2;
    info.group_count = 3;
    info.member_index = 2;
    info.member_threshold = 3;
    info.value_bytes = 32;
    smk::card::StoredShare stored;
    stored.state = smk::card::StoredState::valid;
    stored.bytes = 61;
    stored.record = smk::card::DecodedShareRecord{info, 33, smk::Secret()};
    return stored;
}

}  // namespace

TEST_CASE("share report: the share line, the state names and the card list share object") {
    const auto stored = valid_share();
    CHECK(smk::card::share_text(stored.record->info) ==
          "set B #3 (identifier 1234, 3 shares of the set needed)");
    CHECK(smk::card::state_name(smk::card::StoredState::garbage) == "garbage");
    CHECK(smk::card::stored_share_text(stored, "-") ==
          "share: set B #3 (identifier 1234, 3 shares of the set needed)\n");
    const auto json = nlohmann::json::parse(smk::card::stored_share_json(stored));
    CHECK(json["state"] == "valid");
    CHECK(json["set"] == "B");
    CHECK(json["index"] == 3);
    CHECK(json["words"] == 33);

    const smk::card::StoredShare empty;
    CHECK(smk::card::stored_share_text(empty, "DO 0103 is empty") ==
          "share: none (DO 0103 is empty)\n");
    CHECK(smk::card::stored_share_json(empty) == R"({"state":"empty"})");
    smk::card::StoredShare garbage;
    garbage.state = smk::card::StoredState::garbage;
    garbage.problem = "bad magic";
    CHECK(smk::card::stored_share_text(garbage, "-") == "share: NOT VALID (bad magic)\n");
    CHECK(smk::card::stored_share_json(garbage) == R"({"problem":"bad magic","state":"garbage"})");
}

TEST_CASE("share report: card verify of a valid, an unexpected, an empty and a garbled share") {
    const std::vector<std::pair<std::string, std::string>> ids = {{"card", "S1"}, {"reader", "R"}};
    const auto ok =
        smk::card::verify_report("card S1", ids, "DO 0103 is empty", valid_share(), {1234, "B", 3});
    CHECK(ok.failure.empty());
    CHECK(ok.text ==
          "card S1: VALID share record: set B #3 (identifier 1234, 3 shares of the set "
          "needed); record check OK, SLIP-39 checksum OK\n");
    const auto json = nlohmann::json::parse(ok.json);
    CHECK(json["card"] == "S1");
    CHECK(json["expectations_met"] == true);
    CHECK(json["bytes"] == 61);

    const auto unmet = smk::card::verify_report("card S1", ids, "-", valid_share(), {7, "A", 1});
    CHECK(unmet.failure ==
          "the share on card S1 is not the one expected: identifier is 1234, expected 7; set is "
          "B, expected A; index is 3, expected 1");
    CHECK(nlohmann::json::parse(unmet.json)["unmet"].size() == 3);

    const auto empty = smk::card::verify_report("card S1", ids, "DO 0103 is empty", {}, {});
    CHECK(empty.text == "card S1: EMPTY (DO 0103 is empty)\n");
    CHECK(empty.failure == "card S1 holds no share: DO 0103 is empty");

    smk::card::StoredShare garbage;
    garbage.state = smk::card::StoredState::garbage;
    garbage.bytes = 9;
    garbage.problem = "record check failed";
    const auto bad = smk::card::verify_report("card S1", ids, "-", garbage, {});
    CHECK(bad.text == "card S1: GARBAGE (9 bytes that are not a valid share record)\n");
    CHECK(bad.failure == "record check failed");
    CHECK(nlohmann::json::parse(bad.json)["problem"] == "record check failed");
}
