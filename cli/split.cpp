// smk split: make a fresh SMK (or take a given key) and split it into SLIP-39
// shares, self-checked before anything is written; --format raw shares a file.

#include <fmt/core.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "card_session.hpp"
#include "context.hpp"
#include "io.hpp"
#include "passphrase.hpp"
#include "raw.hpp"
#include "smk/error.hpp"
#include "smk/fingerprint.hpp"
#include "smk/hex.hpp"
#include "smk/interrupt.hpp"
#include "smk/random.hpp"
#include "smk/share_record.hpp"
#include "smk/slip39.hpp"

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

// A fresh 32-byte SMK, or the key in --secret-file (hex or raw bytes).
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

std::vector<slip39::NamedMnemonic> named_group(const Mnemonics& mnemonics, unsigned group) {
    std::vector<slip39::NamedMnemonic> named;
    for (std::size_t m = 0; m < mnemonics[group].size(); ++m) {
        named.push_back({fmt::format("new set {} share {}", set_letter(group), m + 1),
                         Secret::copy_of(mnemonics[group][m].bytes())});
    }
    return named;
}

// Before anything is written: every set is one consistent polynomial, and the
// shares give back the master secret.
void self_check(const Mnemonics& mnemonics, std::span<const std::uint8_t> master,
                std::span<const std::uint8_t> passphrase, const slip39::SplitParams& params) {
    const auto groups = static_cast<unsigned>(mnemonics.size());
    Secret first_group_secret;
    slip39::ShareInfo info;
    for (unsigned g = 0; g < groups; ++g) {
        const auto named = named_group(mnemonics, g);
        Secret group_secret;
        const auto verified = slip39::verify_set(named, &group_secret);
        if (g == 0) {
            info = verified.params;
            first_group_secret = std::move(group_secret);
        } else if (params.group_threshold == 1 &&
                   !constant_time_equal(group_secret.bytes(), first_group_secret.bytes())) {
            throw Error(ErrorCategory::internal,
                        "self-check failed: the sets do not hold the same secret; nothing "
                        "was written");
        }
    }
    Secret recovered;
    if (params.group_threshold == 1) {
        recovered = slip39::decrypt(first_group_secret.bytes(), passphrase, info);
    } else {
        std::vector<slip39::NamedMnemonic> all;
        for (unsigned g = 0; g < groups; ++g) {
            for (auto& share : named_group(mnemonics, g)) {
                all.push_back(std::move(share));
            }
        }
        recovered = slip39::combine(all, passphrase).master_secret;
    }
    if (!constant_time_equal(recovered.bytes(), master)) {
        throw Error(ErrorCategory::internal,
                    "self-check failed: the new shares do not recombine to the SMK; nothing "
                    "was written");
    }
}

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
    const slip39::SplitParams params = make_params(options);
    const Secret master = load_master_secret(options);
    slip39::validate(params, master.size());
    const Secret passphrase = read_passphrase(options.passphrase, true);

    auto result = slip39::split(master.bytes(), passphrase.bytes(), params, system_random());
    self_check(result.mnemonics, master.bytes(), passphrase.bytes(), params);

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

// --- smk split --to-cards ------------------------------------------------------

struct CardWritten {
    unsigned group = 0;
    std::size_t member = 0;  // 0-based
    std::string serial;
};

std::string share_name(unsigned group, std::size_t member) {
    return fmt::format("set {} #{}", set_letter(group), member + 1);
}

// What a failure message adds: which cards already hold a share of this split.
std::string written_note(const std::vector<CardWritten>& written, std::uint16_t identifier) {
    if (written.empty()) {
        return " No card was written; run 'smk split --to-cards' again (a new split).";
    }
    std::string text = fmt::format(
        " The split (identifier {}) is NOT complete and must not be used. These cards already "
        "hold one of its shares:",
        identifier);
    for (const auto& one : written) {
        text += fmt::format("\n  card {}: {}", one.serial, share_name(one.group, one.member));
    }
    text +=
        "\nRun 'smk split --to-cards --overwrite' again with the same cards (a new split "
        "replaces these shares), or empty them with 'smk card wipe'.";
    return text;
}

// The share read back from a card is exactly the one written, and says so itself.
void check_read_back(const card::StoredShare& stored, const std::string& label,
                     std::uint16_t identifier, unsigned group, std::size_t member,
                     const Secret& mnemonic) {
    if (!stored.record) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} reads back {} instead of {}: {}", label,
                                stored.state == card::StoredState::empty ? "nothing" : "garbage",
                                share_name(group, member), stored.problem));
    }
    const auto& info = stored.record->info;
    if (info.identifier != identifier || info.group_index != group || info.member_index != member ||
        !constant_time_equal(stored.record->mnemonic.bytes(), mnemonic.bytes())) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} reads back set {} #{} of identifier {} instead of {} of "
                                "identifier {}; the card is not trustworthy: use another card",
                                label, set_letter(info.group_index), info.member_index + 1,
                                info.identifier, share_name(group, member), identifier));
    }
}

// Each set, as read back from its cards, recovers the SMK on its own (or, with
// a group threshold above 1, all sets together do).
void check_sets_from_cards(const Mnemonics& read_back,
                           const std::vector<std::vector<std::string>>& sources,
                           std::span<const std::uint8_t> master,
                           std::span<const std::uint8_t> passphrase,
                           const slip39::SplitParams& params, const std::string& kcv) {
    std::vector<slip39::NamedMnemonic> all;
    for (unsigned g = 0; g < read_back.size(); ++g) {
        std::vector<slip39::NamedMnemonic> named;
        for (std::size_t m = 0; m < read_back[g].size(); ++m) {
            named.push_back({sources[g][m], Secret::copy_of(read_back[g][m].bytes())});
            all.push_back({sources[g][m], Secret::copy_of(read_back[g][m].bytes())});
        }
        if (params.group_threshold != 1) {
            continue;
        }
        Secret group_secret;
        const auto verified = slip39::verify_set(named, &group_secret);
        const Secret recovered = slip39::decrypt(group_secret.bytes(), passphrase, verified.params);
        if (!constant_time_equal(recovered.bytes(), master)) {
            throw Error(ErrorCategory::verification,
                        fmt::format("set {} as read back from its cards does not recombine to "
                                    "the SMK (KCV {}); do not use these cards",
                                    set_letter(g), kcv));
        }
    }
    if (params.group_threshold != 1) {
        const auto combined = slip39::combine(all, passphrase);
        if (!constant_time_equal(combined.master_secret.bytes(), master)) {
            throw Error(ErrorCategory::verification,
                        fmt::format("the shares read back from the cards do not recombine to "
                                    "the SMK (KCV {}); do not use these cards",
                                    kcv));
        }
    }
}

void run_split_to_cards(const SplitOptions& options) {
    if (!options.out_dir.empty() || options.to_stdout) {
        throw Error(ErrorCategory::usage,
                    "--to-cards writes the shares to cards only; it does not go with --out-dir "
                    "or --stdout");
    }
    const slip39::SplitParams params = make_params(options);
    const Secret master = load_master_secret(options);
    slip39::validate(params, master.size());
    const Secret passphrase = read_passphrase(options.passphrase, true);

    auto result = slip39::split(master.bytes(), passphrase.bytes(), params, system_random());
    self_check(result.mnemonics, master.bytes(), passphrase.bytes(), params);
    const auto& mnemonics = result.mnemonics;
    const std::string kcv = kcv_hex(key_check_value(master.bytes()));
    const std::string fingerprint = fingerprint_hex(key_fingerprint(master.bytes()));

    std::vector<std::vector<Secret>> records(mnemonics.size());
    std::size_t holders = 0;
    for (unsigned g = 0; g < mnemonics.size(); ++g) {
        holders = std::max(holders, mnemonics[g].size());
        for (std::size_t m = 0; m < mnemonics[g].size(); ++m) {
            records[g].push_back(
                card::encode_share_record(mnemonics[g][m].text(), "new " + share_name(g, m)));
        }
    }

    CardSession session(session_options(options.cards));
    Mnemonics read_back(mnemonics.size());
    std::vector<std::vector<std::string>> sources(mnemonics.size());
    std::vector<CardWritten> written;
    // Ctrl-C or SIGTERM stops between cards, never in the middle of one: the card
    // being written is finished and read back first (smk/interrupt.hpp).
    const InterruptScope interruptible;
    try {
        // Holder h gets share h of every set: their cards go into one bag.
        for (std::size_t h = 0; h < holders; ++h) {
            for (unsigned g = 0; g < mnemonics.size(); ++g) {
                if (h >= mnemonics[g].size()) {
                    continue;
                }
                CardRequest request;
                request.holder = fmt::format("holder {}", h + 1);
                request.set = set_letter(g);
                request.index = static_cast<unsigned>(h + 1);
                throw_if_interrupted(
                    fmt::format("stopped before the card of {}", request.describe()));
                HeldCard held = session.acquire(request);
                held.store.require_capacity(records[g][h].size());
                held.store.write_record(records[g][h].bytes(), options.cards.overwrite);
                written.push_back({g, h, held.store.serial()});
                const auto stored = held.store.read_share();
                check_read_back(stored, held.store.label(), result.identifier, g, h,
                                mnemonics[g][h]);
                read_back[g].push_back(Secret::copy_of(stored.record->mnemonic.bytes()));
                sources[g].push_back(
                    fmt::format("card {} ({})", held.store.serial(), share_name(g, h)));
                session.say(
                    fmt::format("{} of {}: written to {}, read back and checked: "
                                "OK\n",
                                share_name(g, h), request.holder, held.store.label()));
                session.release(std::move(held));
            }
        }
        check_sets_from_cards(read_back, sources, master.bytes(), passphrase.bytes(), params, kcv);
    } catch (const Error& error) {
        throw Error(error.category(),
                    std::string(error.what()) + "." + written_note(written, result.identifier));
    }

    std::string text = fmt::format(
        "smk split: the SMK is split into SLIP-39 shares on {} cards; every card was read "
        "back, and each set as read back recombines to the SMK\n"
        "  identifier       {}\n  KCV              {}\n  fingerprint      {}\n"
        "  passphrase       {}\n",
        written.size(), result.identifier, kcv, fingerprint,
        passphrase.empty() ? "none" : "yes (not shown; needed to combine)");
    for (unsigned g = 0; g < params.groups.size(); ++g) {
        text += fmt::format("  set {}            {} of {} shares\n", set_letter(g),
                            params.groups[g].threshold, params.groups[g].count);
    }
    nlohmann::json holders_json = nlohmann::json::array();
    for (std::size_t h = 0; h < holders; ++h) {
        std::string line;
        nlohmann::json cards = nlohmann::json::array();
        for (const auto& one : written) {
            if (one.member == h) {
                line += fmt::format("{}{} on card {}", line.empty() ? "" : ", ",
                                    share_name(one.group, one.member), one.serial);
                cards.push_back({{"set", set_letter(one.group)},
                                 {"index", one.member + 1},
                                 {"card", one.serial}});
            }
        }
        text += fmt::format("  holder {:<10} {}\n", h + 1, line);
        holders_json.push_back({{"holder", h + 1}, {"cards", cards}});
    }
    if (options.json) {
        const nlohmann::json json = {{"identifier", result.identifier},
                                     {"kcv", kcv},
                                     {"fingerprint", fingerprint},
                                     {"group_threshold", params.group_threshold},
                                     {"holders", holders_json}};
        print_out(json.dump(2) + "\n");
        print_err(text);
    } else {
        print_out(text);
    }
    // A signal during the last card: that card was finished, so the split is whole.
    throw_if_interrupted(fmt::format(
        "the last card was being written, so smk finished it: every card was written, read "
        "back and checked, and the split (identifier {}) is complete as listed above",
        result.identifier));
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
