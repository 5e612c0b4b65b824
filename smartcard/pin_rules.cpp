// The rules for a PIN a holder or custodian chooses (smk/card.hpp "PINs a holder
// chooses"), and the factory PIN test. The candidate is secret: each rule is
// computed for every candidate with masks over its bytes, without branching or
// indexing on them; only its length (public: it is the APDU's Lc) and the final
// verdict steer the code. The verdict is revealed anyway (the PIN is refused, and
// the words say which rule it breaks): it is chosen with masks too, and declared
// public with ct::declassify() at the one line where it becomes public, so the
// constant-time check (tests/ct, case pin-rules) needs no suppression.

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "../sss/ct_declassify.hpp"  // sss/'s, for the ct check (tests/ct)
#include "smk/card.hpp"
#include "smk/error.hpp"

namespace smk::card {
namespace {

constexpr std::string_view kFactoryUserPin = "123456";     // PW1 of every OpenPGP card
constexpr std::string_view kFactoryAdminPin = "12345678";  // PW3 (also the PIV PUK default)

// Common PINs the structural rules below do not catch (letters compared in lower
// case): keypad shapes, digits-and-letters habits, and the words people use
// when asked for a "PIN". Runs (123456), repeats (111111, 123123) and keyboard
// rows (qwerty) need no entry: their rules refuse every variant.
constexpr std::array<std::string_view, 34> kCommonPins = {
    "147258",    "147852",   "159357",   "159753",   "258369",   "741852",   "789456",
    "963852",    "123654",   "102030",   "5201314",  "12344321", "11223344", "147258369",
    "789456123", "abc123",   "123abc",   "a1b2c3",   "123qwe",   "qwe123",   "1q2w3e",
    "1q2w3e4r",  "1qaz2wsx", "zaq12wsx", "12qwaszx", "abcd1234", "1234abcd", "qwer1234",
    "1234qwer",  "password", "passw0rd", "iloveyou", "admin123", "letmein1"};

// Rows of the keyboards people type PINs on (QWERTY, QWERTZ, AZERTY), in lower
// case: any stretch of one, forwards or backwards, is refused.
constexpr std::array<std::string_view, 8> kKeyboardRows = {"qwertyuiop", "asdfghjkl", "zxcvbnm",
                                                           "qwertzuiop", "yxcvbnm",   "azertyuiop",
                                                           "qsdfghjklm", "wxcvbn"};

// 1 when x == 0, else 0. x is secret.
constexpr std::uint32_t is_zero(std::uint32_t x) noexcept {
    return 1U ^ ((x | (0U - x)) >> 31U);
}

// 1 when a == b, else 0. Both may be secret bytes.
constexpr std::uint32_t is_equal(std::uint32_t a, std::uint32_t b) noexcept {
    return is_zero(a ^ b);
}

// 1 when lo <= c <= hi, else 0; c is secret, lo and hi public, all below 256.
// (c - lo) underflows for c < lo and (hi - c) for c > hi: bit 31 set either way.
constexpr std::uint32_t in_range(std::uint32_t c, std::uint32_t lo, std::uint32_t hi) noexcept {
    return 1U ^ (((c - lo) | (hi - c)) >> 31U);
}

// c in lower case when it is an ASCII capital letter, else c. c is secret.
constexpr std::uint32_t folded(std::uint8_t c) noexcept {
    return c | (in_range(c, 'A', 'Z') << 5U);
}

// 1 when the candidate, letters folded to lower case, equals `text`. Lengths are
// public; the bytes are compared without an early exit.
std::uint32_t folded_equal(std::span<const std::uint8_t> pin, std::string_view text) noexcept {
    if (pin.size() != text.size()) {
        return 0;
    }
    std::uint32_t diff = 0;
    for (std::size_t i = 0; i < pin.size(); ++i) {
        diff |= folded(pin[i]) ^ static_cast<std::uint8_t>(text[i]);
    }
    return is_zero(diff);
}

// 1 when the candidate (folded) is a stretch of `row`, forwards or backwards.
// Every public offset is tried, whatever the candidate holds.
std::uint32_t on_keyboard_row(std::span<const std::uint8_t> pin, std::string_view row) noexcept {
    std::uint32_t found = 0;
    for (std::size_t start = 0; start + pin.size() <= row.size(); ++start) {
        std::uint32_t forwards = 0;
        std::uint32_t backwards = 0;
        for (std::size_t i = 0; i < pin.size(); ++i) {
            const std::uint32_t c = folded(pin[i]);
            forwards |= c ^ static_cast<std::uint8_t>(row[start + i]);
            backwards |= c ^ static_cast<std::uint8_t>(row[start + pin.size() - 1 - i]);
        }
        found |= is_zero(forwards) | is_zero(backwards);
    }
    return found;
}

// 1 when a < b, else 0; both below 2^31. a may be secret.
constexpr std::uint32_t is_less(std::uint32_t a, std::uint32_t b) noexcept {
    return (a - b) >> 31U;
}

// What the rules found, each 0 or 1, computed for every candidate.
struct Findings {
    std::uint32_t not_printable = 0;
    std::uint32_t edge_space = 0;
    std::uint32_t factory = 0;
    std::uint32_t common = 0;
    std::uint32_t one_character = 0;
    std::uint32_t run = 0;
    std::uint32_t keyboard = 0;
    std::uint32_t repeated_group = 0;
    std::uint32_t distinct = 0;  // how many different bytes (not 0/1)
};

Findings examine(std::span<const std::uint8_t> pin) noexcept {
    Findings f;
    const std::size_t n = pin.size();
    if (n == 0) {
        return f;
    }
    for (const std::uint8_t c : pin) {
        f.not_printable |= 1U ^ in_range(c, 0x20, 0x7E);
    }
    // A space at either end is lost by an editor, a copy or a trim.
    f.edge_space = is_equal(pin[0], ' ') | is_equal(pin[n - 1], ' ');
    f.factory = folded_equal(pin, kFactoryUserPin) | folded_equal(pin, kFactoryAdminPin);
    for (const std::string_view common : kCommonPins) {
        f.common |= folded_equal(pin, common);
    }
    for (const std::string_view row : kKeyboardRows) {
        f.keyboard |= on_keyboard_row(pin, row);
    }
    // Straight runs: each character one above the one before (abcdef, 345678,
    // 567890: the digit row goes on from 9 to 0) or one below (654321, 210987).
    std::uint32_t up = 1;
    std::uint32_t down = 1;
    for (std::size_t i = 1; i < n; ++i) {
        const std::uint32_t before = folded(pin[i - 1]);
        const std::uint32_t after = folded(pin[i]);
        up &= is_equal(after, before + 1U) | (is_equal(before, '9') & is_equal(after, '0'));
        down &= is_equal(after + 1U, before) | (is_equal(before, '0') & is_equal(after, '9'));
    }
    f.run = up | down;
    // A group repeated: the PIN equals itself shifted by p for some p up to n/2
    // (p = 1: one character, 111111; p = 2: 121212; p = 3: 123123; ...).
    for (std::size_t p = 1; p <= n / 2; ++p) {
        std::uint32_t diff = 0;
        for (std::size_t i = p; i < n; ++i) {
            diff |= static_cast<std::uint32_t>(pin[i] ^ pin[i - p]);
        }
        const std::uint32_t periodic = is_zero(diff);
        if (p == 1) {
            f.one_character = periodic;
        } else {
            f.repeated_group |= periodic;
        }
    }
    // Different characters: each byte counts unless an earlier one equals it.
    for (std::size_t i = 0; i < n; ++i) {
        std::uint32_t seen = 0;
        for (std::size_t j = 0; j < i; ++j) {
            seen |= is_equal(pin[i], pin[j]);
        }
        f.distinct += 1U ^ seen;
    }
    return f;
}

// The rule the verdict names: the first the candidate breaks in this order of
// helpfulness, or none.
enum class Broken : std::uint32_t {
    none,
    not_printable,
    edge_space,
    factory,
    one_character,
    run,
    keyboard,
    common,
    repeated_group,
    few_distinct,
};

// The first rule broken, chosen with masks over every finding (all secret): each
// rule is looked at whatever the ones before it found. min_distinct is public.
std::uint32_t first_broken(const Findings& f, std::size_t min_distinct) noexcept {
    const std::array<std::uint32_t, 9> found = {
        f.not_printable,
        f.edge_space,
        f.factory,
        f.one_character,
        f.run,
        f.keyboard,
        f.common,
        f.repeated_group,
        is_less(f.distinct, static_cast<std::uint32_t>(min_distinct)),
    };
    std::uint32_t verdict = static_cast<std::uint32_t>(Broken::none);
    std::uint32_t before = 0;  // 1 once an earlier rule is broken
    for (std::uint32_t i = 0; i < found.size(); ++i) {
        verdict |= (0U - (found[i] & (1U ^ before))) & (i + 1U);  // Broken's value for rule i
        before |= found[i];
    }
    return verdict;
}

}  // namespace

std::string_view pin_name(PinKind kind) noexcept {
    return kind == PinKind::admin ? "admin PIN (PW3)" : "user PIN (PW1)";
}

std::size_t min_pin_length(PinKind kind) noexcept {
    return kind == PinKind::admin ? 8 : 6;
}

std::size_t min_distinct_pin_characters(PinKind kind) noexcept {
    return min_pin_length(kind) / 2 + 1;
}

std::optional<std::string> new_pin_problem(PinKind kind, const Secret& candidate,
                                           std::size_t max_length) {
    const std::size_t n = candidate.size();
    const std::size_t max = std::min(max_length, kMaxPinLength);
    if (n < min_pin_length(kind) || n > max) {
        return fmt::format("has {} characters; {} {} needs {} to {}", n,
                           kind == PinKind::admin ? "an" : "a", pin_name(kind),
                           min_pin_length(kind), max);
    }
    const Findings f = examine(candidate.bytes());
    // The verdict becomes public here: the words below name the rule broken.
    // No message quotes an example PIN: it could be the candidate itself.
    const auto broken =
        static_cast<Broken>(ct::declassify(first_broken(f, min_distinct_pin_characters(kind))));
    switch (broken) {
        case Broken::none:
            return std::nullopt;
        case Broken::not_printable:
            return std::string(
                "has a character that is not printable ASCII (32..126); use letters, digits and "
                "punctuation, which every keyboard types the same way");
        case Broken::edge_space:
            return std::string("begins or ends with a space, which is easily lost; leave it out");
        case Broken::factory:
            return std::string("is a factory default PIN, which anyone can try");
        case Broken::one_character:
            return std::string("is one character repeated");
        case Broken::run:
            return std::string("is a straight run of characters, up or down");
        case Broken::keyboard:
            return std::string("is a run of neighbouring keys on a keyboard row");
        case Broken::common:
            return std::string("is one of the most common PINs, which are tried first");
        case Broken::repeated_group:
            return std::string("is a group of characters repeated");
        case Broken::few_distinct:
            return fmt::format("has fewer than {} different characters",
                               min_distinct_pin_characters(kind));
    }
    return std::nullopt;  // not reached: first_broken gives a Broken
}

void check_new_pin(PinKind kind, const Secret& candidate, std::string_view source,
                   std::size_t max_length) {
    if (const auto problem = new_pin_problem(kind, candidate, max_length)) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("the new {} from {} {}; nothing was sent to the card. Choose "
                                "another ({})",
                                pin_name(kind), source, *problem, new_pin_rules(kind)));
    }
}

std::string new_pin_rules(PinKind kind) {
    return fmt::format(
        "{} to {} printable ASCII characters, at least {} of them different, not a factory "
        "or common PIN, not a run, a keyboard row or a repeated group",
        min_pin_length(kind), kMaxPinLength, min_distinct_pin_characters(kind));
}

bool is_factory_pin(PinKind kind, const Secret& pin) noexcept {
    const std::string_view factory = kind == PinKind::admin ? kFactoryAdminPin : kFactoryUserPin;
    return constant_time_equal(
        pin.bytes(), {reinterpret_cast<const std::uint8_t*>(factory.data()), factory.size()});
}

Secret factory_pin(PinKind kind) {
    const std::string_view factory = kind == PinKind::admin ? kFactoryAdminPin : kFactoryUserPin;
    return Secret::copy_of({reinterpret_cast<const std::uint8_t*>(factory.data()), factory.size()});
}

}  // namespace smk::card
