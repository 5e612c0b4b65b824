// smk split --to-cards: each share onto its own OpenPGP card, holder by holder,
// through the one card writer (smk/ceremony/split_to_cards.hpp).

#include <fmt/core.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "card_flow.hpp"
#include "io.hpp"
#include "passphrase.hpp"
#include "smk/ceremony/split_to_cards.hpp"
#include "smk/error.hpp"
#include "smk/fingerprint.hpp"
#include "smk/interrupt.hpp"
#include "smk/kcv.hpp"
#include "smk/random.hpp"
#include "smk/slip39.hpp"
#include "split_key.hpp"

namespace smk::cli {

using ceremony::CardSession;
using ceremony::CardShare;
using ceremony::CardWritten;
using ceremony::share_name;
using ceremony::SplitToCards;
using ceremony::SplitToCardsObserver;

void run_split_to_cards(const SplitOptions& options) {
    if (!options.out_dir.empty() || options.to_stdout) {
        throw Error(ErrorCategory::usage,
                    "--to-cards writes the shares to cards only; it does not go with --out-dir "
                    "or --stdout");
    }
    const CheckedSplit split = checked_split(options);
    const slip39::SplitParams& params = split.params;
    const Secret& master = split.master;
    const Secret& passphrase = split.passphrase;
    const slip39::SplitResult& result = split.result;
    const auto& mnemonics = result.mnemonics;
    const std::string kcv = kcv_hex(key_check_value(master.bytes()));
    const std::string fingerprint = fingerprint_hex(key_fingerprint(master.bytes()));

    // Holder h gets share h of every set: their cards go into one bag.
    SplitToCards job;
    job.split = &result;
    job.master = master.bytes();
    job.passphrase = passphrase.bytes();
    job.kcv = kcv;
    job.overwrite = options.cards.overwrite;
    job.start_over = "run 'smk split --to-cards' again (a new split)";
    job.not_empty = "To replace it, run again with --overwrite";
    job.after_interrupt =
        "Run 'smk split --to-cards --overwrite' again with the same cards (a new split "
        "replaces these shares), or empty them with 'smk card wipe'.";
    std::size_t holders = 0;
    for (const auto& group : mnemonics) {
        holders = std::max(holders, group.size());
    }
    for (std::size_t h = 0; h < holders; ++h) {
        for (unsigned g = 0; g < mnemonics.size(); ++g) {
            if (h >= mnemonics[g].size()) {
                continue;
            }
            CardShare share;
            share.request.holder = fmt::format("holder {}", h + 1);
            share.request.set = set_letter(g);
            share.request.index = static_cast<unsigned>(h + 1);
            share.group = g;
            share.member = h;
            share.record_source = "new " + share_name(g, h);
            job.shares.push_back(std::move(share));
        }
    }

    CardSession session(session_options(options.cards));
    // Reports each card as it is done.
    class Progress final : public SplitToCardsObserver {
      public:
        explicit Progress(const CardSession& session) : m_session(session) {}
        void card_written(const CardWritten& card) override {
            m_session.say(fmt::format("{} of {}: written to {}, read back and checked: OK\n",
                                      share_name(card.share->group, card.share->member),
                                      card.share->request.holder, card.label));
        }

      private:
        const CardSession& m_session;
    } progress(session);
    // Ctrl-C or SIGTERM stops between cards, never in the middle of one: the card
    // being written is finished and read back first (smk/interrupt.hpp).
    const InterruptScope interruptible;
    const std::vector<CardWritten> written = ceremony::write_split_to_cards(session, job, progress);

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
            if (one.share->member == h) {
                line += fmt::format("{}{} on card {}", line.empty() ? "" : ", ",
                                    share_name(one.share->group, one.share->member), one.serial);
                cards.push_back({{"set", set_letter(one.share->group)},
                                 {"index", one.share->member + 1},
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

}  // namespace smk::cli
