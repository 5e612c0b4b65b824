// smk combine: recover the SMK from SLIP-39 mnemonics (one per line, any order),
// check it against an expected KCV, and write it to a new 0600 file or, only
// when asked with --out -, as hex on stdout.

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "context.hpp"
#include "io.hpp"
#include "passphrase.hpp"
#include "raw.hpp"
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

void run_combine(const CombineOptions& options) {
    check_options(options);
    const bool to_stdout = (options.out == "-");
    if (!to_stdout) {
        refuse_existing(options.out);
    }
    const std::string expected =
        options.expect_kcv.empty() ? std::string() : parse_expected_kcv(options.expect_kcv);
    const auto shares = read_mnemonics(options.inputs);
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
    receipt += fmt::format("  KCV              {}{}\n  fingerprint      {}\n  written to       {}\n",
                           kcv, expected.empty() ? "" : " (as expected)", fingerprint,
                           to_stdout ? std::string("stdout (hex)")
                                     : fmt::format("{} ({}, mode 0600)", options.out,
                                                   options.secret_format));
    if (options.json) {
        auto sets = nlohmann::json::array();
        for (const unsigned g : result.groups_used) {
            sets.push_back(set_letter(g));
        }
        const nlohmann::json json = {{"identifier", result.params.identifier},
                                     {"sets_used", sets},
                                     {"shares_used", result.sources_used},
                                     {"kcv", kcv},
                                     {"fingerprint", fingerprint},
                                     {"out", options.out}};
        print_out(json.dump(2) + "\n");
    }
    print_err(receipt);
}

}  // namespace

void register_combine(CLI::App& app, Context& ctx) {
    auto& o = ctx.combine;
    auto* cmd = app.add_subcommand(
        "combine",
        "Recover the SMK from SLIP-39 shares (one mnemonic per line, any order, blank lines "
        "ignored) read from FILEs or stdin");
    cmd->add_option("files", o.inputs, "Files of mnemonics; none or '-': stdin");
    cmd->add_option("--format", o.format, "slip39 (default) or raw (share files of split --format raw)")
        ->check(CLI::IsMember({"slip39", "raw"}));
    cmd->add_option("--out", o.out, std::string("Required. ") + std::string(kOutChoices));
    cmd->add_option("--secret-format", o.secret_format,
                    "How --out FILE holds the SMK: hex (default, with a newline) or raw bytes")
        ->check(CLI::IsMember({"hex", "raw"}));
    cmd->add_option("--expect-kcv", o.expect_kcv,
                    "Fail (exit 5, nothing written) unless the SMK has this KCV (6 hex digits)");
    add_passphrase_options(*cmd, o.passphrase);
    cmd->add_flag("--json", o.json, "Print the receipt as JSON on stdout (not with --out -)");
    cmd->callback([&o, cmd] {
        if (o.format == "raw") {
            run_raw_combine(o, *cmd);
        } else {
            run_combine(o);
        }
    });
}

}  // namespace smk::cli
