// smk hsm tokens | install | kcv | backup | restore-backup: the SMK in a PKCS#11
// token and application keys wrapped under it. Thin callbacks over smk/hsm.hpp,
// printing what smk/hsm_report.hpp writes;
// the SMK is combined from SLIP-39 shares in secret memory and goes straight
// into the token: never to disk, never to argv.

#include "hsm.hpp"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "context.hpp"
#include "io.hpp"
#include "passphrase.hpp"
#include "pin.hpp"
#include "smk/atomic_file.hpp"
#include "smk/digest.hpp"
#include "smk/error.hpp"
#include "smk/hsm.hpp"
#include "smk/hsm_report.hpp"
#include "smk/interrupt.hpp"
#include "smk/kcv.hpp"
#include "smk/manifest_report.hpp"
#include "smk/pkcs11.hpp"
#include "smk/slip39.hpp"

namespace smk::cli {
namespace {

struct HsmCommand {
    std::string module;
    std::string token;
    PinOptions pin;
    SoPinOptions so_pin;
    bool trusted = false;            // install --trusted
    bool wrap_with_trusted = false;  // backup --wrap-with-trusted
    PassphraseOptions passphrase;
    std::string label;
    std::string id_hex;
    bool replace = false;
    std::string expect_kcv;
    std::vector<std::string> share_files;
    std::vector<std::string> backup_files;  // destroy-key --backup
    std::string wrap_with;
    std::vector<std::string> keys;
    std::string out;
    std::string backup;
    std::optional<std::string> expect_sha256;
    bool json = false;
};

void add_module_option(CLI::App& cmd, HsmCommand& options) {
    cmd.add_option("--pkcs11-module", options.module,
                   "The token's PKCS#11 module (.so); default: $SMK_PKCS11_MODULE")
        ->envname("SMK_PKCS11_MODULE")
        ->required();
}

void add_token_options(CLI::App& cmd, HsmCommand& options) {
    add_module_option(cmd, options);
    cmd.add_option("--token", options.token, "The token's label (exactly)")->required();
    add_pin_options(cmd, options.pin);
}

// Opens the token by label and logs in once; the PIN is kept in `pin` when given
// (a trusted install logs in again after the security officer).
pkcs11::Session open_token(const HsmCommand& options, std::optional<Secret>* pin = nullptr) {
    const pkcs11::Module module(options.module);
    pkcs11::Session session(module, options.token);
    session.refuse_final_try(options.pin.last_try);
    Secret read = read_pin(options.pin, session.name());
    session.login(read);
    if (pin != nullptr) {
        pin->emplace(std::move(read));
    }
    return session;
}

void run_tokens(const HsmCommand& options) {
    const pkcs11::Module module(options.module);
    print_out(hsm::tokens_report(module.path(), module.tokens(), options.json));
}

void run_install(const HsmCommand& options) {
    // Everything is checked before the token is touched: options, shares, KCV.
    if (!options.trusted && (!options.so_pin.file.empty() || options.so_pin.fd >= 0)) {
        throw Error(ErrorCategory::usage,
                    "--so-pin-file and --so-pin-fd are for --trusted only; nothing was installed");
    }
    std::optional<Kcv> expected;
    if (!options.expect_kcv.empty()) {
        expected = hsm::parse_kcv(parse_expected_kcv(options.expect_kcv), "--expect-kcv");
    }
    const auto id = hsm::parse_key_id(options.id_hex);
    const auto shares = read_mnemonics(options.share_files);
    const Secret passphrase = read_passphrase(options.passphrase, false);
    const auto result = slip39::combine(shares, passphrase.bytes());
    if (expected) {
        check_kcv(result.master_secret.bytes(), kcv_hex(*expected), "the recovered SMK",
                  "; nothing was installed");
    }
    // Ctrl-C or SIGTERM is noted and acted on only before the key is created
    // (nothing installed) or after it is checked (smk/interrupt.hpp): never between.
    const InterruptScope interruptible;
    std::optional<pkcs11::Session> opened;
    std::optional<Secret> user_pin;
    try {
        opened.emplace(open_token(options, &user_pin));
    } catch (const Error& error) {
        if (error.category() != ErrorCategory::device) {
            throw;
        }
        // The token failed before anything was created on it.
        throw Error(ErrorCategory::device, fmt::format("{}. Nothing was installed on token \"{}\"",
                                                       error.what(), options.token));
    }
    pkcs11::Session& session = *opened;
    std::optional<Secret> so_pin;
    if (options.trusted) {
        so_pin.emplace(read_so_pin(options.so_pin, session.name()));
    }
    throw_if_interrupted(
        fmt::format("stopped before the SMK was installed: nothing was "
                    "installed on {}. Run the same command again to install it",
                    session.name()));
    std::optional<hsm::TrustedLogin> login;
    if (so_pin) {
        login.emplace(hsm::TrustedLogin{*so_pin, *user_pin, options.pin.last_try});
    }
    const Kcv kcv =
        hsm::install_smk(session, result.master_secret, {options.label, id, options.replace},
                         expected, login ? &*login : nullptr);
    print_out(hsm::install_report(
        session.token(), session.name(),
        {options.label, options.id_hex, result.params.identifier, result.sources_used.size(), kcv,
         expected.has_value(), options.trusted},
        options.json));
    throw_if_interrupted(
        fmt::format("the SMK had already gone into {}, so smk finished: it is "
                    "installed and its KCV checked, as printed above",
                    session.name()));
}

void run_kcv(const HsmCommand& options) {
    std::optional<Kcv> expected;
    if (!options.expect_kcv.empty()) {
        expected = hsm::parse_kcv(parse_expected_kcv(options.expect_kcv), "--expect");
    }
    pkcs11::Session session = open_token(options);
    const Kcv kcv = hsm::kcv_in_token(session, options.label);
    print_out(hsm::kcv_report(session.token(), session.name(), options.label, kcv, expected,
                              options.json));
    if (expected) {
        hsm::check_kcv(session, options.label, kcv, *expected);
    }
}

void run_backup(const HsmCommand& options) {
    refuse_existing(options.out);
    refuse_existing(options.out + ".sha256sum");
    pkcs11::Session session = open_token(options);
    const auto summary = [&] {
        try {
            return hsm::wrap_keys(session, options.wrap_with, options.keys, options.out,
                                  {options.wrap_with_trusted});
        } catch (const Error& error) {
            // Neither name existed above, so unless another writer took one meanwhile
            // (refused), what is there is this run's: a backup without its .sha256sum,
            // or one that failed its read-back. Removed, so the same command can
            // simply be run again.
            if (error.category() != ErrorCategory::refused) {
                std::error_code ignored;
                std::filesystem::remove(options.out, ignored);
                std::filesystem::remove(options.out + ".sha256sum", ignored);
            }
            throw;
        }
    }();
    // For the paper script: the SHA-256 of the backup as the device holds it (O_DIRECT),
    // in the three forms `smk media digest` shows, to be written down and read aloud.
    const FileDigest on_device = sha256_file_as_written(summary.file, summary.sha256_hex);
    const hsm::ReadBackDigest forms{digest_colon_hex(on_device.sha256),
                                    pgp_words(on_device.sha256)};
    print_out(hsm::backup_report(summary, session.token(), session.name(), options.json, &forms));
    if (!options.json) {
        print_out(digest_text(on_device, summary.file.string()));
    }
}

void run_restore(const HsmCommand& options) {
    // The file first: a wrong backup is refused before the token is opened.
    (void)hsm::check_backup_file(options.backup, options.expect_sha256);
    pkcs11::Session session = open_token(options);
    const auto summary = hsm::unwrap_keys(session, options.wrap_with, options.backup,
                                          {options.replace, options.expect_sha256});
    print_out(hsm::restore_report(summary, session.token(), session.name(), options.json));
}

void run_export_public(const HsmCommand& options) {
    refuse_existing(options.out);
    pkcs11::Session session = open_token(options);
    const auto der = hsm::public_key_der(session, options.label);
    write_new_file(options.out, der);
    print_out(hsm::public_key_report(options.label, session.name(), der, options.out));
}

void run_destroy(const HsmCommand& options) {
    const std::vector<std::filesystem::path> backups(options.backup_files.begin(),
                                                     options.backup_files.end());
    pkcs11::Session session = open_token(options);
    const auto report = hsm::destroy_key(session, options.label, backups);
    print_out(hsm::destroy_report(report, session.token(), session.name(), options.json));
}

}  // namespace

void register_hsm(CLI::App& app, Context& /*ctx*/) {
    auto* group = app.add_subcommand(
        "hsm", "The SMK in a PKCS#11 HSM: install, KCV inside the token, wrapped key backups");
    group->require_subcommand(1);

    auto tokens = std::make_shared<HsmCommand>();
    auto* tokens_cmd = group->add_subcommand("tokens", "The tokens of a PKCS#11 module");
    add_module_option(*tokens_cmd, *tokens);
    tokens_cmd->add_flag("--json", tokens->json, "Print JSON");
    tokens_cmd->callback([tokens] { run_tokens(*tokens); });

    auto install = std::make_shared<HsmCommand>();
    auto* install_cmd = group->add_subcommand(
        "install",
        "Combine SLIP-39 shares in memory and install the SMK as an AES key in a token, then "
        "check its KCV inside the token");
    add_token_options(*install_cmd, *install);
    install_cmd->add_option("--label", install->label, "CKA_LABEL of the SMK key")->required();
    install_cmd->add_option("--id", install->id_hex, "CKA_ID of the SMK key (hex)");
    install_cmd->add_flag("--replace", install->replace,
                          "Replace a key with that label (after the new one checks out)");
    install_cmd->add_option("--expect-kcv", install->expect_kcv,
                            "Fail (exit 5, nothing installed) unless the SMK has this KCV");
    install_cmd->add_flag("--trusted", install->trusted,
                          "Give the SMK CKA_TRUSTED (needs the token's SO PIN), so that keys "
                          "with CKA_WRAP_WITH_TRUSTED may leave the token under it alone; "
                          "--last-try also allows the SO PIN's last try");
    add_so_pin_options(*install_cmd, install->so_pin);
    add_passphrase_options(*install_cmd, install->passphrase);
    install_cmd->add_flag("--json", install->json, "Print the receipt as JSON");
    install_cmd->add_option("SHAREFILE", install->share_files,
                            "Files of mnemonics, one per line; none or '-': stdin");
    install_cmd->callback([install] { run_install(*install); });

    auto kcv = std::make_shared<HsmCommand>();
    auto* kcv_cmd = group->add_subcommand(
        "kcv", "The KCV of a token key, computed inside the token (AES-ECB of a zero block)");
    add_token_options(*kcv_cmd, *kcv);
    kcv_cmd->add_option("--label", kcv->label, "CKA_LABEL of the key")->required();
    kcv_cmd->add_option("--expect", kcv->expect_kcv, "Fail (exit 5) unless the KCV is this");
    kcv_cmd->add_flag("--json", kcv->json, "Print JSON");
    kcv_cmd->callback([kcv] { run_kcv(*kcv); });

    auto backup = std::make_shared<HsmCommand>();
    auto* backup_cmd = group->add_subcommand(
        "backup",
        "Wrap token keys under the SMK key (CKM_AES_KEY_WRAP_PAD) into a backup file "
        "and FILE.sha256sum");
    add_token_options(*backup_cmd, *backup);
    backup_cmd->add_option("--wrap-with", backup->wrap_with, "Label of the wrapping (SMK) key")
        ->required();
    backup_cmd
        ->add_option("--key", backup->keys,
                     "Label of a secret key or RSA/EC key pair to back up (repeat)")
        ->required();
    backup_cmd->add_option("--out", backup->out, "New backup file")->required();
    backup_cmd->add_flag("--wrap-with-trusted", backup->wrap_with_trusted,
                         "Every key gets CKA_WRAP_WITH_TRUSTED (irreversible; the SMK must be "
                         "trusted), so the token wraps it under trusted keys only");
    backup_cmd->add_flag("--json", backup->json, "Print JSON");
    backup_cmd->callback([backup] { run_backup(*backup); });

    auto restore = std::make_shared<HsmCommand>();
    auto* restore_cmd = group->add_subcommand(
        "restore-backup", "Check FILE.sha256sum, then unwrap the keys of a backup into a token");
    add_token_options(*restore_cmd, *restore);
    restore_cmd
        ->add_option("--unwrap-with", restore->wrap_with, "Label of the unwrapping (SMK) key")
        ->required();
    restore_cmd->add_flag("--replace", restore->replace, "Replace keys whose label exists");
    restore_cmd->add_option("--expect-sha256", restore->expect_sha256,
                            "The backup's SHA-256 recorded when it was made (hex or "
                            "openssl -c colon form); checked before the token is opened");
    restore_cmd->add_option("FILE", restore->backup, "The backup file")->required();
    restore_cmd->add_flag("--json", restore->json, "Print JSON");
    restore_cmd->callback([restore] { run_restore(*restore); });

    auto exporter = std::make_shared<HsmCommand>();
    auto* export_cmd = group->add_subcommand(
        "export-public",
        "Write the public key of an RSA or EC key pair as DER SubjectPublicKeyInfo "
        "(openssl pkey -pubin -inform DER reads it) and print its SHA-256");
    add_token_options(*export_cmd, *exporter);
    export_cmd->add_option("--label", exporter->label, "Label of the key pair")->required();
    export_cmd->add_option("--out", exporter->out, "New DER file")->required();
    export_cmd->callback([exporter] { run_export_public(*exporter); });

    auto destroy = std::make_shared<HsmCommand>();
    auto* destroy_cmd = group->add_subcommand(
        "destroy-key",
        "Destroy a key (and its public half) in a token, prove it is gone, and name the "
        "backup files that still hold it");
    add_token_options(*destroy_cmd, *destroy);
    destroy_cmd->add_option("--label", destroy->label, "Label of the key to destroy")->required();
    destroy_cmd->add_option("--backup", destroy->backup_files,
                            "A backup file to check for the key (repeat); each is checked "
                            "and read before anything is destroyed");
    destroy_cmd->add_flag("--json", destroy->json, "Print JSON");
    destroy_cmd->callback([destroy] { run_destroy(*destroy); });
}

}  // namespace smk::cli
