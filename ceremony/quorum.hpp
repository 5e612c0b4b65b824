#pragma once
// Reading a quorum of cards against an issued plan, for restore and reissue
// (quorum.cpp): cards one after another until the policy's quorum is there, each
// checked against the plan before its share is used; the SMK recovered from it
// and checked against the plan's KCV; a holder's share derived again from a
// whole set.

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "smk/ceremony/card_session.hpp"
#include "smk/ceremony/journal.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/secret.hpp"
#include "smk/slip39.hpp"

namespace smk::ceremony {

struct Quorum {
    Secret smk;
    std::vector<unsigned> whole_sets;  // the sets read to their threshold, in that order
    std::map<unsigned, std::vector<slip39::NamedMnemonic>> shares;  // per set, as read
    std::vector<std::string> cards;
    std::vector<unsigned> remote;  // holders whose sealed shares count (remote_shares.hpp)
    std::set<unsigned> holders;    // every holder who gave a share: each counts once

    // "set A", "sets A and C"
    [[nodiscard]] std::string sets_text() const {
        std::string text = whole_sets.size() == 1 ? "set " : "sets ";
        for (std::size_t i = 0; i < whole_sets.size(); ++i) {
            text += (i == 0                       ? ""
                     : i + 1 == whole_sets.size() ? " and "
                                                  : ", ") +
                    slip39::set_letter(whole_sets[i]);
        }
        return text;
    }
};

// Which cards a flow collects.
struct QuorumWanted {
    std::optional<unsigned> only_set;  // restore --set: cards of this set only
    // reissue: one of these sets must be whole (the share replaced is derived from it)
    std::set<unsigned> one_whole_of;
    unsigned excluded_holder = 0;  // reissue: the holder whose card is replaced
};

// "set A: 3 of 5; set B: 1 of 5" ("no share")
[[nodiscard]] std::string progress_text(const Plan& plan, const Quorum& quorum);

// Whether the quorum's whole sets make the policy's quorum (and `wanted`'s whole set).
[[nodiscard]] bool have_quorum(const Plan& plan, const Quorum& quorum, const QuorumWanted& wanted);

// A share offered to the quorum, a card's or a sealed share's, before it counts.
struct OfferedShare {
    const Holder* holder = nullptr;
    const CardSpec* spec = nullptr;  // the holder's planned card of the share's set
    // Refuses the share: records `step` and throws Error(refused) naming it.
    std::function<void(const std::string& step, const std::string& why)> refuse;
};
// The plan's checks of the holder before their share is read (the same for a card
// and a sealed share): not reported lost, not counted already, of the set being
// collected. False when the share's set is whole already (not needed).
[[nodiscard]] bool holder_may_give(const Plan& plan, const Quorum& quorum,
                                   const QuorumWanted& wanted, const OfferedShare& offered);
// The share read is of the plan's share set, and the set and member the plan gives
// the holder's card.
void check_share_is_planned(const Plan& plan, const slip39::ShareInfo& info,
                            const OfferedShare& offered);
// Counts the share (`source` names it in the combine's errors) and says so.
void add_share(const Plan& plan, Quorum& quorum, const OfferedShare& offered, std::string source,
               Secret mnemonic);

// Reads cards until the whole sets make the policy's quorum, each card checked
// against the plan. A holder gives one card (counts once), whatever sets they hold.
// `quorum` may hold shares already (the remote holders' sealed shares).
[[nodiscard]] Quorum gather_quorum(const Plan& plan, CardSession& session, Journal& journal,
                                   const QuorumWanted& wanted, Quorum quorum = {});

// The SMK from the quorum's whole sets, checked against the plan's KCV (a wrong
// passphrase shows as another KCV): Error(verification), recorded.
void recover_smk(const Plan& plan, Quorum& quorum, const Secret& passphrase, Journal& journal);

// The share of member `index` (1-based) of `set`, from the quorum's shares of that
// (whole) set, in secure memory.
[[nodiscard]] Secret derive_share(const Quorum& quorum, unsigned set, unsigned index);

}  // namespace smk::ceremony
