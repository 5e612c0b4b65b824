// smk card list: the readers and their cards, or with --pkcs11-module the tokens
// of that module; with a PIN, the public fields of the share on the one card
// (--reader) or token (--token) named (never the words).
// Problems with one card or token are recorded in its entry, never thrown.

#include <fmt/core.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "card.hpp"
#include "io.hpp"
#include "pin.hpp"
#include "smk/card.hpp"
#include "smk/error.hpp"
#include "smk/pkcs11.hpp"
#include "smk/share_report.hpp"

namespace smk::cli {
namespace {

// The share part of one `card list` entry, for a card or a token alike (public
// fields only: the header, never the words). `empty_text` says what empty means there.
void describe_stored(const card::StoredShare& stored, std::string_view empty_text,
                     nlohmann::json& entry, std::string& text) {
    entry["share"] = nlohmann::json::parse(card::stored_share_json(stored));
    text += card::stored_share_text(stored, empty_text);
}

// One reader for `card list`: never throws for a card problem, records it. The
// PIN (only ever for the reader the user named) is tried before the tries are
// read, so the counters shown are those after the attempt.
nlohmann::json list_one(const card::ReaderInfo& reader, const CardCommand& options,
                        std::string& text, std::optional<Error>& pin_failure) {
    nlohmann::json entry = {{"reader", reader.name}, {"card_present", reader.card_present}};
    text += fmt::format("reader \"{}\": ", reader.name);
    if (!reader.card_present) {
        text += "no card\n";
        return entry;
    }
    try {
        card::ShareStore store(reader.name);
        entry["card"] = store.serial();
        entry["private_do_bytes"] = store.capacity();
        std::string share_text;
        std::optional<Error> share_error;
        if (store.capacity() == 0) {
            entry["share"] = {{"state", "unsupported"}, {"note", "no private DOs"}};
            share_text = "share: none possible (no private DOs; use a PKCS#11 token)";
        } else if (!pin_given(options.pin)) {
            entry["share"] = {{"state", "unknown"}, {"note", "PIN needed to read"}};
            share_text = "share: PIN needed to read";
        } else {
            try {
                const Secret pin = read_pin(options.pin, store.label());
                store.verify_pin(pin, options.pin.last_try);
                std::string described;
                describe_stored(store.read_share(), "DO 0103 is empty", entry, described);
                share_text = described.substr(0, described.find_last_not_of('\n') + 1);
            } catch (const Error& error) {
                share_error = error;
            }
        }
        const auto tries = store.tries();
        entry["pin_tries"] = {
            {"user", tries.user}, {"reset_code", tries.reset_code}, {"admin", tries.admin}};
        text += fmt::format("card {}, user PIN tries left {}, admin PIN tries left {}, ",
                            store.serial(), tries.user, tries.admin);
        if (share_error) {
            pin_failure = share_error;
            entry["error"] = share_error->what();
            text += fmt::format("share not read:\n  {}\n", share_error->what());
        } else {
            text += share_text + "\n";
        }
    } catch (const Error& error) {
        entry["error"] = error.what();
        text += fmt::format("{}\n", error.what());
    }
    return entry;
}

// After the listing is printed: the named card's or token's share could not be
// read with the PIN given (wrong PIN, locked, unreadable), so the exit code says
// so too (a script must not take a listing with a wrong PIN for success).
void exit_with(const std::optional<Error>& pin_failure) {
    if (pin_failure) {
        throw *pin_failure;
    }
}

// One token for `card list --pkcs11-module`: records problems, never throws for them.
nlohmann::json list_token(const pkcs11::Module& module, const pkcs11::TokenInfo& token,
                          const CardCommand& options, std::string& text,
                          std::optional<Error>& pin_failure) {
    nlohmann::json entry = {{"token", token.label},
                            {"serial", token.serial},
                            {"manufacturer", token.manufacturer},
                            {"model", token.model},
                            {"initialized", token.initialized},
                            {"user_pin_locked", token.user_pin_locked},
                            {"user_pin_final_try", token.user_pin_final_try},
                            {"user_pin_count_low", token.user_pin_count_low}};
    if (!token.initialized) {
        text += fmt::format("uninitialised token in slot {}, {} {}\n", token.slot_id,
                            token.manufacturer, token.model);
        return entry;
    }
    text += fmt::format("token \"{}\" (serial {}), {} {}: ", token.label, token.serial,
                        token.manufacturer, token.model);
    if (token.user_pin_locked) {
        text += "user PIN LOCKED\n";
        entry["share"] = {{"state", "unknown"}, {"note", "user PIN locked"}};
        return entry;
    }
    if (!pin_given(options.pin)) {
        entry["share"] = {{"state", "unknown"}, {"note", "PIN needed to read"}};
        text += "share: PIN needed to read\n";
        return entry;
    }
    try {
        pkcs11::Session session(module, token.label);
        session.refuse_final_try(options.pin.last_try);
        session.login(read_pin(options.pin, session.name()));
        describe_stored(pkcs11::TokenShareStore(session).read_share(), "no smk data object", entry,
                        text);
    } catch (const Error& error) {
        pin_failure = error;
        entry["error"] = error.what();
        text += fmt::format("{}\n", error.what());
    }
    return entry;
}

void run_list_tokens(const CardCommand& options) {
    const pkcs11::Module module(options.pkcs11_module);
    nlohmann::json entries = nlohmann::json::array();
    std::string text;
    std::optional<Error> pin_failure;
    for (const auto& token : module.tokens()) {
        if (!options.token.empty() && token.label != options.token) {
            continue;
        }
        entries.push_back(list_token(module, token, options, text, pin_failure));
    }
    if (entries.empty()) {
        throw Error(ErrorCategory::device,
                    options.token.empty()
                        ? fmt::format("PKCS#11 module \"{}\" offers no token", module.path())
                        : fmt::format("no token labelled \"{}\" in PKCS#11 module \"{}\"",
                                      options.token, module.path()));
    }
    print_out(options.json ? entries.dump(2) + "\n" : text);
    exit_with(pin_failure);
}

}  // namespace

void run_card_list(const CardCommand& options) {
    if (!options.token.empty() && options.pkcs11_module.empty()) {
        throw Error(ErrorCategory::usage, "--token needs --pkcs11-module (the token's module)");
    }
    if (!options.reader.empty() && !options.pkcs11_module.empty()) {
        throw Error(ErrorCategory::usage,
                    "--reader names a card, --pkcs11-module lists tokens: give one of them");
    }
    // A PIN try is spent on every card or token it is sent to: listing sends it
    // only to the one the user named, never to whatever happens to be present.
    if (pin_given(options.pin) && options.pkcs11_module.empty() && options.reader.empty()) {
        throw Error(ErrorCategory::usage,
                    "a PIN goes only to the card you name: add --reader NAME (as 'smk card "
                    "list' shows it without a PIN); nothing was sent to any card");
    }
    if (pin_given(options.pin) && !options.pkcs11_module.empty() && options.token.empty()) {
        throw Error(ErrorCategory::usage,
                    "a PIN goes only to the token you name: add --token LABEL; nothing was "
                    "sent to any token");
    }
    if (!options.pkcs11_module.empty()) {
        run_list_tokens(options);
        return;
    }
    auto readers = card::list_readers();
    if (readers.empty()) {
        throw Error(ErrorCategory::device,
                    "no smartcard reader found; connect a reader and try again");
    }
    if (!options.reader.empty()) {
        const std::string named = card::find_reader(options.reader);
        std::erase_if(readers, [&](const card::ReaderInfo& r) { return r.name != named; });
    }
    nlohmann::json entries = nlohmann::json::array();
    std::string text;
    std::optional<Error> pin_failure;
    for (const auto& reader : readers) {
        entries.push_back(list_one(reader, options, text, pin_failure));
    }
    print_out(options.json ? entries.dump(2) + "\n" : text);
    exit_with(pin_failure);
    exit_with(pin_failure);
}

}  // namespace smk::cli
