#pragma once
// Helpers of the `smk card` end-to-end tests: a PIN file in the stack's
// directory, the APDUs a card answered (from its log), and the user PIN tries
// `smk card list` reports for a card (a listing without a PIN, which sends none).

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/fixtures.hpp"
#include "cli/run.hpp"
#include "support/pcsc_stack.hpp"

namespace smk_test {

inline std::string pin_file(const PcscStack& stack, const std::string& name,
                            const std::string& pin) {
    const std::string path = stack.dir() / name;
    write_file(path, pin + "\n");
    return path;
}

// The command headers (CLA INS P1 P2) card `card` answered, from byte `from`
// of its log on.
inline std::vector<std::string> sent_since(const PcscStack& stack, int card, std::size_t from) {
    std::vector<std::string> sent;
    std::istringstream log(stack.card_log(card).substr(from));
    for (std::string line; std::getline(log, line);) {
        const auto colon = line.find("]: ");
        if (colon != std::string::npos && line.find(" -> ") != std::string::npos) {
            sent.push_back(line.substr(colon + 3, 11));
        }
    }
    return sent;
}

inline unsigned user_tries(const PcscStack& stack, int card) {
    const RunResult list = run_smk({"card", "list", "--json"});
    INFO("stderr: " << list.err);
    REQUIRE(list.exit_code == 0);
    for (const auto& entry : nlohmann::json::parse(list.out)) {
        if (entry.at("reader") == stack.reader(card)) {
            return entry.at("pin_tries").at("user").get<unsigned>();
        }
    }
    FAIL("card " << card << " not in 'smk card list'");
    return 0;
}

}  // namespace smk_test
