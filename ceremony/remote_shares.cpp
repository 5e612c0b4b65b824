// Remote holders in a restore: the facility key, the sealed shares (remote_shares.hpp).

#include "remote_shares.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "smk/atomic_file.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/pgp_words.hpp"
#include "smk/qr_code.hpp"
#include "smk/sha256.hpp"
#include "smk/slip39.hpp"
#include "smk/transport.hpp"

namespace smk::ceremony {
namespace {

constexpr std::size_t kMaxPresenterBytes = 100;

// Who presented a sealed share is recorded: one line of text, never empty.
void check_presenter(const std::string& presented_by, unsigned holder) {
    const bool control = std::any_of(presented_by.begin(), presented_by.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
    });
    if (presented_by.empty() || presented_by.size() > kMaxPresenterBytes || control) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("holder {}'s sealed share: who presented it must be named (one "
                                "line, 1 to {} bytes). Nothing was installed.",
                                holder, kMaxPresenterBytes));
    }
}

// The key's public text, and its QR code as a PNG, where the options say; never
// over an existing file. Public: the private key is in neither.
void write_key_files(const CeremonyOptions& options, const std::string& key_text,
                     Journal& journal) {
    if (!options.facility_key_out.empty()) {
        AtomicFile file(options.facility_key_out, 0644);
        file.write({reinterpret_cast<const std::uint8_t*>(key_text.data()), key_text.size()});
        file.commit();
        journal.say(
            fmt::format("The facility key's words are in {}\n", options.facility_key_out.string()));
    }
    if (!options.facility_key_png.empty()) {
        transport::write_qr_png(key_text, options.facility_key_png);
        journal.say(fmt::format("The facility key's QR code is in {}\n",
                                options.facility_key_png.string()));
    }
}

}  // namespace

void check_remote_holders(const Plan& plan, const CeremonyOptions& options) {
    if (options.remote_holders.empty()) {
        return;
    }
    if (options.remote_holders.size() > plan.holders.size()) {
        throw Error(
            ErrorCategory::usage,
            fmt::format("--remote names {} holders; the plan {} has {}: more sealed "
                        "shares than holders",
                        options.remote_holders.size(), plan.file.string(), plan.holders.size()));
    }
    std::set<unsigned> named;
    for (const unsigned h : options.remote_holders) {
        if (h == 0 || h > plan.holders.size()) {
            throw Error(ErrorCategory::usage,
                        fmt::format("--remote {}: the plan {} has holders 1 to {}", h,
                                    plan.file.string(), plan.holders.size()));
        }
        if (!named.insert(h).second) {
            throw Error(ErrorCategory::usage,
                        fmt::format("--remote names holder {} twice: each holder presents one "
                                    "sealed share",
                                    h));
        }
    }
    if (!options.read_sealed_share) {
        throw Error(ErrorCategory::usage, "--remote: there is no way to read sealed shares here");
    }
    if (!options.transport_context.empty()) {
        transport::check_context(options.transport_context);
    }
    // The key's files are new files: an existing one is refused before anything.
    for (const auto& file : {options.facility_key_out, options.facility_key_png}) {
        if (!file.empty()) {
            refuse_existing(file);
        }
    }
    if (!options.facility_key_out.empty() && options.facility_key_out == options.facility_key_png) {
        throw Error(ErrorCategory::usage,
                    "--facility-key-out and --facility-key-png name the same file");
    }
}

std::string transport_context(const Plan& plan, const Facility& facility,
                              const CeremonyOptions& options) {
    if (!options.transport_context.empty()) {
        return options.transport_context;
    }
    return fmt::format("smk restore of share set {} at {}", *plan.identifier, facility.name);
}

void receive_sealed_shares(const Plan& plan, const Facility& facility,
                           const CeremonyOptions& options, const QuorumWanted& wanted,
                           Quorum& quorum, Journal& journal) {
    const std::string context = transport_context(plan, facility, options);
    transport::check_context(context);
    // The private key lives in guarded memory inside `key` and dies with this scope.
    const transport::FacilityKey key = transport::FacilityKey::generate();
    const std::string key_text = transport::facility_key_text(key.public_key());
    const transport::KeyFingerprint fingerprint = key.fingerprint();
    journal.record(
        "facility-key", {{"context", context}},
        {{"fingerprint", to_hex(fingerprint)}, {"public_key", to_hex(key.public_key())}});
    write_key_files(options, key_text, journal);
    journal.say(fmt::format(
        "\nFacility key for this restore only (the remote holders seal their shares to it):\n"
        "{}\n{}\nContext: {}\nFingerprint, to read aloud on the call: {}\n\n",
        key_text, transport::qr_terminal_text(key_text), context, pgp_words(fingerprint)));

    std::map<std::pair<unsigned, unsigned>, unsigned> holder_of_member;  // (set, index) -> holder
    for (const unsigned number : options.remote_holders) {
        const Holder& holder = plan.holder(number);
        if (have_quorum(plan, quorum, wanted)) {
            journal.record("sealed-share-not-needed", {{"holder", std::to_string(number)}});
            journal.say(
                fmt::format("  holder {} ({}): the quorum is there; their sealed share "
                            "is not needed\n",
                            number, holder.name));
            continue;
        }
        const SealedShareInput input =
            options.read_sealed_share({number, holder.name, key.public_key(), context});
        check_presenter(input.presented_by, number);
        const std::string source = fmt::format("holder {}'s sealed share ({})", number,
                                               input.source.empty() ? "typed" : input.source);
        const transcript::Fields who = {{"holder", std::to_string(number)},
                                        {"presented_by", input.presented_by}};
        std::string sealed_sha256;
        const auto refuse = [&](const std::string& step, const std::string& why) {
            journal.record(step, who, {{"result", "refused"}, {"remote", "yes"}},
                           sealed_sha256.empty() ? transcript::Fields{}
                                                 : transcript::Fields{{"sealed", sealed_sha256}});
            throw Error(
                ErrorCategory::refused,
                fmt::format("{}: {}. The flow stopped; nothing was installed.", source, why));
        };
        transport::OpenedShare opened;
        try {
            const std::vector<std::uint8_t> sealed =
                transport::parse_sealed_share_text(input.text, source);
            sealed_sha256 = to_hex(sha256_bytes(sealed));
            opened = transport::open_sealed(sealed, key, context, source);
        } catch (const Error& e) {
            journal.record("sealed-share-refused", who,
                           {{"result", "refused"}, {"remote", "yes"}, {"why", e.what()}},
                           sealed_sha256.empty() ? transcript::Fields{}
                                                 : transcript::Fields{{"sealed", sealed_sha256}});
            throw Error(e.category(),
                        fmt::format("{} The flow stopped; nothing was installed.", e.what()));
        }
        const slip39::ShareInfo& info = opened.info;
        const CardSpec* spec = holder.card_of_set(info.group_index);
        const OfferedShare offered{&holder, spec, refuse};
        if (info.identifier != *plan.identifier || spec == nullptr) {
            check_share_is_planned(plan, info, offered);  // names the foreign share set
            refuse("card-share-mismatch",
                   fmt::format("it is set {} share {}; holder {} has no card of set {} in the plan",
                               slip39::set_letter(info.group_index), info.member_index + 1, number,
                               slip39::set_letter(info.group_index)));
        }
        const auto member = std::make_pair(info.group_index, info.member_index + 1);
        if (const auto it = holder_of_member.find(member); it != holder_of_member.end()) {
            refuse("sealed-share-twice",
                   fmt::format("set {} share {} was sealed twice: holder {} presented it already",
                               slip39::set_letter(member.first), member.second, it->second));
        }
        holder_of_member.emplace(member, number);
        check_share_is_planned(plan, info, offered);
        if (!holder_may_give(plan, quorum, wanted, offered)) {
            journal.record("sealed-share-not-needed", who,
                           {{"reason", slip39::group_name(spec->set) + " is whole already"}},
                           {{"sealed", sealed_sha256}});
            journal.say(
                fmt::format("  holder {} ({}): {} has its shares already; their sealed "
                            "share is not used\n",
                            number, holder.name, slip39::group_name(spec->set)));
            continue;
        }
        add_share(plan, quorum, offered, source, std::move(opened.mnemonic));
        quorum.remote.push_back(number);
        journal.record("sealed-share-read", who,
                       {{"set", slip39::set_letter(spec->set)},
                        {"index", std::to_string(spec->index)},
                        {"identifier", std::to_string(info.identifier)},
                        {"remote", "yes"},
                        {"from", input.source.empty() ? "typed" : input.source}},
                       {{"sealed", sealed_sha256}});
        journal.say(
            fmt::format("  holder {} ({}): sealed share set {} share {} opened, presented "
                        "by {} ({})\n",
                        number, holder.name, slip39::set_letter(spec->set), spec->index,
                        input.presented_by, progress_text(plan, quorum)));
    }
}

}  // namespace smk::ceremony
