// smk share inspect | verify-set: look at shares without recovering the SMK.

#include <fmt/core.h>
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "context.hpp"
#include "io.hpp"
#include "passphrase.hpp"
#include "smk/error.hpp"
#include "smk/slip39.hpp"

namespace smk::cli {
namespace {

void run_inspect(const InspectOptions& options) {
    const auto shares = read_mnemonics({options.input});
    if (shares.size() != 1) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("{} holds {} mnemonics; 'smk share inspect' looks at one "
                                "share (use 'smk share verify-set' for a whole set)",
                                input_name(options.input), shares.size()));
    }
    const slip39::Share share = slip39::decode(shares[0].mnemonic.text(), shares[0].source);
    const auto& info = share.info;
    if (options.json) {
        const nlohmann::json json = {{"identifier", info.identifier},
                                     {"extendable", info.extendable},
                                     {"iteration_exponent", info.iteration_exponent},
                                     {"set", set_letter(info.group_index)},
                                     {"index", info.member_index + 1},
                                     {"threshold", info.member_threshold},
                                     {"group_threshold", info.group_threshold},
                                     {"group_count", info.group_count},
                                     {"value_bytes", info.value_bytes},
                                     {"checksum_ok", true}};
        print_out(json.dump(2) + "\n");
        return;
    }
    print_out(fmt::format(
        "share            {}\n"
        "identifier       {}\n"
        "extendable       {}\n"
        "iteration exp.   {}\n"
        "set              {}\n"
        "index            {}\n"
        "member threshold {}\n"
        "group threshold  {}\n"
        "group count      {}\n"
        "value length     {} bytes\n"
        "checksum         OK\n",
        shares[0].source, info.identifier, info.extendable ? "yes" : "no", info.iteration_exponent,
        set_letter(info.group_index), info.member_index + 1, info.member_threshold,
        info.group_threshold, info.group_count, info.value_bytes));
}

void run_verify_set(const VerifySetOptions& options) {
    const bool check = !options.expect_kcv.empty();
    if (!check && passphrase_given(options.passphrase)) {
        throw Error(ErrorCategory::usage,
                    "a passphrase is used only with --expect-kcv; verify-set needs none");
    }
    const std::string expected = check ? parse_expected_kcv(options.expect_kcv) : std::string();
    const auto shares = read_mnemonics(options.inputs, NoShares::insufficient);
    Secret group_secret;
    const auto result = slip39::verify_set(shares, check ? &group_secret : nullptr);
    const std::string set = set_letter(result.group_index);
    // A share does not record how many cards its set has: only --count can say
    // that the set is whole.
    if (options.count != 0 && result.share_count > options.count) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("set {}: {} distinct shares given (numbers {}), more than the {} "
                                "cards --count says the set has: is --count right?",
                                set, result.share_count, fmt::join(result.share_numbers, " "),
                                options.count));
    }
    if (options.count != 0 && result.share_count != options.count) {
        throw Error(ErrorCategory::insufficient,
                    fmt::format("set {}: {} shares given (numbers {}), --count says the set has "
                                "{}: give every card of the set to check it whole",
                                set, result.share_count, fmt::join(result.share_numbers, " "),
                                options.count));
    }
    if (check) {
        if (result.params.group_threshold != 1) {
            throw Error(ErrorCategory::usage,
                        fmt::format("--expect-kcv needs a split with group threshold 1 (one set "
                                    "recovers the SMK); this one needs {} sets, so check the KCV "
                                    "with 'smk combine' instead",
                                    result.params.group_threshold));
        }
        const Secret passphrase = read_passphrase(options.passphrase, false);
        const Secret master =
            slip39::decrypt(group_secret.bytes(), passphrase.bytes(), result.params);
        check_kcv(master.bytes(), expected, "the SMK of set " + set);
    }
    if (options.json) {
        nlohmann::json json = {
            {"identifier", result.params.identifier},      {"set", set},
            {"threshold", result.params.member_threshold}, {"shares", result.share_count},
            {"subsets_checked", result.subsets_checked},   {"consistent", true},
            {"share_numbers", result.share_numbers},       {"whole", options.count != 0}};
        if (check) {
            json["kcv"] = expected;
        }
        print_out(json.dump(2) + "\n");
        return;
    }
    const unsigned n = result.share_count;
    std::string text = fmt::format(
        "smk share verify-set: {}\n"
        "  identifier       {}\n"
        "  set              {} ({} of them recover it)\n"
        "  shares given     {}: numbers {}\n"
        "  subsets checked  {} (every {} of the {} given)\n"
        "  every share given lies on one polynomial\n",
        options.count != 0
            ? fmt::format("set {} is whole (all {} shares, --count {}) and consistent", set, n,
                          options.count)
            : fmt::format("the {} shares given of set {} are consistent", n, set),
        result.params.identifier, set, result.params.member_threshold, n,
        fmt::join(result.share_numbers, " "), result.subsets_checked,
        result.params.member_threshold, n);
    if (options.count == 0) {
        text += fmt::format(
            "  not checked      whether set {} has more shares than these {}: a share does not "
            "record its set's size (--count N checks that all N were given)\n",
            set, n);
    }
    if (check) {
        text += fmt::format("  KCV              {} (as expected)\n", expected);
    }
    print_out(text);
}

}  // namespace

void register_share(CLI::App& app, Context& ctx) {
    auto* share = app.add_subcommand("share", "Inspect shares and verify whole sets");
    share->require_subcommand(1);

    auto& inspect = ctx.inspect;
    auto* inspect_cmd = share->add_subcommand(
        "inspect", "Show the public fields of one share (one mnemonic) and check its checksum");
    inspect_cmd->add_option("file", inspect.input, "File holding one mnemonic ('-': stdin)");
    inspect_cmd->add_flag("--json", inspect.json, "Print the fields as JSON");
    inspect_cmd->callback([&inspect] { run_inspect(inspect); });

    auto& verify = ctx.verify_set;
    auto* verify_cmd = share->add_subcommand(
        "verify-set",
        "Prove that the shares given of one set are consistent: every threshold-subset gives "
        "the same secret and every share lies on one polynomial. Shows no secret. A share does "
        "not record its set's size: --count N also checks that the set is whole.");
    verify_cmd->add_option("files", verify.inputs, "Files of mnemonics; none or '-': stdin");
    verify_cmd->add_option("--expect-kcv", verify.expect_kcv,
                           "Also decrypt the set's secret (group threshold 1 only) and compare "
                           "its KCV (6 hex digits)");
    verify_cmd
        ->add_option("--count", verify.count,
                     "The number of cards the set has (7 in the KMP): exit 4 unless exactly "
                     "that many distinct shares are given")
        ->check(CLI::Range(1, 16));
    add_passphrase_options(*verify_cmd, verify.passphrase);
    verify_cmd->add_flag("--json", verify.json, "Print the result as JSON");
    verify_cmd->callback([&verify] { run_verify_set(verify); });
}

}  // namespace smk::cli
