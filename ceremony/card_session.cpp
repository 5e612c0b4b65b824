// A card at the table: prompts, waits for insertion and removal, takes the
// cards present in batch mode, and keeps one card from carrying two shares.

#include "smk/ceremony/card_session.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include "smk/atomic_file.hpp"
#include "smk/error.hpp"
#include "smk/interrupt.hpp"

namespace smk::ceremony {
namespace {

std::string seconds_text(std::chrono::milliseconds timeout) {
    return fmt::format("{} s", (timeout.count() + 999) / 1000);
}

// card::wait_for_card in short slices, so that a flow running in an
// InterruptScope (smk/interrupt.hpp) stops within a moment of Ctrl-C or SIGTERM
// instead of at the end of a wait of minutes. `stopped` says where it stopped.
std::optional<std::string> wait_for_card_interruptibly(std::string_view reader,
                                                       card::CardEvent event,
                                                       std::chrono::milliseconds timeout,
                                                       std::string_view stopped) {
    constexpr std::chrono::milliseconds kSlice(500);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        throw_if_interrupted(stopped);
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        const auto slice = std::clamp(left, std::chrono::milliseconds(0), kSlice);
        auto found = card::wait_for_card(reader, event, slice);
        if (found || left <= kSlice) {
            return found;
        }
    }
}

}  // namespace

std::string CardRequest::describe() const {
    std::string text;
    const auto add = [&text](const std::string& part) {
        text += (text.empty() ? "" : ", ") + part;
    };
    if (!holder.empty()) {
        add(holder);
    }
    if (!set.empty()) {
        add("set " + set);
    }
    if (index != 0) {
        add(fmt::format("share {}", index));
    }
    if (text.empty()) {
        text = "the next card";
    }
    if (!bag.empty()) {
        text += fmt::format(" (bag {})", bag);
    }
    return text;
}

CardSession::CardSession(CardSessionOptions options) : m_options(std::move(options)) {
    switch (m_options.mode) {
        case CardMode::interactive:
            m_interactive = true;
            break;
        case CardMode::batch:
            m_interactive = false;
            break;
        case CardMode::automatic:
            m_interactive = ::isatty(0) == 1;
            break;
    }
}

void CardSession::say(std::string_view text) const {
    if (m_options.say) {
        m_options.say(text);
    } else {
        (void)write_all_to_fd(2, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    }
}

HeldCard CardSession::acquire(const CardRequest& request) {
    auto card = next_card(request);
    if (card) {
        return std::move(*card);
    }
    if (!m_present_used.empty()) {
        std::string used;
        for (const auto& serial : m_present_used) {
            used += fmt::format("\n  card {} already has {}", serial, m_used.at(serial));
        }
        throw Error(ErrorCategory::refused,
                    fmt::format("no new card for {}: the cards present are already used in "
                                "this session, and one card never holds two shares:{}\nInsert "
                                "a new card",
                                request.describe(), used));
    }
    throw Error(ErrorCategory::device,
                fmt::format("no card for {}: no card is present that was not tried in this "
                            "session; insert a card and run again",
                            request.describe()));
}

std::optional<HeldCard> CardSession::next_card(const CardRequest& request) {
    m_last_reader.clear();
    if (request.expected_serial) {
        const auto used = m_used.find(*request.expected_serial);
        if (used != m_used.end()) {
            throw Error(ErrorCategory::refused,
                        fmt::format("card {} is expected for {}, but it was already used in "
                                    "this session for {}; one card never holds two shares: "
                                    "check the plan",
                                    *request.expected_serial, request.describe(), used->second));
        }
    }
    if (m_interactive) {
        return take_interactive(request);
    }
    return take_batch(request);
}

namespace {

// Whether the card in `reader` has really gone: pcscd notices a removal only at
// its next poll, so a card pulled a moment ago can still look present.
bool card_gone(const std::string& reader) {
    return card::wait_for_card(reader, card::CardEvent::removed, std::chrono::seconds(3))
        .has_value();
}

}  // namespace

std::string CardSession::first_reader_text(const std::string& serial) const {
    for (const auto& [reader, seen] : m_reader_serials) {
        if (seen == serial) {
            return fmt::format(" (in \"{}\")", reader);
        }
    }
    return "";
}

std::optional<HeldCard> CardSession::take_batch(const CardRequest& request) {
    std::vector<std::string> seen;
    m_present_used.clear();
    for (const auto& reader : card::list_readers()) {
        if (!reader.card_present) {
            continue;
        }
        if (request.expected_serial) {
            // Look at every card present; the others are closed again untouched.
            std::optional<card::ShareStore> store;
            try {
                store.emplace(reader.name);
            } catch (const Error&) {
                seen.push_back(fmt::format("\"{}\": not readable as an OpenPGP card", reader.name));
                continue;
            }
            m_reader_serials[reader.name] = store->serial();
            if (store->serial() == *request.expected_serial) {
                m_tried_readers.insert(reader.name);
                return claim(std::move(*store), reader.name, request);
            }
            seen.push_back(store->label());
            continue;
        }
        if (m_tried_readers.contains(reader.name)) {
            const auto seen_here = m_reader_serials.find(reader.name);
            if (seen_here != m_reader_serials.end() && m_used.contains(seen_here->second)) {
                m_present_used.push_back(seen_here->second);
            }
            continue;
        }
        m_tried_readers.insert(reader.name);
        m_last_reader = reader.name;
        std::optional<card::ShareStore> opened;
        try {
            opened.emplace(reader.name);  // errors name the reader
        } catch (const Error&) {
            if (card_gone(reader.name)) {
                continue;
            }
            throw;
        }
        card::ShareStore& store = *opened;
        if (m_used.contains(store.serial())) {
            // A reader not tried before shows a serial already used: a second
            // card with that serial (a clone) or the card moved. Either way it
            // is named, never passed over in silence.
            say(fmt::format(
                "skipped: {} has the serial of the card already used for {}{}: a "
                "second card with the same serial, or the same card moved to "
                "another reader; it is not used. Take it out and check it\n",
                store.label(), m_used.at(store.serial()), first_reader_text(store.serial())));
            m_reader_serials[reader.name] = store.serial();
            m_present_used.push_back(store.serial());
            continue;
        }
        m_reader_serials[reader.name] = store.serial();
        return claim(std::move(store), reader.name, request);
    }
    if (request.expected_serial) {
        std::string list;
        for (const auto& one : seen) {
            list += "\n  " + one;
        }
        throw Error(ErrorCategory::device,
                    fmt::format("card {} for {} is not in any reader; the cards present "
                                "are:{}",
                                *request.expected_serial, request.describe(),
                                list.empty() ? std::string("\n  none") : list));
    }
    return std::nullopt;
}

HeldCard CardSession::take_interactive(const CardRequest& request) {
    const bool anything_asked = !request.holder.empty() || !request.set.empty() ||
                                request.index != 0 || request.expected_serial ||
                                !request.bag.empty();
    say(anything_asked ? fmt::format("Insert the card of {} in a reader ...\n", request.describe())
                       : std::string("Insert the next card in a reader ...\n"));
    const auto reader = wait_for_card_interruptibly(
        "", card::CardEvent::inserted, m_options.timeout,
        fmt::format("stopped while waiting for the card of {}", request.describe()));
    if (!reader) {
        throw Error(ErrorCategory::device,
                    fmt::format("no card was inserted within {} for {}; run again, or give a "
                                "longer --card-timeout",
                                seconds_text(m_options.timeout), request.describe()));
    }
    m_last_reader = *reader;
    card::ShareStore store(*reader);
    say(fmt::format("  found {}\n", store.label()));
    return claim(std::move(store), *reader, request);
}

HeldCard CardSession::claim(card::ShareStore store, const std::string& reader,
                            const CardRequest& request) {
    m_last_reader = reader;
    const std::string& serial = store.serial();
    if (request.expected_serial && serial != *request.expected_serial) {
        throw Error(ErrorCategory::refused,
                    fmt::format("{} is not the card expected for {}: the plan names card {}; "
                                "nothing was read or written",
                                store.label(), request.describe(), *request.expected_serial));
    }
    const auto used = m_used.find(serial);
    if (used != m_used.end()) {
        throw Error(ErrorCategory::refused,
                    fmt::format("{} was already used in this session for {}, and is now "
                                "offered for {}; one card never holds two shares: use "
                                "another card",
                                store.label(), used->second, request.describe()));
    }
    if (!m_options.read_pin) {
        throw Error(ErrorCategory::usage, "no PIN source for the card session");
    }
    const Secret pin = m_options.read_pin(store);
    if (!pin.empty()) {  // empty: a card the flow passes over unread (CardPinReader)
        store.verify_pin(pin, m_options.last_try);
    }
    m_used.emplace(serial, request.describe());
    return HeldCard{std::move(store), reader, request};
}

void CardSession::release(HeldCard&& card) {
    const std::string reader = card.reader;
    {
        const HeldCard closing = std::move(card);  // ends the transaction, disconnects
    }
    release_reader(reader, "");
}

void CardSession::release_reader(const std::string& reader, std::string_view why) {
    if (!m_interactive) {
        return;
    }
    say(fmt::format("{}Remove the card from \"{}\" ...\n",
                    why.empty() ? std::string() : std::string(why) + "\n", reader));
    const auto gone = wait_for_card_interruptibly(
        reader, card::CardEvent::removed, m_options.timeout,
        fmt::format("stopped while waiting for the card in \"{}\" to be removed", reader));
    if (!gone) {
        throw Error(ErrorCategory::device,
                    fmt::format("the card in \"{}\" was not removed within {}; remove it and "
                                "run again",
                                reader, seconds_text(m_options.timeout)));
    }
}

}  // namespace smk::ceremony
