// Constant-time check (the ctgrind technique): run under valgrind memcheck with the
// secret bytes marked undefined (VALGRIND_MAKE_MEM_UNDEFINED). memcheck then reports
// every conditional branch and every memory address computed from a secret byte
// ("Conditional jump or move depends on uninitialised value", "Use of uninitialised
// value of size 8"). Run by scripts/ct-check.sh, one case per CTest test ("ct: ...").
//
//   smk_ct_check CASE        CASE: see kCases below; `list` prints them.
//
// What is public and therefore defined: lengths (a PIN's too: it is the APDU's Lc),
// x coordinates, the scalar c of mul_add, thresholds and counts, the split's
// identifier. Everything drawn from the random source after the identifier is
// secret, as are the master secret, the passphrase, every share and every byte of
// a candidate card PIN. The only places where a secret becomes public again are
// values public by design (a digest or checksum verified or not, a share's header,
// a word count, which PIN rule a candidate breaks); the code declares each with
// ct::declassify() (sss/ct_declassify.hpp, active only in this check's builds of
// sss/ and smartcard/pin_rules.cpp).
//
// Outside valgrind the program still runs (the client requests are no-ops) and
// checks that each computation gives the right answer, so a case cannot pass by
// computing nothing.

#include <valgrind/memcheck.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gf256.hpp"
#include "slip39_sharing.hpp"
#include "smk/card.hpp"
#include "smk/error.hpp"
#include "smk/random.hpp"
#include "smk/secret.hpp"
#include "smk/shamir.hpp"
#include "smk/slip39.hpp"
#include "support/deterministic_random.hpp"

namespace {

void make_secret(std::span<const std::uint8_t> bytes) {
    (void)VALGRIND_MAKE_MEM_UNDEFINED(bytes.data(), bytes.size());
}

// Declassify: only for checking results at the end of a case (the result is what
// the caller receives; checking it is not part of the code under test).
void make_public(std::span<const std::uint8_t> bytes) {
    (void)VALGRIND_MAKE_MEM_DEFINED(bytes.data(), bytes.size());
}

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "ct-check: FAILED: %s\n", what.c_str());
    std::exit(1);
}

void expect(bool ok, const std::string& what) {
    if (!ok) {
        fail(what);
    }
}

// A deterministic source whose output is secret from the n-th call on (the first
// `public_calls` fills, e.g. SLIP-39's identifier, are public).
class SecretRandom final : public smk::RandomSource {
  public:
    explicit SecretRandom(unsigned public_calls) : m_public_calls(public_calls) {}
    void fill(std::span<std::uint8_t> out) override {
        m_inner.fill(out);
        if (m_calls++ >= m_public_calls) {
            make_secret(out);
        }
    }

  private:
    smk_test::DeterministicRandom m_inner{std::array<std::uint8_t, 32>{7, 7, 7}};
    unsigned m_public_calls;
    unsigned m_calls = 0;
};

std::vector<std::uint8_t> pattern(std::size_t n, std::uint8_t seed) {
    std::vector<std::uint8_t> v(n);
    for (std::size_t i = 0; i < n; ++i) {
        v[i] = static_cast<std::uint8_t>(seed + 37 * i + (i >> 3));
    }
    return v;
}

// ---- GF(256) --------------------------------------------------------------------

void case_gf256_scalar() {
    std::vector<std::uint8_t> a = pattern(256, 0);
    std::vector<std::uint8_t> products(256);
    std::vector<std::uint8_t> inverses(256);
    for (std::size_t i = 0; i < 256; ++i) {
        a[i] = static_cast<std::uint8_t>(i);
    }
    make_secret(a);
    for (std::size_t i = 0; i < 256; ++i) {
        products[i] = smk::gf256::mul(a[i], a[255 - i]);
        inverses[i] = smk::gf256::inv(a[i]);
    }
    make_public(products);
    make_public(inverses);
    for (std::size_t i = 1; i < 256; ++i) {
        expect(smk::gf256::mul(static_cast<std::uint8_t>(i), inverses[i]) == 1,
               "gf256::inv(" + std::to_string(i) + ") is not the inverse");
    }
    expect(inverses[0] == 0, "gf256::inv(0) != 0");
    expect(products[3] == smk::gf256::mul(3, 252), "gf256::mul gave a wrong product");
}

// Every length from 0 to 200 (all vector bodies and tails) and a few scalars, on
// one path; compared with the portable kernel on public data.
void check_mul_add(smk::gf256::Path path) {
    for (const std::uint8_t c : {std::uint8_t{0}, std::uint8_t{1}, std::uint8_t{2},
                                 std::uint8_t{0x53}, std::uint8_t{0xCA}, std::uint8_t{0xFF}}) {
        for (std::size_t n = 0; n <= 200; n += (n < 70 ? 1 : 13)) {
            std::vector<std::uint8_t> src = pattern(n, c);
            std::vector<std::uint8_t> dst = pattern(n, static_cast<std::uint8_t>(c + 1));
            std::vector<std::uint8_t> want = dst;
            smk::gf256::mul_add_on(smk::gf256::Path::portable, want, src, c);
            make_secret(src);
            make_secret(dst);
            smk::gf256::mul_add_on(path, dst, src, c);
            make_public(dst);
            expect(dst == want, std::string(smk::gf256::path_name(path)) +
                                    ": mul_add differs from portable at n=" + std::to_string(n));
        }
    }
}

// Runs `check` on the named path; fails loudly when this CPU (as valgrind
// presents it) cannot run the path, so a check never passes by skipping.
void on_path(std::string_view name, const std::function<void(smk::gf256::Path)>& check) {
    for (const smk::gf256::Path p : smk::gf256::all_paths()) {
        if (smk::gf256::path_name(p) == name) {
            if (!smk::gf256::path_available(p)) {
                fail("GF(256) path " + std::string(name) +
                     " is not available on this CPU (under valgrind, which hides GFNI and "
                     "AVX-512): it cannot be checked here");
            }
            smk::gf256::force_path(p);
            check(p);
            smk::gf256::reset_path();
            std::printf("ct-check: path %s checked\n", std::string(name).c_str());
            return;
        }
    }
    fail("no GF(256) path named " + std::string(name));
}

// ---- Shamir ---------------------------------------------------------------------

void check_shamir(smk::gf256::Path /*path, already forced*/) {
    constexpr std::size_t kBytes = 33;  // a vector body and a tail on every path
    std::vector<std::vector<std::uint8_t>> ys;
    for (std::uint8_t i = 0; i < 5; ++i) {
        ys.push_back(pattern(kBytes, static_cast<std::uint8_t>(i * 19 + 1)));
        make_secret(ys.back());
    }
    std::vector<smk::shamir::Point> points;
    const std::array<std::uint8_t, 5> xs{0, 1, 2, 254, 255};
    for (std::size_t i = 0; i < 5; ++i) {
        points.push_back({xs[i], ys[i]});
    }
    std::vector<std::uint8_t> at7(kBytes);
    std::vector<std::uint8_t> at3(kBytes);
    smk::shamir::interpolate(points, 7, at7);
    smk::shamir::interpolate(points, 3, at3);
    // Round trip: replace the point at x = 0 by the one at x = 7, interpolate at 0.
    std::vector<smk::shamir::Point> others{
        {7, at7}, {1, ys[1]}, {2, ys[2]}, {254, ys[3]}, {255, ys[4]}};
    std::vector<std::uint8_t> back(kBytes);
    smk::shamir::interpolate(others, 0, back);
    make_public(back);
    for (auto& y : ys) {
        make_public(y);
    }
    expect(back == ys[0], "Shamir interpolation does not round-trip");
}

// ---- SLIP-39 --------------------------------------------------------------------

void case_slip39_sharing() {
    // One level of sharing (split_secret, recover with the digest check, recovery
    // from more shares than the threshold) over a secret master secret.
    SecretRandom random(0);
    std::vector<std::uint8_t> secret = pattern(32, 0x42);
    const std::vector<std::uint8_t> original = secret;
    make_secret(secret);
    const std::vector<smk::Secret> shares = smk::slip39::split_secret(3, 5, secret, random);
    std::vector<smk::shamir::Point> points;
    for (std::size_t i = 0; i < shares.size(); ++i) {
        points.push_back({static_cast<std::uint8_t>(i), shares[i].bytes()});
    }
    smk::slip39::Recovery recovery(secret.size());
    smk::Secret out(secret.size());
    const bool verified =
        recovery.recover(3, std::span(points).subspan(1, 3), out.bytes());  // public result
    smk::slip39::AgreementMessages messages{
        [](std::span<const std::size_t>) { return std::string("disagree"); }, "none agree"};
    smk::Secret agreed = smk::slip39::recover_agreeing(3, points, messages);
    make_public(out.bytes());
    make_public(agreed.bytes());
    make_public(std::span(reinterpret_cast<const std::uint8_t*>(&verified), sizeof verified));
    expect(verified, "SLIP-39 digest did not verify");
    expect(std::equal(out.bytes().begin(), out.bytes().end(), original.begin()),
           "SLIP-39 recover gave a wrong secret");
    expect(std::equal(agreed.bytes().begin(), agreed.bytes().end(), original.begin()),
           "SLIP-39 recover_agreeing gave a wrong secret");
}

// The whole text of a share is secret here, spaces and header words included:
// where the spaces fall tells the length of every word, so the tokenizer must not
// branch on them either (the header fields and the word count are declared public
// where the code makes them public, sss/ct_declassify.hpp).
void mark_mnemonic_secret(smk::Secret& mnemonic) {
    make_secret(mnemonic.bytes());
}

void case_slip39_split_combine() {
    // The public API end to end: split a secret master secret with a secret
    // passphrase into 2 x 3-of-5 mnemonics, then combine 3 shares of set B. The
    // mnemonics' text comes out of split undefined (words_to_text carries the
    // secrecy through) and is marked secret again, whole, before combine.
    SecretRandom random(1);  // the first draw is the identifier: public
    std::vector<std::uint8_t> master = pattern(32, 0x11);
    const std::vector<std::uint8_t> original = master;
    std::vector<std::uint8_t> passphrase{'T', 'R', 'E', 'Z', 'O', 'R'};
    make_secret(master);
    make_secret(passphrase);
    smk::slip39::SplitParams params;
    params.groups = {{3, 5}, {3, 5}};
    params.iteration_exponent = 0;
    const smk::slip39::SplitResult split = smk::slip39::split(master, passphrase, params, random);
    std::vector<smk::slip39::NamedMnemonic> chosen;
    for (const std::size_t m : {std::size_t{4}, std::size_t{0}, std::size_t{2}}) {
        chosen.push_back({"set B member " + std::to_string(m + 1),
                          smk::Secret::copy_of(split.mnemonics[1][m].bytes())});
        mark_mnemonic_secret(chosen.back().mnemonic);
    }
    smk::slip39::CombineResult result = smk::slip39::combine(chosen, passphrase);
    make_public(result.master_secret.bytes());
    expect(std::equal(result.master_secret.bytes().begin(), result.master_secret.bytes().end(),
                      original.begin(), original.end()),
           "SLIP-39 combine gave a wrong master secret");
}

// ---- Card PIN rules -------------------------------------------------------------

// A candidate PIN and what new_pin_problem must say of it: a part of the words, or
// "" when the PIN may be used.
struct PinCase {
    smk::card::PinKind kind;
    std::string_view pin;
    std::string_view problem;
};

smk::Secret secret_pin(std::string_view text) {
    smk::Secret pin =
        smk::Secret::copy_of({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    make_secret(pin.bytes());
    return pin;
}

// new_pin_problem, check_new_pin and is_factory_pin (smartcard/pin_rules.cpp) over
// candidates that pass and candidates that break each rule, every byte of each
// secret. Public: the length (the APDU's Lc; a PIN of the wrong length is refused
// on it alone) and the verdict, which new_pin_problem declares public itself
// (ct::declassify) where it chooses its words; is_factory_pin's verdict is
// declassified here, by the caller, once it is returned.
void case_pin_rules() {
    using smk::card::PinKind;
    const std::vector<PinCase> candidates = {
        {PinKind::user, "804913", ""},
        {PinKind::user, "Tr0ub4dor&3", ""},
        {PinKind::user, "x9 y8 z7", ""},
        {PinKind::user, "1122334", ""},
        {PinKind::admin, "90210853", ""},
        {PinKind::admin, "k9#mW2!x", ""},
        {PinKind::user, "80491", "has 5 characters; a user PIN (PW1) needs 6 to 127"},
        {PinKind::admin, "9f3k2m7", "has 7 characters; an admin PIN (PW3) needs 8 to 127"},
        {PinKind::user, "80491\x01", "not printable ASCII"},
        {PinKind::user, "80491\xC3\xA9", "not printable ASCII"},
        {PinKind::user, " 804913", "begins or ends with a space"},
        {PinKind::user, "804913 ", "begins or ends with a space"},
        {PinKind::user, "123456", "factory default"},
        {PinKind::user, "12345678", "factory default"},
        {PinKind::admin, "12345678", "factory default"},
        {PinKind::user, "111111", "one character repeated"},
        {PinKind::user, "654321", "straight run"},
        {PinKind::user, "567890", "straight run"},
        {PinKind::user, "FEDCBA", "straight run"},
        {PinKind::user, "qwerty", "keyboard row"},
        {PinKind::admin, "poiuytre", "keyboard row"},
        {PinKind::user, "147258", "most common PINs"},
        {PinKind::admin, "PassW0rd", "most common PINs"},
        {PinKind::user, "121212", "group of characters repeated"},
        {PinKind::admin, "12341234", "group of characters repeated"},
        {PinKind::user, "112233", "fewer than 4 different characters"},
        {PinKind::admin, "80088018", "fewer than 5 different characters"},
    };
    for (const PinCase& c : candidates) {
        const smk::Secret pin = secret_pin(c.pin);
        const std::optional<std::string> problem = smk::card::new_pin_problem(c.kind, pin);
        const std::string what = std::string(smk::card::pin_name(c.kind)) + " candidate " +
                                 std::to_string(&c - candidates.data());
        if (c.problem.empty()) {
            expect(!problem, what + " is refused: " + problem.value_or(""));
        } else {
            expect(problem && problem->find(c.problem) != std::string::npos,
                   what + " gives \"" + problem.value_or("(accepted)") + "\", not \"" +
                       std::string(c.problem) + "\"");
        }
    }
    // check_new_pin: silent on a good PIN, Error(invalid_input) on a bad one.
    smk::card::check_new_pin(PinKind::user, secret_pin("804913"), "ct-check");
    bool refused = false;
    try {
        smk::card::check_new_pin(PinKind::user, secret_pin("121212"), "ct-check");
    } catch (const smk::Error& e) {
        refused = e.category() == smk::ErrorCategory::invalid_input;
    }
    expect(refused, "check_new_pin accepts a repeated group");
    // is_factory_pin: each kind's factory PIN, the other kind's, near misses, and a
    // PIN of another length (refused on its public length).
    const std::vector<PinCase> factory = {
        {PinKind::user, "123456", "factory"}, {PinKind::admin, "12345678", "factory"},
        {PinKind::user, "12345678", ""},      {PinKind::admin, "123456", ""},
        {PinKind::user, "123457", ""},        {PinKind::user, "023456", ""},
        {PinKind::admin, "12345679", ""},     {PinKind::user, "1234567", ""},
    };
    for (const PinCase& c : factory) {
        bool verdict = smk::card::is_factory_pin(c.kind, secret_pin(c.pin));
        make_public(std::span(reinterpret_cast<const std::uint8_t*>(&verdict), sizeof verdict));
        expect(verdict == !c.problem.empty(),
               "is_factory_pin(" + std::string(smk::card::pin_name(c.kind)) + ", candidate " +
                   std::to_string(&c - factory.data()) + ") is wrong");
    }
}

// ---- Negative controls: these MUST be reported --------------------------------

// A branch on a secret bit. The arms call an opaque function so the compiler
// cannot turn the branch into a conditional move.
__attribute__((noinline)) void ct_control_secret_branch(std::span<const std::uint8_t> secret) {
    if ((secret[0] & 1u) != 0) {
        std::puts("ct-check: control: odd");
    } else {
        std::puts("ct-check: control: even");
    }
}

// A table indexed by a secret byte (an S-box lookup): the address leaks the byte
// through the cache.
__attribute__((noinline)) std::uint8_t ct_control_secret_index(
    std::span<const std::uint8_t> secret) {
    static const std::vector<std::uint8_t> table = pattern(256, 3);
    return table[secret[0]];
}

void case_control_branch() {
    std::vector<std::uint8_t> secret = pattern(16, 1);
    make_secret(secret);
    ct_control_secret_branch(secret);
}

void case_control_index() {
    std::vector<std::uint8_t> secret = pattern(16, 1);
    make_secret(secret);
    std::uint8_t v = ct_control_secret_index(secret);
    make_public(std::span(&v, 1));
    std::printf("ct-check: control: %u\n", static_cast<unsigned>(v));
}

struct Case {
    std::string name;
    std::function<void()> run;
};

std::vector<Case> cases() {
    std::vector<Case> out{
        {"gf256-scalar", case_gf256_scalar},
        {"slip39-sharing", case_slip39_sharing},
        {"slip39-split-combine", case_slip39_split_combine},
        {"pin-rules", case_pin_rules},
        {"control-branch", case_control_branch},
        {"control-index", case_control_index},
    };
    for (const smk::gf256::Path p : smk::gf256::all_paths()) {
        const std::string path(smk::gf256::path_name(p));
        out.push_back({"mul-add-" + path, [path] { on_path(path, check_mul_add); }});
        out.push_back({"shamir-" + path, [path] { on_path(path, check_shamir); }});
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: smk_ct_check CASE (or: list, paths)\n");
        return 2;
    }
    const std::string_view name = argv[1];
    try {
        smk::crypto_init();
        const std::vector<Case> all = cases();
        if (name == "list") {
            for (const Case& c : all) {
                std::printf("%s\n", c.name.c_str());
            }
            return 0;
        }
        if (name == "paths") {  // the GF(256) paths this CPU (as seen now) can run
            for (const smk::gf256::Path p : smk::gf256::available_paths()) {
                std::printf("%.*s\n", static_cast<int>(smk::gf256::path_name(p).size()),
                            smk::gf256::path_name(p).data());
            }
            return 0;
        }
        for (const Case& c : all) {
            if (c.name == name) {
                c.run();
                std::printf("ct-check: case %s ran\n", argv[1]);
                return 0;
            }
        }
        std::fprintf(stderr, "ct-check: no case named %s\n", argv[1]);
        return 2;
    } catch (const smk::Error& e) {
        std::fprintf(stderr, "ct-check: error: %s\n", e.what());
        return 1;
    }
}
