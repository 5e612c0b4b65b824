// smk split: make a fresh SMK (or take a given key) and split it into SLIP-39
// shares, self-checked before anything is written; --format raw shares a file.

#include <fmt/core.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "card_flow.hpp"
#include "context.hpp"
#include "io.hpp"
#include "passphrase.hpp"
#include "raw.hpp"
#include "smk/error.hpp"
#include "smk/fingerprint.hpp"
#include "smk/hex.hpp"
#include "smk/random.hpp"
#include "smk/slip39.hpp"
#include "split_key.hpp"

namespace smk::cli {
namespace {

namespace fs = std::filesystem;
using Mnemonics = std::vector<std::vector<Secret>>;
using SharePaths = std::vector<std::vector<fs::path>>;

constexpr std::size_t kGeneratedKeyBytes = 32;

slip39::SplitParams make_params(const SplitOptions& options) {
    slip39::SplitParams params;
    params.group_threshold = options.group_threshold;
    params.iteration_exponent = options.iteration_exponent;
    if (!options.groups.empty()) {
        params.groups.clear();
        for (const auto& text : options.groups) {
            params.groups.push_back(parse_group_spec(text));
        }
    }
    return params;
}

Secret load_master_secret(const SplitOptions& options) {
    if (options.secret_file.empty()) {
        Secret key(kGeneratedKeyBytes);
        system_random().fill(key.bytes());
        return key;
    }
    const std::string name = input_name(options.secret_file);
    Secret content = read_input(options.secret_file, 64 * 1024);
    Secret key = (options.secret_format == "hex")
                     ? from_hex_secret(content.text(), "--secret-file " + name)
                     : std::move(content);
    if (!kcv_text(key.bytes())) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("--secret-file {} holds {} bytes ({}); an SMK is an AES key of "
                                "16, 24 or 32 bytes. Check --secret-format, or share other "
                                "files with --format raw.",
                                name, key.size(), options.secret_format));
    }
    return key;
}

void self_check(const Mnemonics& mnemonics, std::span<const std::uint8_t> master,
                std::span<const std::uint8_t> passphrase) {
    std::vector<std::vector<slip39::NamedMnemonic>> sets(mnemonics.size());
    for (unsigned g = 0; g < mnemonics.size(); ++g) {
        for (std::size_t m = 0; m < mnemonics[g].size(); ++m) {
            sets[g].push_back({fmt::format("new set {} share {}", set_letter(g), m + 1),
                               Secret::copy_of(mnemonics[g][m].bytes())});
        }
    }
    const slip39::SelfCheck checked = slip39::self_check(sets, master, passphrase);
    if (!checked.gives_secret) {
        throw Error(ErrorCategory::internal,
                    checked.per_set && checked.failed_group > 0
                        ? "self-check failed: the sets do not hold the same secret; nothing "
                          "was written"
                        : "self-check failed: the new shares do not recombine to the SMK; "
                          "nothing was written");
    }
}

}  // namespace

CheckedSplit checked_split(const SplitOptions& options) {
    slip39::SplitParams params = make_params(options);
    Secret master = load_master_secret(options);
    slip39::validate(params, master.size());
    Secret passphrase = read_passphrase(options.passphrase, true);
    auto result = slip39::split(master.bytes(), passphrase.bytes(), params, system_random());
    self_check(result.mnemonics, master.bytes(), passphrase.bytes());
    return {std::move(params), std::move(master), std::move(passphrase), std::move(result)};
}

namespace {

SharePaths share_paths(const fs::path& dir, std::uint16_t identifier, const Mnemonics& mnemonics) {
    SharePaths paths(mnemonics.size());
    for (unsigned g = 0; g < mnemonics.size(); ++g) {
        for (std::size_t m = 0; m < mnemonics[g].size(); ++m) {
            paths[g].push_back(
                dir / fmt::format("smk-{}-set{}-share{}.txt", identifier, set_letter(g), m + 1));
        }
    }
    return paths;
}

bool is_share_file_name(const std::string& name) {
    return name.starts_with("smk-") && name.find("-set") != std::string::npos &&
           name.find("-share") != std::string::npos && name.ends_with(".txt");
}

// Error(refused) if a target exists, or if `dir` already holds the share files
// of a split: one split per directory keeps `smk combine DIR/*` unambiguous.
// Called before the split (paths empty) and again with the final names.
void refuse_existing_shares(const fs::path& dir, const SharePaths& paths) {
    std::vector<std::string> existing;
    for (const auto& group : paths) {
        for (const auto& path : group) {
            if (fs::exists(fs::symlink_status(path))) {
                existing.push_back(path.string());
            }
        }
    }
    std::error_code ec;
    std::error_code missing_is_fine;
    if (existing.empty() && fs::is_directory(dir, missing_is_fine)) {
        for (const auto& entry : fs::directory_iterator(dir, ec)) {
            if (is_share_file_name(entry.path().filename().string())) {
                existing.push_back(entry.path().string());
            }
        }
    }
    if (ec) {
        throw Error(ErrorCategory::io,
                    fmt::format("cannot read --out-dir {}: {}", dir.string(), ec.message()));
    }
    if (!existing.empty()) {
        std::sort(existing.begin(), existing.end());
        std::string list;
        for (const auto& path : existing) {
            list += "\n  " + path;
        }
        throw Error(ErrorCategory::refused,
                    fmt::format("--out-dir {} already holds share files and smk never "
                                "overwrites or mixes splits; nothing was written. Choose an "
                                "empty --out-dir or move these away:{}",
                                dir.string(), list));
    }
}

// Writes every share file, or none: all names are checked first, and if a
// write or the read-back fails, what this run wrote is removed.
void write_share_files(const fs::path& dir, const SharePaths& paths, const Mnemonics& mnemonics) {
    refuse_existing_shares(dir, paths);
    bool created_dir = false;
    if (!fs::exists(dir)) {
        if (::mkdir(dir.c_str(), 0700) != 0) {
            throw Error(ErrorCategory::io, fmt::format("cannot create --out-dir {}: {}",
                                                       dir.string(), std::strerror(errno)));
        }
        created_dir = true;
    } else if (!fs::is_directory(dir)) {
        throw Error(ErrorCategory::usage,
                    fmt::format("--out-dir {} is not a directory", dir.string()));
    }
    std::vector<fs::path> written;
    const std::uint8_t newline = '\n';
    try {
        for (unsigned g = 0; g < paths.size(); ++g) {
            for (std::size_t m = 0; m < paths[g].size(); ++m) {
                write_new_secret_file(paths[g][m], {mnemonics[g][m].bytes(), {&newline, 1}});
                written.push_back(paths[g][m]);
            }
        }
        for (unsigned g = 0; g < paths.size(); ++g) {
            for (std::size_t m = 0; m < paths[g].size(); ++m) {
                const Secret back = read_input(paths[g][m].string());
                const auto expected = mnemonics[g][m].bytes();
                if (back.size() != expected.size() + 1 ||
                    !constant_time_equal(back.bytes().first(expected.size()), expected) ||
                    back.bytes().back() != '\n') {
                    throw Error(ErrorCategory::verification,
                                fmt::format("read-back of {} differs from what was written; "
                                            "check the drive. The share files were removed.",
                                            paths[g][m].string()));
                }
            }
        }
    } catch (...) {
        std::error_code ignored;
        for (const auto& path : written) {
            fs::remove(path, ignored);
        }
        if (created_dir) {
            fs::remove(dir, ignored);
        }
        throw;
    }
}

struct SplitReport {
    std::uint16_t identifier = 0;
    std::string kcv;
    std::string fingerprint;
    std::string origin;
    bool passphrase = false;
    const slip39::SplitParams* params = nullptr;
    const SharePaths* paths = nullptr;  // null: shares went to stdout
};

// The exact --json schema; mnemonics appear only when there are no files.
SecretText split_json(const SplitReport& report, const Mnemonics& mnemonics) {
    SecretText json;
    json.append(
        fmt::format("{{\n  \"identifier\": {},\n  \"kcv\": {},\n  \"fingerprint\": {},\n"
                    "  \"group_threshold\": {},\n  \"groups\": [",
                    report.identifier, json_quote(report.kcv), json_quote(report.fingerprint),
                    report.params->group_threshold));
    for (unsigned g = 0; g < mnemonics.size(); ++g) {
        const auto& spec = report.params->groups[g];
        json.append(
            fmt::format("{}\n    {{\n      \"set\": {},\n      \"threshold\": {},\n"
                        "      \"count\": {},\n      \"shares\": [",
                        g == 0 ? "" : ",", json_quote(set_letter(g)), spec.threshold, spec.count));
        for (std::size_t m = 0; m < mnemonics[g].size(); ++m) {
            json.append(fmt::format("{}\n        {{\"index\": {}, ", m == 0 ? "" : ",", m + 1));
            if (report.paths != nullptr) {
                json.append(
                    fmt::format("\"file\": {}}}", json_quote((*report.paths)[g][m].string())));
            } else {
                json.append("\"mnemonic\": \"");
                json.append(mnemonics[g][m].bytes());  // lower-case words and spaces
                json.append("\"}");
            }
        }
        json.append("\n      ]\n    }");
    }
    json.append("\n  ]\n}\n");
    return json;
}

std::string split_receipt(const SplitReport& report) {
    const auto& params = *report.params;
    std::string text = fmt::format(
        "smk split: the SMK is split into SLIP-39 shares (self-check passed)\n"
        "  identifier       {}\n  KCV              {}\n  fingerprint      {}\n"
        "  secret           {}\n  passphrase       {}\n"
        "  group threshold  {} of {} sets\n  iteration exp.   {}, extendable\n",
        report.identifier, report.kcv, report.fingerprint, report.origin,
        report.passphrase ? "yes (not shown; needed to combine)" : "none", params.group_threshold,
        params.groups.size(), params.iteration_exponent);
    for (unsigned g = 0; g < params.groups.size(); ++g) {
        text += fmt::format("  set {}            {} of {} shares{}\n", set_letter(g),
                            params.groups[g].threshold, params.groups[g].count,
                            report.paths == nullptr ? " (on stdout)" : "");
        if (report.paths != nullptr) {
            for (const auto& path : (*report.paths)[g]) {
                text += fmt::format("    {}\n", path.string());
            }
        }
    }
    return text;
}

void run_split(const SplitOptions& options) {
    const bool to_files = !options.out_dir.empty();
    if (!to_files && !options.to_stdout && is_terminal(1)) {
        throw Error(ErrorCategory::usage,
                    "refusing to print shares on a terminal; give --out-dir DIR to write one "
                    "file per share, or --stdout if the screen is really meant to show them");
    }
    if (to_files) {
        refuse_existing_shares(options.out_dir, {});  // before any work or prompt
    }
    const CheckedSplit split = checked_split(options);
    const slip39::SplitParams& params = split.params;
    const Secret& master = split.master;
    const Secret& passphrase = split.passphrase;
    const slip39::SplitResult& result = split.result;

    SplitReport report;
    report.identifier = result.identifier;
    report.kcv = kcv_hex(key_check_value(master.bytes()));
    report.fingerprint = fingerprint_hex(key_fingerprint(master.bytes()));
    report.origin = options.secret_file.empty()
                        ? fmt::format("{} bytes, fresh from libsodium randomness", master.size())
                        : fmt::format("{} bytes from {} ({})", master.size(),
                                      input_name(options.secret_file), options.secret_format);
    report.passphrase = !passphrase.empty();
    report.params = &params;

    SharePaths paths;
    if (to_files) {
        paths = share_paths(options.out_dir, result.identifier, result.mnemonics);
        write_share_files(options.out_dir, paths, result.mnemonics);
        report.paths = &paths;
    }
    const std::string receipt = split_receipt(report);
    if (options.json) {
        write_all(1, split_json(report, result.mnemonics).bytes());
    } else if (!to_files) {
        for (unsigned g = 0; g < result.mnemonics.size(); ++g) {
            if (g > 0) {
                print_out("\n");
            }
            for (const auto& mnemonic : result.mnemonics[g]) {
                write_all(1, mnemonic.bytes());
                print_out("\n");
            }
        }
    }
    // The receipt goes to stdout when stdout carries nothing else.
    write_all((to_files && !options.json) ? 1 : 2, receipt);
}

}  // namespace

void register_split(CLI::App& app, Context& ctx) {
    auto& o = ctx.split;
    auto* cmd = app.add_subcommand(
        "split",
        "Generate a fresh 32-byte SMK (or take --secret-file) and split it into SLIP-39 "
        "shares: by default 2 sets (A, B), each 5-of-7, either set recovers the SMK");
    cmd->add_option("--format", o.format, "slip39 (default) or raw (share any file)")
        ->check(CLI::IsMember({"slip39", "raw"}));
    cmd->add_option("--secret-file", o.secret_file,
                    "Split this key instead of generating one ('-': stdin)");
    cmd->add_option("--secret-format", o.secret_format, "hex (default) or raw bytes")
        ->check(CLI::IsMember({"hex", "raw"}));
    cmd->add_option("--group-threshold", o.group_threshold, "How many sets are needed (default 1)");
    cmd->add_option("--group", o.groups,
                    "A set of T-of-N shares, e.g. 5/7; repeat for each set (replaces the "
                    "default 5/7 5/7)");
    cmd->add_option("--exp", o.iteration_exponent, "SLIP-39 iteration exponent, 0..15 (default 1)");
    add_passphrase_options(*cmd, o.passphrase);
    cmd->add_option("--out-dir", o.out_dir,
                    "Write one file per share here (mode 0600, never overwriting): "
                    "smk-<identifier>-set<A|B|..>-share<N>.txt");
    cmd->add_flag("--stdout", o.to_stdout, "Print shares on stdout even when it is a terminal");
    cmd->add_flag("--json", o.json, "Print the result as JSON on stdout");
    cmd->add_flag("--to-cards", o.cards.enabled,
                  "Write each share to its own OpenPGP card, holder by holder (holder N gets "
                  "share N of each set), read every card back, and check each set recombines; "
                  "no share goes to a file or the screen");
    add_card_flow_options(*cmd, o.cards);
    cmd->add_flag("--overwrite", o.cards.overwrite,
                  "With --to-cards: replace a share already on a card");
    cmd->callback([&o, cmd] {
        check_card_flow_options(o.cards, "--to-cards");
        if (o.cards.enabled) {
            if (o.format == "raw") {
                throw Error(ErrorCategory::usage,
                            "--to-cards holds SLIP-39 shares only, not --format raw");
            }
            run_split_to_cards(o);
        } else if (o.format == "raw") {
            run_raw_split(o, *cmd);
        } else {
            run_split(o);
        }
    });
}

}  // namespace smk::cli
