// The shares from cards, one card after another, until they make a quorum.

#include "smk/ceremony/cards_quorum.hpp"

#include <fmt/core.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "smk/error.hpp"
#include "smk/share_record.hpp"

namespace smk::ceremony {
namespace {

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

}  // namespace

std::vector<slip39::NamedMnemonic> read_cards_until_quorum(CardSession& session,
                                                           bool pin_from_file) {
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
            const bool wrong_pin_from_file =
                !held && pin_from_file && error.category() == ErrorCategory::verification;
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

}  // namespace smk::ceremony
