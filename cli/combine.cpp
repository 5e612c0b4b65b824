// smk combine: recover the SMK from SLIP-39 mnemonics (one per line, any order),
// check it against an expected KCV, and write it to a new 0600 file or, only
// when asked with --out -, as hex on stdout.

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "card_flow.hpp"
#include "context.hpp"
#include "io.hpp"
#include "passphrase.hpp"
#include "raw.hpp"
#include "smk/ceremony/cards_quorum.hpp"
#include "smk/error.hpp"
#include "smk/fingerprint.hpp"
#include "smk/hex.hpp"
#include "smk/slip39.hpp"

namespace smk::cli {
namespace {

constexpr std::string_view kOutChoices =
    "--out FILE writes the SMK to a new file (mode 0600, never overwriting); --out - prints "
    "it as hex on stdout";

void check_options(const CombineOptions& options) {
    if (options.out.empty()) {
        throw Error(ErrorCategory::usage,
                    fmt::format("say where the recovered SMK goes: {}", kOutChoices));
    }
    if (options.out == "-" && options.json) {
        throw Error(ErrorCategory::usage,
                    "--json and --out - both want stdout; write the SMK to --out FILE");
    }
    if (options.out == "-" && options.secret_format == "raw") {
        throw Error(ErrorCategory::usage,
                    "--out - prints hex only; use --out FILE for --secret-format raw");
    }
}

// Writes the SMK to a new file and reads it back.
void write_secret(const std::string& path, const Secret& master, bool hex) {
    const std::uint8_t newline = '\n';
    if (hex) {
        const Secret text = to_hex_secret(master.bytes());
        write_new_secret_file(path, {text.bytes(), {&newline, 1}});
    } else {
        write_new_secret_file(path, {master.bytes()});
    }
    const Secret back = read_input(path);
    const Secret value = hex ? from_hex_secret(back.text(), path) : Secret::copy_of(back.bytes());
    if (!constant_time_equal(value.bytes(), master.bytes())) {
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
        throw Error(ErrorCategory::verification,
                    fmt::format("read-back of {} differs from the recovered SMK, so it was "
                                "removed; check the drive",
                                path));
    }
}

std::string sets_text(const std::vector<unsigned>& groups) {
    std::string text;
    for (const unsigned g : groups) {
        text += (text.empty() ? "" : ", ") + slip39::group_name(g);
    }
    return text;
}

// --from-cards: the shares from the cards (smk/ceremony/cards_quorum.hpp).
std::vector<slip39::NamedMnemonic> read_cards_until_quorum(const CombineOptions& options);

void run_combine(const CombineOptions& options) {
    check_options(options);
    const bool to_stdout = (options.out == "-");
    if (!to_stdout) {
        refuse_existing(options.out);
    }
    const std::string expected =
        options.expect_kcv.empty() ? std::string() : parse_expected_kcv(options.expect_kcv);
    const auto shares = options.cards.enabled
                            ? read_cards_until_quorum(options)
                            : read_mnemonics(options.inputs, NoShares::insufficient);
    const Secret passphrase = read_passphrase(options.passphrase, false);

    const auto result = slip39::combine(shares, passphrase.bytes());
    const Secret& master = result.master_secret;
    if (!expected.empty()) {
        check_kcv(master.bytes(), expected, "the recovered SMK", "; nothing was written");
    }
    const std::string kcv = kcv_text(master.bytes()).value_or("none (not an AES key length)");
    const std::string fingerprint = fingerprint_hex(key_fingerprint(master.bytes()));

    if (to_stdout) {
        const Secret hex = to_hex_secret(master.bytes());
        write_all(1, hex.bytes());
        print_out("\n");
    } else {
        write_secret(options.out, master, options.secret_format == "hex");
    }

    std::string receipt = fmt::format(
        "smk combine: the SMK is recovered\n  identifier       {}\n  sets used        {}\n"
        "  shares used      {}\n",
        result.params.identifier, sets_text(result.groups_used), result.sources_used.size());
    for (const auto& source : result.sources_used) {
        receipt += fmt::format("    {}\n", source);
    }
    for (const slip39::UncheckedSet& set : result.sets_not_checked) {
        receipt += fmt::format("  NOT CHECKED      {}\n", set.text());
        for (const auto& source : set.sources) {
            receipt += fmt::format("    {}\n", source);
        }
    }
    receipt += fmt::format(
        "  KCV              {}{}\n  fingerprint      {}\n  written to       {}\n", kcv,
        expected.empty() ? "" : " (as expected)", fingerprint,
        to_stdout ? std::string("stdout (hex)")
                  : fmt::format("{} ({}, mode 0600)", options.out, options.secret_format));
    if (options.json) {
        auto sets = nlohmann::json::array();
        for (const unsigned g : result.groups_used) {
            sets.push_back(set_letter(g));
        }
        auto not_checked = nlohmann::json::array();
        for (const slip39::UncheckedSet& set : result.sets_not_checked) {
            not_checked.push_back({{"set", set_letter(set.group)},
                                   {"shares_given", set.sources.size()},
                                   {"needed", set.needed},
                                   {"shares", set.sources},
                                   {"note", set.text()}});
        }
        const nlohmann::json json = {{"identifier", result.params.identifier},
                                     {"sets_used", sets},
                                     {"shares_used", result.sources_used},
                                     {"sets_not_checked", not_checked},
                                     {"kcv", kcv},
                                     {"fingerprint", fingerprint},
                                     {"out", options.out}};
        print_out(json.dump(2) + "\n");
    }
    print_err(receipt);
}

std::vector<slip39::NamedMnemonic> read_cards_until_quorum(const CombineOptions& options) {
    if (!options.inputs.empty()) {
        throw Error(ErrorCategory::usage,
                    "--from-cards reads the shares from cards; give no files");
    }
    ceremony::CardSession session(session_options(options.cards));
    return ceremony::read_cards_until_quorum(session, pin_given(options.cards.pin));
}

}  // namespace

void register_combine(CLI::App& app, Context& ctx) {
    auto& o = ctx.combine;
    auto* cmd = app.add_subcommand(
        "combine",
        "Recover the SMK from SLIP-39 shares (one mnemonic per line, any order, blank lines "
        "ignored) read from FILEs or stdin");
    cmd->add_option("files", o.inputs, "Files of mnemonics; none or '-': stdin");
    cmd->add_option("--format", o.format,
                    "slip39 (default) or raw (share files of split --format raw)")
        ->check(CLI::IsMember({"slip39", "raw"}));
    cmd->add_option("--out", o.out, std::string("Required. ") + std::string(kOutChoices));
    cmd->add_option("--secret-format", o.secret_format,
                    "How --out FILE holds the SMK: hex (default, with a newline) or raw bytes")
        ->check(CLI::IsMember({"hex", "raw"}));
    cmd->add_option("--expect-kcv", o.expect_kcv,
                    "Fail (exit 5, nothing written) unless the SMK has this KCV (6 hex digits)");
    add_passphrase_options(*cmd, o.passphrase);
    cmd->add_flag("--json", o.json, "Print the receipt as JSON on stdout (not with --out -)");
    cmd->add_flag("--from-cards", o.cards.enabled,
                  "Read the shares from OpenPGP cards, one after another, until a set is "
                  "complete (a card of another split or the same card twice is refused)");
    add_card_flow_options(*cmd, o.cards);
    cmd->callback([&o, cmd] {
        check_card_flow_options(o.cards, "--from-cards");
        if (o.cards.enabled && o.format == "raw") {
            throw Error(ErrorCategory::usage,
                        "--from-cards reads SLIP-39 shares only, not --format raw");
        }
        if (o.format == "raw") {
            run_raw_combine(o, *cmd);
        } else {
            run_combine(o);
        }
    });
}

}  // namespace smk::cli
