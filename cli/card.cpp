// smk card list | write | read | verify | wipe: one SLIP-39 share per OpenPGP card
// (--reader), or per PKCS#11 token (--pkcs11-module SO --token LABEL); keygen,
// public-key and attest are in cli/card_attest.cpp, change-pin in cli/card_pin.cpp.
// Thin callbacks over one smk::ShareStore (smk/share_store.hpp): open_store picks
// the card or the token once; write, read, verify and wipe only use the interface.
// What is shown of a share comes from smk/share_report.hpp.
// The PIN comes from a file, an inherited fd or a no-echo prompt on /dev/tty,
// never from argv, and lives in a Secret.

#include "card.hpp"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "context.hpp"
#include "io.hpp"
#include "pin.hpp"
#include "smk/card.hpp"
#include "smk/error.hpp"
#include "smk/interrupt.hpp"
#include "smk/pkcs11.hpp"
#include "smk/share_record.hpp"
#include "smk/share_report.hpp"
#include "smk/share_store.hpp"

namespace smk::cli {

namespace {

void add_reader_option(CLI::App& cmd, CardCommand& options) {
    auto* reader =
        cmd.add_option("--reader", options.reader, "Reader: the exact name or a unique part of it");
    auto* module = cmd.add_option("--pkcs11-module", options.pkcs11_module,
                                  "A PKCS#11 module (.so) instead of a reader; with --token");
    auto* token = cmd.add_option("--token", options.token,
                                 "The label of the PKCS#11 token (exactly), with --pkcs11-module");
    reader->excludes(module)->excludes(token);
}

bool on_token(const CardCommand& options) {
    return !options.pkcs11_module.empty();
}

// Exactly one place: a reader, or a module and a token label.
void check_place(const CardCommand& options) {
    if (!options.token.empty() && options.pkcs11_module.empty()) {
        throw Error(ErrorCategory::usage, "--token needs --pkcs11-module (the token's module)");
    }
    if (on_token(options) && options.token.empty()) {
        throw Error(ErrorCategory::usage,
                    "--pkcs11-module needs --token LABEL (the label of the token to use)");
    }
    if (!on_token(options) && options.reader.empty()) {
        throw Error(ErrorCategory::usage,
                    "say where the share is: --reader NAME for an OpenPGP card, or "
                    "--pkcs11-module SO --token LABEL for a PKCS#11 token");
    }
}

// The store the options name (check_place first): the card in --reader, or the
// token --token of --pkcs11-module. The only place that chooses between them.
std::unique_ptr<ShareStore> open_store(const CardCommand& options) {
    if (on_token(options)) {
        return std::make_unique<pkcs11::TokenStore>(options.pkcs11_module, options.token);
    }
    return std::make_unique<card::ShareStore>(card::find_reader(options.reader));
}

// The options that name the same store again, for the command the operator is told.
std::string place_args(const CardCommand& options) {
    return on_token(options)
               ? fmt::format("--pkcs11-module {} --token {}", options.pkcs11_module, options.token)
               : fmt::format("--reader \"{}\"", options.reader);
}

// Checks the PIN once (refusing a last try unless --last-try).
void unlock(ShareStore& store, const CardCommand& options) {
    store.refuse_last_try(options.pin.last_try);
    const Secret pin = read_pin(options.pin, store.name());
    store.unlock(pin, options.pin.last_try);
}

// Opens the store and checks the PIN once.
std::unique_ptr<ShareStore> open_unlocked(const CardCommand& options) {
    auto store = open_store(options);
    unlock(*store, options);
    return store;
}

// A signal (Ctrl-C, SIGTERM, SIGHUP) during `card write` is noted, never acted
// on in the middle of an APDU or PKCS#11 call (smk/interrupt.hpp): before the
// write smk stops with nothing written; once the write has begun it is finished
// and read back, and smk says what the card or token now holds. Exit code 130.
std::string not_written(const std::string& holder, std::string_view stage) {
    return fmt::format(
        "stopped {}: nothing was written to {}, which holds what it held "
        "before. Run the same command again to write the share",
        stage, holder);
}

std::string written_anyway(const std::string& holder, std::string_view kind,
                           const std::string& share, const std::string& check) {
    return fmt::format(
        "the write of {} to {} had already begun, so smk finished it and read "
        "it back: OK; the {} holds the new share. Check it with '{}'",
        share, holder, kind, check);
}

void run_write(const CardCommand& options) {
    check_place(options);
    // Everything about the share is checked before the card is touched.
    const auto shares = read_mnemonics({options.share_file});
    if (shares.size() != 1) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("{} holds {} mnemonics; a card holds exactly one share",
                                input_name(options.share_file), shares.size()));
    }
    const Secret record = card::encode_share_record(shares[0].mnemonic.text(), shares[0].source);
    const auto decoded = card::decode_share_record(record.bytes(), shares[0].source);
    const std::string share = card::share_text(decoded.info);
    const InterruptScope interruptible;
    const auto store = open_store(options);
    store->require_capacity(record.size());
    const std::string check = fmt::format("smk card verify {}", place_args(options));
    store->refuse_last_try(options.pin.last_try);
    const Secret pin = read_pin(options.pin, store->name());
    // The PIN is not tried when the operator has already asked smk to stop.
    throw_if_interrupted(not_written(store->name(), "before the PIN was tried"));
    store->unlock(pin, options.pin.last_try);
    throw_if_interrupted(not_written(store->name(), "before the write"));
    store->write_record(record.bytes(), options.overwrite);
    print_out(fmt::format("wrote {} to {} and read it back: OK\n", share, store->name()));
    throw_if_interrupted(written_anyway(store->name(), store->kind(), share, check));
}

// What a card or token holds, read after the PIN is checked.
struct ReadShare {
    std::string holder;  // "card ... in \"reader\"" or "token \"L\" (serial S)"
    std::vector<std::pair<std::string, std::string>> ids;  // card, reader or token, serial
    std::string empty_what;  // what an empty store holds: "DO 0103 is empty", ...
    card::StoredShare stored;
};

ReadShare read_share(const CardCommand& options) {
    const auto store = open_unlocked(options);
    ReadShare result;
    result.holder = store->name();
    result.ids = store->ids();
    result.empty_what = store->empty_text();
    result.stored = store->read_share();
    return result;
}

void run_read(const CardCommand& options) {
    check_place(options);
    if (options.out != "-") {
        refuse_existing(options.out);
    }
    const ReadShare read = read_share(options);
    const auto& stored = read.stored;
    if (stored.state == card::StoredState::empty) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} holds no share ({})", read.holder, read.empty_what));
    }
    if (!stored.record) {
        throw Error(ErrorCategory::verification, stored.problem);
    }
    const auto newline =
        std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>("\n"), 1);
    if (options.out == "-") {
        write_all(1, stored.record->mnemonic.bytes());
        write_all(1, newline);
        return;
    }
    write_new_secret_file(options.out, {stored.record->mnemonic.bytes(), newline});
    print_err(fmt::format("smk: wrote {} from {} to {} (mode 0600)\n",
                          card::share_text(stored.record->info), read.holder, options.out));
}

void run_verify(const CardCommand& options) {
    if (!options.expect_set.empty() &&
        (options.expect_set.size() != 1 || options.expect_set[0] < 'A' ||
         options.expect_set[0] > 'P')) {
        throw Error(ErrorCategory::usage, "--expect-set takes a set letter, A to P");
    }
    check_place(options);
    const ReadShare read = read_share(options);
    const auto report =
        card::verify_report(read.holder, read.ids, read.empty_what, read.stored,
                            {options.expect_identifier, options.expect_set, options.expect_index});
    print_out(options.json ? report.json : report.text);
    if (!report.failure.empty()) {
        throw Error(ErrorCategory::verification, report.failure);
    }
}

void run_wipe(const CardCommand& options) {
    check_place(options);
    // The card or token is found (and its label checked) before anyone is asked.
    const auto store = open_store(options);
    if (!options.yes) {
        Tty tty("confirming the wipe (or give --yes)");
        const Secret answer = tty.read_line(
            fmt::format("Erase the share on {}? Type 'wipe' to confirm: ", store->name()), true);
        if (answer.text() != "wipe") {
            throw Error(ErrorCategory::refused,
                        fmt::format("not confirmed; nothing was changed on {}", store->name()));
        }
    }
    unlock(*store, options);
    store->wipe();
    print_out(store->wiped_text() + "\n");
}

}  // namespace

void register_card(CLI::App& app, Context& /*ctx*/) {
    auto* group = app.add_subcommand(
        "card",
        "Shares on OpenPGP smartcards (private DO 0103) or PKCS#11 tokens (data object); "
        "a card's PINs (change-pin) and its attestation key (keygen, public-key, attest)");
    group->require_subcommand(1);

    auto list = std::make_shared<CardCommand>();
    auto* list_cmd = group->add_subcommand(
        "list",
        "Readers, cards, PIN tries; with a PIN, the public fields of the named card's share");
    list_cmd->add_option("--reader", list->reader,
                         "Only this reader (needed with a PIN: it goes to that card only)");
    add_pin_options(*list_cmd, list->pin);
    list_cmd->add_option("--pkcs11-module", list->pkcs11_module,
                         "List the tokens of this PKCS#11 module instead of the readers");
    list_cmd->add_option("--token", list->token,
                         "Only the token with this label (needed with a PIN)");
    list_cmd->add_flag("--json", list->json, "Print JSON");
    list_cmd->callback([list] { run_card_list(*list); });

    auto write = std::make_shared<CardCommand>();
    auto* write_cmd = group->add_subcommand("write", "Write one share (a mnemonic file) to a card");
    add_reader_option(*write_cmd, *write);
    add_pin_options(*write_cmd, write->pin);
    write_cmd->add_flag("--overwrite", write->overwrite, "Replace data already on the card");
    write_cmd->add_option("SHAREFILE", write->share_file, "File holding one mnemonic ('-': stdin)");
    write_cmd->callback([write] { run_write(*write); });

    auto read = std::make_shared<CardCommand>();
    auto* read_cmd = group->add_subcommand("read", "Read the share (mnemonic) from a card");
    add_reader_option(*read_cmd, *read);
    add_pin_options(*read_cmd, read->pin);
    read_cmd->add_option("--out", read->out, "New file (mode 0600), or '-' for stdout")->required();
    read_cmd->callback([read] { run_read(*read); });

    auto verify = std::make_shared<CardCommand>();
    auto* verify_cmd = group->add_subcommand(
        "verify", "Check the share on a card (record check, SLIP-39 checksum); prints no secret");
    add_reader_option(*verify_cmd, *verify);
    add_pin_options(*verify_cmd, verify->pin);
    verify_cmd->add_option("--expect-identifier", verify->expect_identifier, "Expected identifier");
    verify_cmd->add_option("--expect-set", verify->expect_set, "Expected set letter (A, B, ...)");
    verify_cmd->add_option("--expect-index", verify->expect_index,
                           "Expected share index (1-based)");
    verify_cmd->add_flag("--json", verify->json, "Print JSON");
    verify_cmd->callback([verify] { run_verify(*verify); });

    auto wipe = std::make_shared<CardCommand>();
    auto* wipe_cmd = group->add_subcommand("wipe", "Erase the share on a card");
    add_reader_option(*wipe_cmd, *wipe);
    add_pin_options(*wipe_cmd, wipe->pin);
    wipe_cmd->add_flag("--yes", wipe->yes, "Do not ask for confirmation");
    wipe_cmd->callback([wipe] { run_wipe(*wipe); });

    register_card_keys(*group);
    register_card_pin(*group);
}

}  // namespace smk::cli
