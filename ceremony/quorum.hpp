#pragma once
// Reading a quorum of cards against an issued plan, for restore and reissue
// (quorum.cpp): cards one after another until the policy's quorum is there, each
// checked against the plan before its share is used; the SMK recovered from it
// and checked against the plan's KCV; a holder's share derived again from a
// whole set.

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

// Reads cards until the whole sets make the policy's quorum, each card checked
// against the plan. A holder gives one card (counts once), whatever sets they hold.
[[nodiscard]] Quorum gather_quorum(const Plan& plan, CardSession& session, Journal& journal,
                                   const QuorumWanted& wanted);

// The SMK from the quorum's whole sets, checked against the plan's KCV (a wrong
// passphrase shows as another KCV): Error(verification), recorded.
void recover_smk(const Plan& plan, Quorum& quorum, const Secret& passphrase, Journal& journal);

// The share of member `index` (1-based) of `set`, from the quorum's shares of that
// (whole) set, in secure memory.
[[nodiscard]] Secret derive_share(const Quorum& quorum, unsigned set, unsigned index);

}  // namespace smk::ceremony
