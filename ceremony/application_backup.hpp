#pragma once
// The application-key backup in the restore flow: read from its planned drive
// and checked before any token is opened, checked against each token before
// anything is written, unwrapped into each token, and what a failed restore
// created destroyed again.

#include <optional>
#include <string>
#include <utility>
#include <vector>

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
                                                          Journal& journal);

// Error(refused) if the token holds a key labelled as one of the backup's, unless replace.
void require_keys_absent(OpenToken& token, const hsm::BackupSummary& backup, bool replace,
                         Journal& journal);

// The backup's keys unwrapped into the token under the plan's SMK; the result lines.
[[nodiscard]] std::string restore_application_keys(OpenToken& token, const Plan& plan,
                                                   const hsm::BackupSummary& backup, bool replace,
                                                   Journal& journal);

// After a failure part-way: what the restore put into each token it reached
// (token, whether it installed the SMK there) is destroyed again: the keys it
// restored, unless they replaced others, and an SMK it installed; each recorded.
void roll_back(const std::vector<std::pair<OpenToken*, bool>>& touched, const Plan& plan,
               const std::optional<hsm::BackupSummary>& backup, bool replace, Journal& journal);

}  // namespace smk::ceremony
