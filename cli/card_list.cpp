// smk card list: the readers and their cards, or with --pkcs11-module the tokens
// of that module; with a PIN, the public fields of each share (never the words).
// Problems with one card or token are recorded in its entry, never thrown.

#include <fmt/core.h>

#include <nlohmann/json.hpp>
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

// One reader for `card list`: never throws for a card problem, records it.
nlohmann::json list_one(const card::ReaderInfo& reader, const CardCommand& options,
                        std::string& text) {
    nlohmann::json entry = {{"reader", reader.name}, {"card_present", reader.card_present}};
    text += fmt::format("reader \"{}\": ", reader.name);
    if (!reader.card_present) {
        text += "no card\n";
        return entry;
    }
    try {
        card::ShareStore store(reader.name);
        const auto tries = store.tries();
        entry["card"] = store.serial();
        entry["pin_tries"] = {
            {"user", tries.user}, {"reset_code", tries.reset_code}, {"admin", tries.admin}};
        entry["private_do_bytes"] = store.capacity();
        text += fmt::format("card {}, user PIN tries left {}, admin PIN tries left {}, ",
                            store.serial(), tries.user, tries.admin);
        if (store.capacity() == 0) {
            entry["share"] = {{"state", "unsupported"}, {"note", "no private DOs"}};
            text += "share: none possible (no private DOs; use a PKCS#11 token)\n";
            return entry;
        }
        if (!pin_given(options.pin)) {
            entry["share"] = {{"state", "unknown"}, {"note", "PIN needed to read"}};
            text += "share: PIN needed to read\n";
            return entry;
        }
        const Secret pin = read_pin(options.pin, store.label());
        store.verify_pin(pin, options.pin.last_try);
        describe_stored(store.read_share(), "DO 0103 is empty", entry, text);
    } catch (const Error& error) {
        entry["error"] = error.what();
        text += fmt::format("{}\n", error.what());
    }
    return entry;
}

// One token for `card list --pkcs11-module`: records problems, never throws for them.
nlohmann::json list_token(const pkcs11::Module& module, const pkcs11::TokenInfo& token,
                          const CardCommand& options, std::string& text) {
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
        entry["error"] = error.what();
        text += fmt::format("{}\n", error.what());
    }
    return entry;
}

void run_list_tokens(const CardCommand& options) {
    const pkcs11::Module module(options.pkcs11_module);
    nlohmann::json entries = nlohmann::json::array();
    std::string text;
    for (const auto& token : module.tokens()) {
        if (!options.token.empty() && token.label != options.token) {
            continue;
        }
        entries.push_back(list_token(module, token, options, text));
    }
    if (entries.empty()) {
        throw Error(ErrorCategory::device,
                    options.token.empty()
                        ? fmt::format("PKCS#11 module \"{}\" offers no token", module.path())
                        : fmt::format("no token labelled \"{}\" in PKCS#11 module \"{}\"",
                                      options.token, module.path()));
    }
    print_out(options.json ? entries.dump(2) + "\n" : text);
}

}  // namespace

void run_card_list(const CardCommand& options) {
    if (!options.token.empty() && options.pkcs11_module.empty()) {
        throw Error(ErrorCategory::usage, "--token needs --pkcs11-module (the token's module)");
    }
    if (!options.pkcs11_module.empty()) {
        run_list_tokens(options);
        return;
    }
    const auto readers = card::list_readers();
    if (readers.empty()) {
        throw Error(ErrorCategory::device,
                    "no smartcard reader found; connect a reader and try again");
    }
    nlohmann::json entries = nlohmann::json::array();
    std::string text;
    for (const auto& reader : readers) {
        entries.push_back(list_one(reader, options, text));
    }
    print_out(options.json ? entries.dump(2) + "\n" : text);
}

}  // namespace smk::cli
