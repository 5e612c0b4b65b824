#include "raw.hpp"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/random.hpp"
#include "smk/raw_shares.hpp"

namespace smk::cli {
namespace {

namespace fs = std::filesystem;

void reject_options(const CLI::App& cmd, std::initializer_list<const char*> names) {
    for (const char* name : names) {
        if (cmd.count(name) > 0) {
            throw Error(ErrorCategory::usage,
                        fmt::format("{} does not apply to --format raw", name));
        }
    }
}

std::string path_list(const std::vector<fs::path>& paths) {
    std::string text;
    for (const auto& path : paths) {
        text += fmt::format("    {}\n", path.string());
    }
    return text;
}

nlohmann::json path_array(const std::vector<fs::path>& paths) {
    auto array = nlohmann::json::array();
    for (const auto& path : paths) {
        array.push_back(path.string());
    }
    return array;
}

}  // namespace

void run_raw_split(const SplitOptions& options, const CLI::App& cmd) {
    reject_options(cmd, {"--secret-format", "--group-threshold", "--exp", "--passphrase-file",
                         "--ask-passphrase", "--stdout"});
    if (options.secret_file.empty() || options.secret_file == "-") {
        throw Error(ErrorCategory::usage,
                    "--format raw needs --secret-file FILE (a file, not stdin)");
    }
    if (options.out_dir.empty()) {
        throw Error(ErrorCategory::usage,
                    "--format raw needs --out-dir DIR: raw shares are files, never printed");
    }
    if (options.groups.size() != 1) {
        throw Error(ErrorCategory::usage,
                    "--format raw needs exactly one --group THRESHOLD/COUNT, e.g. --group 5/7");
    }
    // The library checks 2 <= THRESHOLD <= COUNT <= 255 and creates --out-dir (0700).
    const auto [threshold, count] = parse_group_spec(options.groups[0]);
    const auto summary =
        raw::split_file(options.secret_file, options.out_dir, threshold, count, system_random());
    const std::string identifier = to_hex(summary.identifier);
    const std::string receipt = fmt::format(
        "smk split --format raw: {} ({} bytes) is split into {} shares; any {} recover it\n"
        "  identifier       {}\n  files\n{}",
        options.secret_file, summary.secret_bytes, summary.share_files.size(), summary.threshold,
        identifier, path_list(summary.share_files));
    if (options.json) {
        const nlohmann::json json = {{"format", "raw"},
                                     {"identifier", identifier},
                                     {"secret_bytes", summary.secret_bytes},
                                     {"threshold", summary.threshold},
                                     {"count", summary.share_files.size()},
                                     {"files", path_array(summary.share_files)}};
        print_out(json.dump(2) + "\n");
        print_err(receipt);
    } else {
        print_out(receipt);
    }
}

void run_raw_combine(const CombineOptions& options, const CLI::App& cmd) {
    reject_options(cmd,
                   {"--secret-format", "--expect-kcv", "--passphrase-file", "--ask-passphrase"});
    if (options.out.empty() || options.out == "-") {
        throw Error(ErrorCategory::usage,
                    "--format raw needs --out FILE: the recovered file is written to a new "
                    "file (mode 0600), never to stdout");
    }
    if (options.inputs.empty()) {
        throw Error(ErrorCategory::usage, "--format raw needs the share files as arguments");
    }
    std::vector<fs::path> shares;
    for (const auto& input : options.inputs) {
        if (input == "-") {
            throw Error(ErrorCategory::usage, "--format raw reads share files, not stdin");
        }
        shares.emplace_back(input);
    }
    refuse_existing(options.out);
    const auto summary = raw::combine_files(shares, options.out);
    const std::string identifier = to_hex(summary.identifier);
    if (options.json) {
        const nlohmann::json json = {{"format", "raw"},
                                     {"identifier", identifier},
                                     {"secret_bytes", summary.secret_bytes},
                                     {"threshold", summary.threshold},
                                     {"count", summary.count},
                                     {"shares_used", path_array(summary.shares_used)},
                                     {"shares_checked", path_array(summary.shares_checked)},
                                     {"out", options.out}};
        print_out(json.dump(2) + "\n");
    }
    std::string receipt = fmt::format(
        "smk combine --format raw: recovered {} bytes into {} (mode 0600)\n"
        "  identifier       {}\n  threshold        {} of {} shares\n  shares used\n{}",
        summary.secret_bytes, options.out, identifier, summary.threshold, summary.count,
        path_list(summary.shares_used));
    if (!summary.shares_checked.empty()) {
        receipt += "  also checked (not needed)\n" + path_list(summary.shares_checked);
    }
    print_err(receipt);
}

}  // namespace smk::cli
