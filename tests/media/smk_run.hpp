#pragma once
// Runs the real smk binary (SMK_BINARY, built before this suite) as a subprocess
// through media_test_util.hpp's posix_spawn runner: stdout and stderr captured, the
// exit code cli/main.cpp maps, and the message of its "smk: CATEGORY: message" line.

#include <string>
#include <string_view>
#include <vector>

#include "media_test_util.hpp"

namespace smk_test {

struct CliRun {
    int exit = 0;
    std::string out;
    std::string err;
    std::string error;  // the smk::Error or CLI11 message, if any
};

// What follows "smk: CATEGORY: " on the first line of stderr that starts with
// "smk: ", to the end of stderr less its last newline (a message may span lines).
inline std::string error_message(std::string_view err) {
    std::size_t at = err.rfind("smk: ", 0) == 0 ? 0 : err.find("\nsmk: ");
    if (at == std::string_view::npos) {
        return {};
    }
    at = err.find("smk: ", at) + 5;
    const std::size_t colon = err.find(": ", at);
    if (colon == std::string_view::npos) {
        return {};
    }
    std::string_view message = err.substr(colon + 2);
    if (!message.empty() && message.back() == '\n') {
        message.remove_suffix(1);
    }
    return std::string(message);
}

// args start after "smk", e.g. {"media", "digest", FILE}; smk runs in `scratch`,
// which holds the captures (and must lie outside any tree under test).
inline CliRun run_media_cli(const std::vector<std::string>& args,
                            const std::filesystem::path& scratch) {
    std::vector<std::string> argv = {SMK_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    const ToolRun result = run(argv, scratch, scratch);
    return {result.status, result.out, result.err, error_message(result.err)};
}

}  // namespace smk_test
