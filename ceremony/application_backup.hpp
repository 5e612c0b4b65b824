#pragma once
// The application-key backup in the restore flow: read from its planned drive
// and checked before any token is opened, checked against each token before
// anything is written, unwrapped into each token, and what a failed restore
// created destroyed again.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "smk/ceremony/flows.hpp"
#include "smk/ceremony/journal.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/hsm.hpp"
#include "tokens.hpp"

namespace smk::ceremony {

// The facility's application backup: its drive's USB serial checked, then the
// file against its .sha256sum and the SHA-256 the plan records, parsed, and its
// wrapping KCV compared with the plan's (Error(verification): another ceremony's).
[[nodiscard]] hsm::BackupSummary check_application_backup(const Plan& plan,
                                                          const Facility& facility,
                                                          const LookAlikeOverride& look_alike,
                                                          Journal& journal);

// The labels of the backup's keys that the token does not hold yet (those a restore
// creates there); Error(refused) if it holds any of them, unless replace.
[[nodiscard]] std::vector<std::string> new_labels_in(OpenToken& token,
                                                     const hsm::BackupSummary& backup, bool replace,
                                                     Journal& journal);

// The backup's keys unwrapped into the token under the plan's SMK; the result lines.
[[nodiscard]] std::string restore_application_keys(OpenToken& token, const Plan& plan,
                                                   const hsm::BackupSummary& backup, bool replace,
                                                   Journal& journal);

// What a restore put into one token.
struct TokenChanges {
    OpenToken* token = nullptr;
    bool smk_installed = false;           // the SMK was not there before
    std::vector<std::string> new_labels;  // backup keys the token did not hold before
};

// After a failure part-way: what the restore put into each token it reached is
// destroyed again (the SMK it installed, the keys it created; keys that replaced
// others stay, the old ones being gone), each removal recorded ("rolled-back").
void roll_back(const std::vector<TokenChanges>& changes, const Plan& plan, Journal& journal);

}  // namespace smk::ceremony
