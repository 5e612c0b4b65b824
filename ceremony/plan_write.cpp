// The issued plan: the original text, a marker, and what the issue (or a
// reissue) recorded, self-checked by reading it back before it is written.

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <sstream>
#include <utility>

#include "plan_names.hpp"
#include "smk/atomic_file.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/error.hpp"
#include "smk/slip39.hpp"

namespace smk::ceremony {
namespace {

namespace fs = std::filesystem;

std::string text_before_marker(std::string_view text) {
    const std::size_t at = text.find(kIssuedMarker);
    if (at == std::string_view::npos) {
        return std::string(text);
    }
    return std::string(text.substr(0, at));
}

std::string toml_string(std::string_view text) {
    std::ostringstream out;
    out << toml::value<std::string>(std::string(text));
    return out.str();
}

}  // namespace

std::string base_stem(const fs::path& file) {
    std::string stem = file.stem().string();
    const auto digits = [](std::string_view text) {
        return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c)) != 0;
        });
    };
    // What follows "-idNNNNN" in the plans smk writes: nothing, "-eventK" (a holder
    // event's plan) or "-holderN-setX" (a replacement card's); all of it goes.
    const auto known_tail = [&digits](std::string_view tail) {
        if (tail.empty()) {
            return true;
        }
        if (tail.starts_with("-event")) {
            return digits(tail.substr(6));
        }
        if (!tail.starts_with("-holder")) {
            return false;
        }
        const std::size_t set = tail.find("-set");
        return set != std::string_view::npos && digits(tail.substr(7, set - 7)) &&
               tail.size() == set + 5 && tail[set + 4] >= 'A' && tail[set + 4] <= 'D';
    };
    for (std::size_t at = stem.rfind("-id"); at != std::string::npos && at > 0;
         at = stem.rfind("-id", at - 1)) {
        const std::string_view rest = std::string_view(stem).substr(at + 3);
        const std::size_t end = std::min(rest.find('-'), rest.size());
        if (digits(rest.substr(0, end)) && known_tail(rest.substr(end))) {
            stem.erase(at);
            break;
        }
    }
    return stem;
}

fs::path issued_plan_path(const Plan& plan, std::uint16_t identifier) {
    const std::string stem = base_stem(plan.file);
    return plan.file.parent_path() / (stem + "-id" + std::to_string(identifier) + ".toml");
}

fs::path replacement_plan_path(const Plan& plan, unsigned holder, unsigned set) {
    return plan.file.parent_path() /
           (base_stem(plan.file) + "-id" + std::to_string(plan.identifier.value()) + "-holder" +
            std::to_string(holder) + "-set" + slip39::set_letter(set) + ".toml");
}

fs::path event_plan_path(const Plan& plan) {
    return plan.file.parent_path() /
           (base_stem(plan.file) + "-id" + std::to_string(plan.identifier.value()) + "-event" +
            std::to_string(plan.holder_events.size()) + ".toml");
}

void write_issued_plan(const Plan& updated, const fs::path& out) {
    if (!updated.identifier || !updated.kcv) {
        throw Error(ErrorCategory::internal, "write_issued_plan without identifier and KCV");
    }
    const std::string base = text_before_marker(updated.text);
    const Plan original = parse_plan(base, updated.file);
    std::string text = base;
    if (!text.empty() && text.back() != '\n') {
        text += '\n';
    }
    text += std::string(kIssuedMarker) +
            "\n[issued]\nidentifier = " + std::to_string(*updated.identifier) + "\nkcv = \"" +
            *updated.kcv + "\"\n";
    for (std::size_t i = 0; i < updated.holders.size(); ++i) {
        for (std::size_t j = 0; j < updated.holders[i].cards.size(); ++j) {
            const CardSpec& now = updated.holders[i].cards[j];
            const CardSpec& was = original.holders[i].cards[j];
            if (now.serial != was.serial || now.bag != was.bag) {
                text += "\n[[issued.card]]\nholder = " + std::to_string(i + 1) + "\nset = \"" +
                        slip39::set_letter(now.set) + "\"\nserial = " + toml_string(now.serial) +
                        "\nbag = " + toml_string(now.bag) + "\n";
            }
        }
    }
    for (std::size_t i = 0; i < updated.holders.size(); ++i) {
        for (const CardSpec& card : updated.holders[i].cards) {
            if (!card.share_sha256.empty()) {
                text += "\n[[issued.share]]\nholder = " + std::to_string(i + 1) + "\nset = \"" +
                        slip39::set_letter(card.set) + "\"\nsha256 = \"" + card.share_sha256 +
                        "\"\n";
            }
        }
    }
    for (std::size_t i = 0; i < updated.holders.size(); ++i) {
        for (const CardSpec& card : updated.holders[i].cards) {
            if (!card.auth_key_sha256.empty()) {
                // A multi-line literal string: the PEM reads as it is, ready for
                // `openssl dgst -verify` once copied to a file.
                text += "\n[[issued.card_key]]\nholder = " + std::to_string(i + 1) + "\nset = \"" +
                        slip39::set_letter(card.set) + "\"\nsha256 = \"" + card.auth_key_sha256 +
                        "\"\npublic_key = '''\n" + card.auth_key_pem + "'''\n";
            }
        }
    }
    for (const HolderEvent& e : updated.holder_events) {
        text += "\n[[issued.event]]\nholder = " + std::to_string(e.holder) +
                "\nkind = " + toml_string(e.kind) + "\ntime = " + toml_string(e.time) +
                "\nby = " + toml_string(e.by) + "\nidentifier = " + std::to_string(e.identifier) +
                "\n";
        for (const auto& [key, value] : {std::pair{"note", &e.note}, std::pair{"name", &e.name},
                                         std::pair{"previous", &e.previous}}) {
            if (!value->empty()) {
                text += std::string(key) + " = " + toml_string(*value) + "\n";
            }
        }
    }
    // Self-check: the new plan reads back as the plan we mean to record.
    const Plan check = parse_plan(text, out);
    bool same = check.identifier == updated.identifier && check.kcv == updated.kcv &&
                check.holder_events.size() == updated.holder_events.size();
    for (std::size_t i = 0; same && i < updated.holders.size(); ++i) {
        same = check.holders[i].name == updated.holders[i].name;
    }
    for (std::size_t i = 0; same && i < updated.holders.size(); ++i) {
        for (std::size_t j = 0; j < updated.holders[i].cards.size(); ++j) {
            same =
                same && check.holders[i].cards[j].serial == updated.holders[i].cards[j].serial &&
                check.holders[i].cards[j].bag == updated.holders[i].cards[j].bag &&
                check.holders[i].cards[j].share_sha256 ==
                    updated.holders[i].cards[j].share_sha256 &&
                check.holders[i].cards[j].auth_key_pem == updated.holders[i].cards[j].auth_key_pem;
        }
    }
    if (!same) {
        throw Error(ErrorCategory::internal,
                    "the plan written for " + out.string() + " does not read back as intended");
    }
    AtomicFile file(out, 0644);
    file.write({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    file.commit();
}

}  // namespace smk::ceremony
