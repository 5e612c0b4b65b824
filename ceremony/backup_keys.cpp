// smk ceremony backup-keys (phase 1, KMP 5.4): the plan's application keys backed
// up under the SMK in the first facility's HSM, into the backup tree that
// backup-copies then carries to every planned drive.
//
// Checked before anything is written: the plan is issued; the token holds the SMK
// with the plan's KCV (computed in the token); every planned key is in the token;
// no output file exists. Then the keys are wrapped (smk/hsm.hpp: MAC in the token,
// the file parsed back as restore parses it), the file is read back from the device
// (O_DIRECT) and its SHA-256 recorded in the transcript and printed for the paper
// script as hex, openssl's colon form and PGP words; the public key of each key
// pair is exported beside it as LABEL.public.der with its SHA-256.

#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "flow_setup.hpp"
#include "smk/atomic_file.hpp"
#include "smk/ceremony/flows.hpp"
#include "smk/digest.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/hsm.hpp"
#include "smk/kcv.hpp"
#include "smk/manifest_report.hpp"
#include "smk/sha256.hpp"
#include "tokens.hpp"

namespace smk::ceremony {
namespace {

namespace fs = std::filesystem;

// The open token the plan's [application_keys] names.
OpenToken& application_token(Tokens& tokens, const Plan& plan) {
    for (auto& t : tokens.open) {
        if (t.label == plan.application_token()) {
            return t;
        }
    }
    throw Error(ErrorCategory::internal, "the planned token was not opened");
}

std::string joined(const std::vector<std::string>& words) {
    std::string text;
    for (const auto& w : words) {
        text += (text.empty() ? "" : " ") + w;
    }
    return text;
}

}  // namespace

void backup_keys(const CeremonyOptions& options, Output& output) {
    const Plan plan = load_plan(options.plan);
    require_issued(plan);
    if (!plan.application_keys) {
        throw Error(ErrorCategory::usage,
                    fmt::format("plan {} has no [application_keys]: nothing to back up (see "
                                "docs/CEREMONY.md)",
                                plan.file.string()));
    }
    const ApplicationKeys& keys = *plan.application_keys;
    const Facility& facility = plan.application_facility();
    check_token_pin_files(plan, options, facility);
    const fs::path backup = plan.application_backup_path();
    Journal journal = open_journal(plan, options, "backup-keys", output);
    journal.say(fmt::format("Application key backup at {} (plan {}, SMK KCV {})\n", facility.name,
                            plan.file.string(), *plan.kcv));
    journal.record("start", {{"plan", plan.file.string()}, {"facility", facility.name}},
                   {{"keys", joined(keys.labels)},
                    {"backup", backup.string()},
                    {"dry_run", options.dry_run ? "yes" : "no"}},
                   {{"plan", sha256_hex(plan.text)}});
    record_participants(plan, options.confirm_participants, journal);

    // 1. Nothing is overwritten: the backup, its .sha256sum and every public key file.
    std::error_code ec;
    if (!fs::is_directory(backup.parent_path(), ec)) {
        throw Error(ErrorCategory::io,
                    fmt::format("{} is not a directory of the backup tree {}; make it first. "
                                "Nothing was written.",
                                backup.parent_path().string(), plan.backup_source.string()));
    }
    refuse_existing(backup);
    refuse_existing(fs::path(backup.string() + ".sha256sum"));
    for (const auto& label : keys.labels) {
        refuse_existing(plan.public_key_path(label));
    }

    // 2. The token: the SMK there with the plan's KCV, every planned key present.
    Tokens tokens = open_tokens(plan, facility, options, journal);
    OpenToken& token = application_token(tokens, plan);
    const Kcv expected = hsm::parse_kcv(*plan.kcv, "the plan's KCV");
    if (!holds_planned_smk(token, plan, expected, journal)) {
        throw Error(ErrorCategory::refused,
                    fmt::format("{} holds no key labelled \"{}\": the SMK is installed by 'smk "
                                "ceremony issue' (or restore) first. Nothing was written.",
                                token.session.name(), plan.key_label));
    }
    check_smk_trust(token, plan, true, options, journal);
    hsm::require_backup_mechanisms(token.session);
    const auto held = hsm::labels_held(token.session, keys.labels);
    if (held.size() != keys.labels.size()) {
        std::vector<std::string> missing;
        for (const auto& label : keys.labels) {
            if (std::find(held.begin(), held.end(), label) == held.end()) {
                missing.push_back("\"" + label + "\"");
            }
        }
        journal.record("application-key-missing", {{"token", token.label}},
                       {{"labels", joined(missing)}});
        throw Error(ErrorCategory::usage,
                    fmt::format("{} holds no key labelled {}, planned in [application_keys]; "
                                "generate it (or correct the plan) first. Nothing was written.",
                                token.session.name(), joined(missing)));
    }
    if (options.dry_run) {
        journal.result(fmt::format(
            "dry run: plan OK; {} holds the SMK (KCV {}) and the {} planned key(s) {}; {} is "
            "free; nothing was written",
            token.session.name(), *plan.kcv, keys.labels.size(), joined(keys.labels),
            backup.string()));
        return;
    }

    // The public keys of the key pairs, taken before anything is written (a curve smk
    // cannot export is refused here); a secret key has none (Error(usage)).
    std::vector<std::pair<std::string, std::vector<std::uint8_t>>> public_keys;
    for (const auto& label : keys.labels) {
        try {
            public_keys.emplace_back(label, hsm::public_key_der(token.session, label));
        } catch (const Error& e) {
            if (e.category() != ErrorCategory::usage) {
                throw;
            }
        }
    }

    // 3. The backup, read back from the device.
    // With wrap_with_trusted, wrap_keys checks the SMK's CKA_TRUSTED and finds every key
    // before it sets CKA_WRAP_WITH_TRUSTED (irreversible) on those without it.
    const hsm::BackupSummary summary = hsm::wrap_keys(token.session, plan.key_label, keys.labels,
                                                      backup, {keys.wrap_with_trusted});
    const FileDigest on_device = sha256_file_as_written(summary.file, summary.sha256_hex);
    std::vector<std::string> described;
    std::vector<std::string> only_trusted;  // keys with CKA_WRAP_WITH_TRUSTED
    for (const auto& k : summary.keys) {
        std::string size;
        if (k.bits != 0) {
            size = " " + std::to_string(k.bits);
        } else if (!k.curve.empty()) {
            size = " " + k.curve;
        }
        described.push_back(fmt::format("{} ({} {}{}{})", k.label, k.key_class, k.key_type, size,
                                        k.wrap_with_trusted ? ", wrap-with-trusted" : ""));
        if (k.wrap_with_trusted) {
            only_trusted.push_back(k.label);
        }
    }
    journal.record("application-keys-backed-up",
                   {{"facility", facility.name},
                    {"token", token.label},
                    {"token_serial", token.session.token().serial},
                    {"backup", summary.file.string()}},
                   {{"keys", std::to_string(summary.keys.size())},
                    {"labels", joined(keys.labels)},
                    {"wrapped_under", plan.key_label + " KCV " + summary.wrapping_kcv_hex},
                    {"wrap_with_trusted", only_trusted.empty() ? "none" : joined(only_trusted)},
                    {"sha256", summary.sha256_hex},
                    {"sha256_openssl", digest_colon_hex(on_device.sha256)},
                    {"sha256_pgp_words", pgp_words(on_device.sha256)},
                    {"read_back", "from the device"}},
                   {{"backup", summary.sha256_hex}});

    // 4. The public key of each key pair, beside it.
    std::string public_lines;
    for (const auto& [label, der] : public_keys) {
        const fs::path file = plan.public_key_path(label);
        write_new_file(file, der, 0644);
        const std::string sha = to_hex(sha256_bytes(der));
        journal.record("public-key-exported", {{"token", token.label}, {"file", file.string()}},
                       {{"label", label}, {"sha256", sha}}, {{"public_key", sha}});
        public_lines +=
            fmt::format("  public key {}: {}\n    SHA-256 {}\n", label, file.string(), sha);
    }

    std::string receipt =
        fmt::format("application keys backed up at {} from {} under the SMK (KCV {}): {}\n",
                    facility.name, token.label, summary.wrapping_kcv_hex, joined(described));
    receipt += "  backup " + digest_text(on_device, summary.file.string());
    receipt += public_lines;
    receipt += fmt::format(
        "  for the paper script and the phase-2 plan (application_backup_sha256): {}\n"
        "  next: smk ceremony backup-copies {}\n  transcript: {}\n",
        summary.sha256_hex, plan.file.string(), journal.path());
    result_lines(journal, receipt);
    journal.finish();
}

}  // namespace smk::ceremony
