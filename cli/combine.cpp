// smk combine: recover the SMK from SLIP-39 mnemonics (one per line, any order),
// check it against an expected KCV, and write it to a new 0600 file or, only
// when asked with --out -, as hex on stdout.

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
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
#include "smk/share_record.hpp"
#include "smk/slip39.hpp"

namespace smk::cli {
namespace {

using ceremony::CardSession;
using ceremony::HeldCard;

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

// A set whose shares were given but not enough of them to check (fewer than its
// threshold): combine() could neither use nor check them, and the receipt says so.
struct UncheckedSet {
    unsigned group = 0;
    unsigned needed = 0;
    std::vector<std::string> sources;

    [[nodiscard]] std::string text() const {
        return fmt::format("{}: {} share{} given, {} needed to check them; not used",
                           slip39::group_name(group), sources.size(),
                           sources.size() == 1 ? "" : "s", needed);
    }
};

// The shares combine() did not use, by set. Every complete set is used (and so
// checked), so these are the sets given with fewer shares than their threshold.
std::vector<UncheckedSet> unchecked_sets(std::span<const slip39::NamedMnemonic> shares,
                                         const slip39::CombineResult& result) {
    std::map<unsigned, UncheckedSet> sets;
    for (const auto& share : shares) {
        if (std::find(result.sources_used.begin(), result.sources_used.end(), share.source) !=
            result.sources_used.end()) {
            continue;
        }
        const auto info = slip39::decode(share.mnemonic.text(), share.source).info;
        UncheckedSet& set = sets[info.group_index];
        set.group = info.group_index;
        set.needed = info.member_threshold;
        set.sources.push_back(share.source);
    }
    std::vector<UncheckedSet> out;
    for (auto& [group, set] : sets) {
        (void)group;
        out.push_back(std::move(set));
    }
    return out;
}

// The shares from cards, one card after another, until the shares read make a
// quorum (slip39::combine stops saying "insufficient"). Cards that cannot
// contribute are named and skipped; a card of another split is refused.
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
    const std::vector<UncheckedSet> unchecked = unchecked_sets(shares, result);
    for (const UncheckedSet& set : unchecked) {
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
        for (const UncheckedSet& set : unchecked) {
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

struct CardsRead {
    std::vector<slip39::NamedMnemonic> shares;
    std::optional<slip39::ShareInfo> first;  // the split being combined
    std::vector<std::string> skipped;        // "card X: why"
};

struct SetProgress {
    unsigned threshold = 0;
    std::set<unsigned> members;
};

// Per set (group index): its threshold and the member indices read so far.
std::map<unsigned, SetProgress> progress(const CardsRead& read) {
    std::map<unsigned, SetProgress> sets;
    for (const auto& share : read.shares) {
        const auto info = slip39::decode(share.mnemonic.text(), share.source).info;
        sets[info.group_index].threshold = info.member_threshold;
        sets[info.group_index].members.insert(info.member_index);
    }
    return sets;
}

// True when the shares read so far are a quorum for their split.
bool have_quorum(const CardsRead& read) {
    if (!read.first) {
        return false;
    }
    unsigned complete = 0;
    for (const auto& [group, set] : progress(read)) {
        (void)group;
        if (set.members.size() >= set.threshold) {
            ++complete;
        }
    }
    return complete >= read.first->group_threshold;
}

std::string progress_text(const CardsRead& read) {
    std::string text;
    for (const auto& [group, set] : progress(read)) {
        text += fmt::format("{}{}: {} of {}", text.empty() ? "" : "; ", slip39::group_name(group),
                            set.members.size(), set.threshold);
    }
    return text.empty() ? "no share yet" : text;
}

// One card's contribution: its share, or why it is skipped (Error(refused) for
// a share of another split or the same share twice, verification for an empty
// or garbage DO).
std::string take_share(CardsRead& read, card::ShareStore& store) {
    auto stored = store.read_share();
    if (stored.state == card::StoredState::empty) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} holds no share (DO 0103 is empty)", store.label()));
    }
    if (!stored.record) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} holds {} bytes that are not a valid share record: {}",
                                store.label(), stored.bytes, stored.problem));
    }
    const auto& info = stored.record->info;
    const std::string name =
        fmt::format("card {} ({} #{})", store.serial(), slip39::group_name(info.group_index),
                    info.member_index + 1);
    if (read.first && info.identifier != read.first->identifier) {
        throw Error(ErrorCategory::refused,
                    fmt::format("{} holds a share of another split (identifier {}); the cards "
                                "read so far are of identifier {}: this card is not used",
                                store.label(), info.identifier, read.first->identifier));
    }
    for (const auto& share : read.shares) {
        const auto other = slip39::decode(share.mnemonic.text(), share.source).info;
        if (other.group_index == info.group_index && other.member_index == info.member_index) {
            throw Error(ErrorCategory::refused,
                        fmt::format("{} holds {} #{}, which {} already gave; this card is not "
                                    "used",
                                    store.label(), slip39::group_name(info.group_index),
                                    info.member_index + 1, share.source));
        }
    }
    if (!read.first) {
        read.first = info;
    }
    read.shares.push_back({name, std::move(stored.record->mnemonic)});
    return fmt::format("{} #{}", slip39::group_name(info.group_index), info.member_index + 1);
}

std::vector<slip39::NamedMnemonic> read_cards_until_quorum(const CombineOptions& options) {
    if (!options.inputs.empty()) {
        throw Error(ErrorCategory::usage,
                    "--from-cards reads the shares from cards; give no files");
    }
    CardSession session(session_options(options.cards));
    CardsRead read;
    while (!have_quorum(read)) {
        std::optional<HeldCard> held;
        std::string problem;
        std::string share;
        try {
            held = session.next_card({});
            if (!held) {
                break;  // batch: no card left
            }
            share = take_share(read, held->store);
        } catch (const Error& error) {
            // Errors before any card was looked at (pcscd, no card inserted in
            // time) stop; so does a wrong PIN from a file (it would be wrong for
            // every card). A card that cannot contribute (not an OpenPGP card,
            // empty, garbage, another split, the same card twice, a PIN typed
            // wrong) is named and skipped.
            const bool card_involved = held.has_value() || !session.last_reader().empty();
            const bool wrong_pin_from_file = !held && pin_given(options.cards.pin) &&
                                             error.category() == ErrorCategory::verification;
            if (!card_involved || wrong_pin_from_file) {
                throw;
            }
            problem = error.what();
        }
        if (problem.empty()) {
            session.say(fmt::format("read {} from {} ({})\n", share, held->store.label(),
                                    progress_text(read)));
            session.release(std::move(*held));
            continue;
        }
        read.skipped.push_back(problem);
        session.say(fmt::format("skipped: {}\n", problem));
        const std::string reader = held ? held->reader : session.last_reader();
        held.reset();  // closes the card
        session.release_reader(reader, "");
    }
    if (!have_quorum(read)) {
        std::string skipped;
        for (const auto& one : read.skipped) {
            skipped += "\n  skipped: " + one;
        }
        throw Error(ErrorCategory::insufficient,
                    fmt::format("the cards present do not hold enough shares of one split: {}{}; "
                                "insert more cards of the same split and run again",
                                read.first ? progress_text(read) : "no valid share read", skipped));
    }
    return std::move(read.shares);
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
