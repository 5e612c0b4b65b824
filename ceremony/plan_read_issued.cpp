// The ceremony plan's [issued] block, read: what an issue or reissue recorded
// (identifier, KCV, card changes, share commitments, card keys) and the holder
// events, each checked as it is read.

#include "plan_reader.hpp"
#include "smk/card.hpp"
#include "smk/hex.hpp"
#include "smk/kcv.hpp"
#include "smk/sha256.hpp"

namespace smk::ceremony::plan_detail {
namespace {

// [[issued.card_key]]: the authentication key each card generated at issuance
// (holder, set, the SHA-256 of its DER and the PEM), checked to be one RSA key
// whose digest is the one given.
void parse_card_keys(const Reader& r, const toml::table& issued, Plan& plan) {
    const toml::array* keys = r.array(issued, "issued", "card_key", false);
    if (keys == nullptr) {
        return;
    }
    for (std::size_t i = 0; i < keys->size(); ++i) {
        const std::string path = "issued.card_key[" + std::to_string(i) + "]";
        const toml::table& c = r.element(*keys, "issued.card_key", i);
        r.allow_only(c, path, "issued.card_key");
        const auto number = r.integer(c, path, "holder", true);
        if (*number < 1 || *number > static_cast<std::int64_t>(plan.holders.size())) {
            r.fail(path + ".holder", "no holder " + std::to_string(*number));
        }
        const unsigned set = parse_set(r, path + ".set", r.string(c, path, "set"));
        const std::string sha256 = lower(r.string(c, path, "sha256"));
        const std::string pem = r.string(c, path, "public_key");
        std::string problem;
        try {
            const card::PublicKey key = card::parse_public_key(
                {reinterpret_cast<const std::uint8_t*>(pem.data()), pem.size()}, path);
            if (key.sha256_hex() != sha256) {
                problem = "the public key's SHA-256 is " + key.sha256_hex() + ", not " + sha256;
            }
        } catch (const Error& e) {
            problem = std::string("public_key: ") + e.what();
        }
        if (!problem.empty()) {
            r.fail(path, problem);
        }
        bool found = false;
        for (CardSpec& card : plan.holders[static_cast<std::size_t>(*number - 1)].cards) {
            if (card.set == set) {
                if (!card.auth_key_sha256.empty()) {
                    r.fail(path, "a second key for this card");
                }
                card.auth_key_pem = pem;
                card.auth_key_sha256 = sha256;
                found = true;
            }
        }
        if (!found) {
            r.fail(path + ".set", "holder " + std::to_string(*number) + " has no card of set " +
                                      slip39::set_letter(set));
        }
    }
}

}  // namespace

void parse_issued(const Reader& r, const toml::table& root, Plan& plan) {
    const toml::node* node = root.get("issued");
    if (node == nullptr) {
        return;
    }
    if (!node->is_table()) {
        r.fail("issued", "must be a table");
    }
    const toml::table& t = *node->as_table();
    r.allow_only(t, "issued", "issued");
    const auto id = r.integer(t, "issued", "identifier", true);
    if (*id < 0 || *id > 0x7FFF) {
        r.fail("issued.identifier",
               "must be 0 to 32767 (a SLIP-39 identifier), not " + std::to_string(*id));
    }
    plan.identifier = static_cast<std::uint16_t>(*id);
    std::string kcv = lower(r.string(t, "issued", "kcv"));
    if (!try_parse_kcv(kcv)) {
        r.fail("issued.kcv", "must be 6 hex digits, not \"" + kcv + "\"");
    }
    plan.kcv = kcv;
    if (const toml::array* cards = r.array(t, "issued", "card", false)) {
        for (std::size_t i = 0; i < cards->size(); ++i) {
            const std::string path = "issued.card[" + std::to_string(i) + "]";
            const toml::table& c = r.element(*cards, "issued.card", i);
            r.allow_only(c, path, "issued.card");
            const auto number = r.integer(c, path, "holder", true);
            if (*number < 1 || *number > static_cast<std::int64_t>(plan.holders.size())) {
                r.fail(path + ".holder", "no holder " + std::to_string(*number));
            }
            const unsigned set = parse_set(r, path + ".set", r.string(c, path, "set"));
            Holder& holder = plan.holders[static_cast<std::size_t>(*number - 1)];
            for (CardSpec& card : holder.cards) {
                if (card.set == set) {
                    card.serial = upper(r.string(c, path, "serial"));
                    if (!is_card_serial(card.serial)) {
                        r.fail(path + ".serial", "\"" + card.serial + "\" is not a card serial");
                    }
                    card.bag = r.string(c, path, "bag");
                }
            }
        }
    }
    if (const toml::array* shares = r.array(t, "issued", "share", false)) {
        for (std::size_t i = 0; i < shares->size(); ++i) {
            const std::string path = "issued.share[" + std::to_string(i) + "]";
            const toml::table& c = r.element(*shares, "issued.share", i);
            r.allow_only(c, path, "issued.share");
            const auto number = r.integer(c, path, "holder", true);
            if (*number < 1 || *number > static_cast<std::int64_t>(plan.holders.size())) {
                r.fail(path + ".holder", "no holder " + std::to_string(*number));
            }
            const unsigned set = parse_set(r, path + ".set", r.string(c, path, "set"));
            const std::string sha256 = lower(r.string(c, path, "sha256"));
            Sha256 parsed{};
            if (sha256.size() != 64 || !decode_public_hex(sha256, parsed)) {
                r.fail(path + ".sha256", "must be 64 hex digits, not \"" + sha256 + "\"");
            }
            bool found = false;
            for (CardSpec& card : plan.holders[static_cast<std::size_t>(*number - 1)].cards) {
                if (card.set == set) {
                    if (!card.share_sha256.empty()) {
                        r.fail(path, "a second commitment for this card");
                    }
                    card.share_sha256 = sha256;
                    found = true;
                }
            }
            if (!found) {
                r.fail(path + ".set", "holder " + std::to_string(*number) + " has no card of set " +
                                          slip39::set_letter(set));
            }
        }
    }
    parse_card_keys(r, t, plan);
}

// [[issued.event]]: holder custody events, applied in order (a replacement renames
// the holder).
void parse_events(const Reader& r, const toml::table& issued, Plan& plan) {
    const toml::array* events = r.array(issued, "issued", "event", false);
    if (events == nullptr) {
        return;
    }
    for (std::size_t i = 0; i < events->size(); ++i) {
        const std::string path = "issued.event[" + std::to_string(i) + "]";
        const toml::table& t = r.element(*events, "issued.event", i);
        r.allow_only(t, path, "issued.event");
        HolderEvent event;
        const auto number = r.integer(t, path, "holder", true);
        if (*number < 1 || *number > static_cast<std::int64_t>(plan.holders.size())) {
            r.fail(path + ".holder", "no holder " + std::to_string(*number));
        }
        event.holder = static_cast<unsigned>(*number);
        event.kind = r.string(t, path, "kind");
        if (std::find(std::begin(kHolderEventKinds), std::end(kHolderEventKinds), event.kind) ==
            std::end(kHolderEventKinds)) {
            r.fail(path + ".kind",
                   "must be \"replaced\", \"lost\" or \"unavailable\", not \"" + event.kind + "\"");
        }
        event.time = r.string(t, path, "time");
        event.by = r.string(t, path, "by");
        const auto id = r.integer(t, path, "identifier", true);
        if (*id < 0 || *id > 0x7FFF) {
            r.fail(path + ".identifier", "must be 0 to 32767, not " + std::to_string(*id));
        }
        event.identifier = static_cast<std::uint16_t>(*id);
        event.note = r.string(t, path, "note", false);
        event.name = r.string(t, path, "name", false);
        event.previous = r.string(t, path, "previous", false);
        if ((event.kind == "replaced") != !event.name.empty()) {
            r.fail(path + ".name", "a replacement names the new holder; other events do not");
        }
        if (event.kind == "replaced") {
            plan.holders[event.holder - 1].name = event.name;
        }
        plan.holder_events.push_back(std::move(event));
    }
}

}  // namespace smk::ceremony::plan_detail
