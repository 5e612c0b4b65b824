// smk card keygen | public-key | attest: the card's OpenPGP authentication key
// and on-card attestation (smk/card.hpp, docs/FORMAT.md "Card attestation").
//   keygen: the card generates the key (admin PIN); smk writes its public key.
//   public-key: the public key as the card reports it now (no PIN).
//   attest: the card signs a fresh challenge (user PIN); smk checks the answer
//           against the public key recorded at issuance and can write the
//           message and signature for `openssl dgst -sha256 -verify`.
// Thin callbacks: every rule is in smk_smartcard.

#include <fcntl.h>
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

#include "card.hpp"
#include "io.hpp"
#include "json_text.hpp"
#include "pin.hpp"
#include "smk/atomic_file.hpp"
#include "smk/card.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/interrupt.hpp"
#include "smk/secret_input.hpp"

namespace smk::cli {
namespace {

struct KeyCommand {
    std::string reader;
    PinOptions pin;              // attest: the user PIN (PW1)
    std::string admin_pin_file;  // keygen: the admin PIN (PW3)
    int admin_pin_fd = -1;
    bool overwrite_key = false;
    std::string public_key;  // attest: the key recorded at issuance
    std::string out;         // keygen --public-key-out, public-key --out
    std::string context;
    std::string challenge;
    std::string message_out;
    std::string signature_out;
    bool json = false;
};

std::span<const std::uint8_t> bytes_of(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// The admin PIN from --admin-pin-file, --admin-pin-fd or a no-echo prompt; never argv.
Secret read_admin_pin(const KeyCommand& options, std::string_view holder) {
    if (!options.admin_pin_file.empty()) {
        return read_pin_file(options.admin_pin_file);
    }
    if (options.admin_pin_fd >= 0) {
        if (::fcntl(options.admin_pin_fd, F_GETFD) < 0) {
            throw Error(ErrorCategory::usage,
                        fmt::format("--admin-pin-fd {}: no such open file descriptor",
                                    options.admin_pin_fd));
        }
        return read_pin_file(fmt::format("/dev/fd/{}", options.admin_pin_fd));
    }
    Tty tty("asking for the admin PIN (no --admin-pin-file or --admin-pin-fd given)");
    return tty.read_line(fmt::format("Admin PIN (PW3) of {}: ", holder), false, kMaxPinBytes,
                         "the PIN");
}

// A public key file written before anything irreversible: refused if it exists.
void check_new_output(const std::string& path) {
    if (!path.empty() && path != "-") {
        refuse_existing(path);
    }
}

// The PEM to a new 0644 file (public data), or stdout for "-".
void write_public_key(const std::string& path, const card::PublicKey& key) {
    const std::string pem = key.pem();
    if (path == "-") {
        print_out(pem);
        return;
    }
    write_new_file(path, bytes_of(pem), 0644);
}

// A signal during `card keygen` (smk/interrupt.hpp) is acted on only before the
// admin PIN is tried, or once the key is generated, its fingerprint written and
// its public key saved: never between generation and saving the public key.
void run_keygen(const KeyCommand& options) {
    check_new_output(options.out);
    const InterruptScope interruptible;
    card::AuthKeyCard card(card::find_reader(options.reader));
    const Secret admin_pin = read_admin_pin(options, card.label());
    throw_if_interrupted(fmt::format(
        "stopped before the admin PIN was tried: nothing was changed on {}", card.label()));
    const card::PublicKey key =
        card.generate(admin_pin, options.overwrite_key, options.pin.last_try);
    const std::string again =
        fmt::format("smk card public-key --reader \"{}\" --out FILE", options.reader);
    try {
        write_public_key(options.out, key);
    } catch (const Error& error) {
        throw Error(error.category(),
                    fmt::format("{}. The key was generated on {}: write its public key again "
                                "with '{}'",
                                error.what(), card.label(), again));
    }
    const std::string where = options.out == "-" ? "stdout" : options.out;
    throw_if_interrupted(
        fmt::format("the key had already been generated on {}, so smk finished: "
                    "its public key (SHA-256 {}) is in {}",
                    card.label(), key.sha256_hex(), where));
    if (options.json) {
        print_err(json_text({{"card", card.serial()},
                             {"holder", card.label()},
                             {"public_key_file", where},
                             {"public_key_sha256", key.sha256_hex()},
                             {"bits", key.bits()}}));
        return;
    }
    print_err(
        fmt::format("generated an RSA-{} authentication key on {}; public key (SHA-256 {}) "
                    "written to {}\n",
                    key.bits(), card.label(), key.sha256_hex(), where));
}

void run_public_key(const KeyCommand& options) {
    check_new_output(options.out);
    card::AuthKeyCard card(card::find_reader(options.reader));
    const auto key = card.public_key();
    if (!key) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} has no authentication key; generate one with 'smk card "
                                "keygen'",
                                card.label()));
    }
    write_public_key(options.out, *key);
    if (options.out != "-") {
        print_err(fmt::format("wrote the authentication public key of {} (SHA-256 {}) to {}\n",
                              card.label(), key->sha256_hex(), options.out));
    }
}

void run_attest(const KeyCommand& options) {
    if (options.message_out.empty() != options.signature_out.empty()) {
        throw Error(ErrorCategory::usage,
                    "--message-out and --signature-out go together (openssl needs both)");
    }
    // Everything is checked before the card is touched.
    const Secret key_file = read_input(options.public_key);
    const card::PublicKey expected = card::parse_public_key(key_file.bytes(), options.public_key);
    card::check_attest_context(options.context);
    const card::Challenge challenge = options.challenge.empty()
                                          ? card::fresh_challenge()
                                          : card::parse_challenge(options.challenge);
    check_new_output(options.message_out);
    check_new_output(options.signature_out);

    card::AuthKeyCard card(card::find_reader(options.reader));
    const Secret pin = read_pin(options.pin, card.label());
    const card::Attestation answer =
        card.attest(pin, options.context, challenge, options.pin.last_try);
    // The evidence is kept whatever the check says: a witness may re-run it.
    if (!options.message_out.empty()) {
        write_new_file(options.message_out, bytes_of(answer.message), 0644);
        write_new_file(options.signature_out, answer.signature, 0644);
    }
    const bool valid = card::attestation_valid(expected, answer.message, answer.signature);
    if (options.json) {
        print_out(json_text({{"card", answer.serial},
                             {"holder", answer.card},
                             {"verified", valid},
                             {"public_key_sha256", expected.sha256_hex()},
                             {"card_public_key_sha256",
                              answer.card_key ? answer.card_key->sha256_hex() : std::string()},
                             {"challenge", to_hex(challenge)},
                             {"context", options.context},
                             {"message_file", options.message_out},
                             {"signature_file", options.signature_out}}));
    }
    card::check_attestation(expected, answer);
    if (options.json) {
        return;
    }
    std::string text = fmt::format(
        "attestation VERIFIED: {} signed challenge {} with the key of {} (SHA-256 {})\n",
        answer.card, to_hex(challenge), options.public_key, expected.sha256_hex());
    if (!options.message_out.empty()) {
        text += fmt::format("check it yourself: openssl dgst -sha256 -verify {} -signature {} {}\n",
                            options.public_key, options.signature_out, options.message_out);
    }
    print_out(text);
}

void add_reader(CLI::App& cmd, KeyCommand& options) {
    cmd.add_option("--reader", options.reader, "Reader: the exact name or a unique part of it")
        ->required();
}

}  // namespace

void register_card_keys(CLI::App& group) {
    auto keygen = std::make_shared<KeyCommand>();
    auto* keygen_cmd = group.add_subcommand(
        "keygen",
        "Generate the card's authentication key on the card (admin PIN) and write its public key");
    add_reader(*keygen_cmd, *keygen);
    auto* admin_file = keygen_cmd->add_option(
        "--admin-pin-file", keygen->admin_pin_file,
        "Admin PIN (PW3): the first line of FILE (never on the command line)");
    auto* admin_fd =
        keygen_cmd->add_option("--admin-pin-fd", keygen->admin_pin_fd,
                               "Admin PIN (PW3): the first line read from inherited descriptor N");
    admin_file->excludes(admin_fd);
    keygen_cmd->add_flag("--last-try", keygen->pin.last_try,
                         "Allow VERIFY even when only one admin PIN try is left");
    keygen_cmd->add_flag("--overwrite-key", keygen->overwrite_key,
                         "Replace an authentication key the card already holds (it is lost)");
    keygen_cmd
        ->add_option("--public-key-out", keygen->out,
                     "New file for the public key (PEM), or '-' for stdout")
        ->required();
    keygen_cmd->add_flag("--json", keygen->json, "Print the summary as JSON (on stderr)");
    keygen_cmd->callback([keygen] { run_keygen(*keygen); });

    auto show = std::make_shared<KeyCommand>();
    auto* show_cmd = group.add_subcommand(
        "public-key", "Write the public authentication key the card reports (no PIN)");
    add_reader(*show_cmd, *show);
    show_cmd->add_option("--out", show->out, "New file (PEM), or '-' for stdout")->required();
    show_cmd->callback([show] { run_public_key(*show); });

    auto attest = std::make_shared<KeyCommand>();
    auto* attest_cmd = group.add_subcommand(
        "attest",
        "The card signs a fresh challenge with its authentication key (user PIN); smk checks "
        "the answer against the public key recorded at issuance (exit 5 if it does not verify)");
    add_reader(*attest_cmd, *attest);
    add_pin_options(*attest_cmd, attest->pin);
    attest_cmd
        ->add_option("--public-key", attest->public_key,
                     "The card's public key as recorded at issuance (PEM or DER)")
        ->required();
    attest_cmd->add_option("--context", attest->context,
                           "A line the verifier names (plan, issuance, date); it is signed too");
    attest_cmd->add_option("--challenge", attest->challenge,
                           "A challenge of the verifier's: 64 hex digits (default: 32 fresh "
                           "random bytes)");
    attest_cmd->add_option("--message-out", attest->message_out,
                           "New file: the exact bytes signed (with --signature-out)");
    attest_cmd->add_option("--signature-out", attest->signature_out,
                           "New file: the card's signature (RSASSA-PKCS1-v1_5, SHA-256)");
    attest_cmd->add_flag("--json", attest->json, "Print JSON");
    attest_cmd->callback([attest] { run_attest(*attest); });
}

}  // namespace smk::cli
