// smk ceremony inventory: the annual proof of possession (KMP 3.9). Each planned
// card is brought to the table: its serial is the planned one, the bag serial is
// typed as read and compared, the card signs a fresh challenge with the
// authentication key it generated at issuance (verified against the public key
// the issued plan records: the card proves itself without its share leaving it),
// and the share on the card is exactly the share issued to it (its commitment in
// the issued plan), not merely a valid share of the same set (skipped with
// --attest-only). Every card is looked at; the findings are listed at the end.

#include <fmt/core.h>

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "flow_setup.hpp"
#include "holder_pins.hpp"
#include "share_commitment.hpp"
#include "smk/card.hpp"
#include "smk/ceremony/flows.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/sha256.hpp"
#include "smk/slip39.hpp"
#include "smk/text_compare.hpp"

namespace smk::ceremony {
namespace {

// What is wrong with the share the card holds; "" when it is exactly the issued one.
std::string share_finding(const Plan& plan, const CardSpec& c, card::ShareStore& store,
                          std::string& identity) {
    auto stored = store.read_share();
    if (stored.state == card::StoredState::empty) {
        identity = "empty";
        return "holds no share";
    }
    if (!stored.record) {
        identity = "not a share record";
        return "holds " + std::to_string(stored.bytes) + " bytes that are not a share record (" +
               stored.problem + ")";
    }
    const auto& info = stored.record->info;
    identity = fmt::format("share set {}, set {} #{}", info.identifier,
                           slip39::set_letter(info.group_index), info.member_index + 1);
    if (info.identifier != *plan.identifier || info.group_index != c.set ||
        info.member_index + 1 != c.index) {
        return fmt::format("holds {} where the plan issued share set {}, set {} #{}", identity,
                           *plan.identifier, slip39::set_letter(c.set), c.index);
    }
    if (share_commitment(stored.record->mnemonic.bytes()) != c.share_sha256) {
        return fmt::format(
            "holds a share of set {} #{} that is not the one issued to it (its "
            "commitment differs from the plan's): the card's share was replaced",
            slip39::set_letter(c.set), c.index);
    }
    return {};
}

// What the result line says of a card without a finding.
std::string ok_text(const CardSpec& c, const CeremonyOptions& options) {
    if (c.auth_key_pem.empty()) {
        return "issued share: OK";
    }
    return options.attest_only ? "attested: OK" : "attested, issued share: OK";
}

// The card's answer to a fresh challenge, checked against the key the plan
// records for it; recorded in the transcript whole (message, signature in
// base64, the key's SHA-256), so anyone can check it again with openssl
// (docs/CEREMONY.md "Attestation"). "" when it verifies, else the finding.
std::string attestation_finding(const Plan& plan, const Holder& h, const CardSpec& c,
                                card::ShareStore& store, Journal& journal) {
    const card::PublicKey expected = card::parse_public_key(
        {reinterpret_cast<const std::uint8_t*>(c.auth_key_pem.data()), c.auth_key_pem.size()},
        plan.file.string());
    const card::Challenge challenge = card::fresh_challenge();
    const card::Attestation answer =
        store.attest(fmt::format("inventory of share set {}", *plan.identifier), challenge);
    std::string finding;
    try {
        card::check_attestation(expected, answer);
    } catch (const Error& e) {
        if (e.category() != ErrorCategory::verification) {
            throw;
        }
        finding = e.what();
    }
    journal.record("card-attested", {{"holder", std::to_string(h.number)}, {"card", c.serial}},
                   {{"attestation", finding.empty() ? "verified" : "FAILED"},
                    {"message", answer.message},
                    {"signature_base64", to_base64(answer.signature)}},
                   {{"public_key", c.auth_key_sha256}});
    return finding;
}

}  // namespace

void inventory(const CeremonyOptions& options, Output& output) {
    const Plan plan = load_plan(options.plan);
    require_issued(plan);
    check_card_pin_files(plan, false);
    for (const auto& h : plan.holders) {
        for (const auto& c : h.cards) {
            if (options.attest_only && c.auth_key_sha256.empty()) {
                throw Error(ErrorCategory::usage,
                            fmt::format("plan {} records no authentication key for holder {} set "
                                        "{} (issued without [cards] attest): --attest-only cannot "
                                        "check that card. Run the inventory without it (the "
                                        "share is read and compared)",
                                        plan.file.string(), h.number, slip39::set_letter(c.set)));
            }
            if (c.share_sha256.empty() && !options.attest_only) {
                throw Error(ErrorCategory::usage,
                            fmt::format("plan {} records no share commitment for holder {} set "
                                        "{} (issued before smk recorded them): an inventory "
                                        "cannot tell that card's share from another of its set. "
                                        "A new share set (reissue --new-split) records them",
                                        plan.file.string(), h.number, slip39::set_letter(c.set)));
            }
        }
    }
    if (options.holder > plan.holders.size()) {
        throw Error(ErrorCategory::usage,
                    fmt::format("plan {} has no holder {}", plan.file.string(), options.holder));
    }
    Journal journal = open_journal(plan, options, "inventory", output);
    journal.record("start", {{"plan", plan.file.string()}},
                   {{"identifier", std::to_string(*plan.identifier)},
                    {"holder", options.holder == 0 ? "all" : std::to_string(options.holder)},
                    {"dry_run", options.dry_run ? "yes" : "no"}},
                   {{"plan", sha256_hex(plan.text)}});
    record_participants(plan, options.confirm_participants, journal);
    HolderPins pins(plan, options, journal);
    CardSession session(card_session_options(options, pins, journal));
    if (options.dry_run) {
        journal.result(fmt::format("dry run: plan OK, {} card(s) to bring; no card was read",
                                   options.holder == 0 ? plan.holders.size() * 2 : 2));
        return;
    }
    std::vector<std::string> findings;
    unsigned checked = 0;
    for (const auto& h : plan.holders) {
        if (options.holder != 0 && h.number != options.holder) {
            continue;
        }
        for (const auto& c : h.cards) {
            const CardRequest request = request_for(h, c);
            std::string bag_result = "not checked (batch: no one at the terminal)";
            std::string typed_bag;
            if (session.interactive() && options.read_bag) {
                typed_bag = options.read_bag(fmt::format(
                    "holder {} ({}), set {} card: type the serial on its bag as you read it: ",
                    h.number, h.name, slip39::set_letter(c.set)));
                bag_result = same_typed_serial(typed_bag, c.bag) ? "match" : "DIFFERS";
            }
            std::string identity = "not read (--attest-only)";
            std::string finding;
            try {
                HeldCard card = session.acquire(request);
                if (!c.auth_key_pem.empty()) {
                    finding = attestation_finding(plan, h, c, card.store, journal);
                }
                if (!options.attest_only) {
                    const std::string share = share_finding(plan, c, card.store, identity);
                    finding += (finding.empty() || share.empty() ? "" : "; ") + share;
                }
                session.release(std::move(card));
            } catch (const Error& e) {
                if (e.category() == ErrorCategory::interrupted) {
                    throw;
                }
                identity = "not read";
                finding = e.what();
                if (!session.last_reader().empty()) {
                    session.release_reader(session.last_reader(), "not inventoried");
                }
            }
            if (bag_result == "DIFFERS") {
                findings.push_back(
                    fmt::format("holder {} set {}: bag typed \"{}\", the plan says "
                                "{}",
                                h.number, slip39::set_letter(c.set), typed_bag, c.bag));
            }
            if (!finding.empty()) {
                findings.push_back(fmt::format("holder {} set {} card {}: {}", h.number,
                                               slip39::set_letter(c.set), c.serial, finding));
            }
            journal.record("card-inventoried",
                           {{"holder", std::to_string(h.number)},
                            {"card", c.serial},
                            {"bag", c.bag},
                            {"bag_typed", typed_bag}},
                           {{"share", identity},
                            {"issued_share", options.attest_only ? "not read"
                                             : finding.empty()   ? "yes"
                                                                 : "NO"},
                            {"attested", c.auth_key_pem.empty() ? "no key in the plan"
                                         : finding.empty()      ? "yes"
                                                                : "NO"},
                            {"bag", bag_result}},
                           {{"share_commitment", c.share_sha256}});
            journal.result(fmt::format("  holder {} {:<16} set {} card {}  bag {} ({})  {}",
                                       h.number, h.name, slip39::set_letter(c.set), c.serial, c.bag,
                                       bag_result,
                                       finding.empty() ? ok_text(c, options) : "FINDING"));
            ++checked;
        }
    }
    if (!findings.empty()) {
        std::string list;
        for (const auto& f : findings) {
            list += "\n  " + f;
        }
        journal.record("findings", {}, {{"count", std::to_string(findings.size())}});
        journal.print_paper_value();
        throw Error(ErrorCategory::verification,
                    fmt::format("inventory of share set {}: {} finding(s) in {} card(s):{}\nRecord "
                                "the Ceremony Administrator's decision with 'smk transcript "
                                "exception'; a card that does not hold its issued share must be "
                                "treated as lost (reissue)",
                                *plan.identifier, findings.size(), checked, list));
    }
    journal.result(fmt::format("inventory of share set {} (KCV {}): {} card(s) present, each {}",
                               *plan.identifier, *plan.kcv, checked,
                               options.attest_only
                                   ? "proving itself with the key issued to it (shares not read)"
                                   : "holding exactly the share issued to it"));
    journal.finish({{"cards", std::to_string(checked)}});
}

}  // namespace smk::ceremony
