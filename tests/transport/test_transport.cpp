// Sealed share transport (smk/transport.hpp; docs/FORMAT.md section 10) in process:
// the round trip, every bad input of this step (another facility key, context or
// identifier; truncated, a word changed, words out of order), and the docs' two
// PyNaCl scripts against smk in both directions. No root, no daemon.

#include <doctest/doctest.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "facility_key_access.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/pgp_words.hpp"
#include "smk/sha256.hpp"
#include "smk/share_record.hpp"
#include "smk/slip39.hpp"
#include "smk/transport.hpp"
#include "support/deterministic_random.hpp"
#include "support/error_of.hpp"
#include "support/files.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace transport = smk::transport;
using smk_test::contains;

constexpr const char* kContext = "restore 2027-03 facility east";

// A default split (2 x 5-of-7) of a fixed 32-byte secret with a fixed random stream.
struct Split {
    Split() {
        std::array<std::uint8_t, 32> secret{};
        secret.fill(0x42);
        smk_test::DeterministicRandom random(std::array<std::uint8_t, 32>{7});
        result = smk::slip39::split(secret, {}, smk::slip39::SplitParams{}, random);
    }
    [[nodiscard]] const smk::Secret& share(unsigned group, unsigned member) const {
        return result.mnemonics.at(group).at(member);
    }
    smk::slip39::SplitResult result;
};

using smk_test::error_of;

std::vector<std::string_view> words_after_header(const std::string& text) {
    return smk::split_words(std::string_view(text).substr(text.find('\n') + 1));
}

std::string text_of_words(const std::vector<std::string_view>& words) {
    std::string text = std::string(transport::kSealedShareHeader) + "\n";
    for (const auto word : words) {
        text.append(word).push_back(' ');
    }
    return text + "\n";
}

}  // namespace

TEST_CASE("transport: a share sealed to the facility key opens to the same share") {
    const Split split;
    const auto key = transport::FacilityKey::generate();
    const auto sealed = transport::seal_share(split.share(1, 2), "share B3", key.public_key(),
                                              kContext, {split.result.identifier, 1});
    CHECK(sealed.bytes.size() == transport::sealed_size(33));
    CHECK(sealed.bytes.size() == 132);
    CHECK(sealed.info.member_index == 2);

    // The text form: header, 134 words (132 bytes and 2 check), 8 a line; read back.
    const std::string text = transport::sealed_share_text(sealed.bytes);
    CHECK(text.rfind("smk-sealed-share-v1\n", 0) == 0);
    CHECK(words_after_header(text).size() == 134);
    CHECK(smk_test::lines_of(text).size() == 1 + 17);
    const auto parsed = transport::parse_sealed_share_text(text, "sealed.txt");
    CHECK(parsed == sealed.bytes);

    const auto opened =
        transport::open_sealed(parsed, key, kContext, "sealed.txt", {split.result.identifier, 1});
    CHECK(opened.mnemonic.text() == split.share(1, 2).text());
    CHECK(opened.info.identifier == split.result.identifier);
    CHECK(opened.info.group_index == 1);

    // The facility key's text form: 34 words; also 64 hex digits.
    const std::string key_text = transport::facility_key_text(key.public_key());
    CHECK(words_after_header(key_text).size() == 34);
    CHECK(transport::parse_facility_key_text(key_text, "key.txt") == key.public_key());
    CHECK(transport::parse_facility_key_text(smk::to_hex(key.public_key()) + "\n", "key.hex") ==
          key.public_key());
    // The fingerprint: 8 words, the first 8 bytes of SHA-256 of the public key.
    CHECK(smk::split_words(smk::pgp_words(key.fingerprint())).size() == 8);
}

TEST_CASE("transport: a 20-word share seals to 115 bytes, 117 words") {
    std::array<std::uint8_t, 16> secret{};
    secret.fill(0x11);
    smk_test::DeterministicRandom random(std::array<std::uint8_t, 32>{9});
    const auto split = smk::slip39::split(secret, {}, smk::slip39::SplitParams{}, random);
    const auto key = transport::FacilityKey::generate();
    const auto sealed =
        transport::seal_share(split.mnemonics[0][0], "share A1", key.public_key(), kContext);
    CHECK(sealed.bytes.size() == 115);
    const auto text = transport::sealed_share_text(sealed.bytes);
    CHECK(words_after_header(text).size() == 117);
    const auto opened = transport::open_sealed(
        transport::parse_sealed_share_text(text, "sealed.txt"), key, kContext, "sealed.txt");
    CHECK(opened.mnemonic.text() == split.mnemonics[0][0].text());
}

TEST_CASE("transport: the holder's checks refuse a share that is not the expected one") {
    const Split split;
    const auto key = transport::FacilityKey::generate();
    const auto other_id = static_cast<std::uint16_t>(split.result.identifier ^ 1U);
    auto [category, message] = error_of([&] {
        (void)transport::seal_share(split.share(0, 0), "share A1", key.public_key(), kContext,
                                    {other_id, {}});
    });
    CHECK(category == smk::ErrorCategory::verification);
    CHECK(contains(message, "share A1 is a share of identifier"));
    std::tie(category, message) = error_of([&] {
        (void)transport::seal_share(split.share(0, 0), "share A1", key.public_key(), kContext,
                                    {{}, 1U});
    });
    CHECK(category == smk::ErrorCategory::verification);
    CHECK(contains(message, "is a share of set A, not the expected set B"));
    // A mnemonic with one word changed fails its checksum before anything is sealed.
    std::string changed(split.share(0, 0).text());
    changed.replace(changed.rfind(' ') + 1, std::string::npos, "academic");
    const auto bad = smk::Secret::copy_of(
        {reinterpret_cast<const std::uint8_t*>(changed.data()), changed.size()});
    std::tie(category, message) = error_of(
        [&] { (void)transport::seal_share(bad, "share.txt", key.public_key(), kContext); });
    CHECK(category == smk::ErrorCategory::invalid_input);
    CHECK(contains(message, "share.txt"));
    CHECK(!contains(message, "academic"));
    std::tie(category, message) = error_of([&] {
        (void)transport::seal_share(split.share(0, 0), "s", key.public_key(), "two\nlines");
    });
    CHECK(category == smk::ErrorCategory::usage);
}

TEST_CASE(
    "transport: another facility key, context or identifier is refused, naming the sealed "
    "share") {
    const Split split;
    const auto key = transport::FacilityKey::generate();
    const auto other_key = transport::FacilityKey::generate();
    const auto sealed =
        transport::seal_share(split.share(0, 3), "share A4", key.public_key(), kContext);

    auto [category, message] = error_of(
        [&] { (void)transport::open_sealed(sealed.bytes, other_key, kContext, "holder 4"); });
    CHECK(category == smk::ErrorCategory::verification);
    CHECK(contains(message, "holder 4 does not open with this restore's facility key"));
    CHECK(contains(message, smk::pgp_words(other_key.fingerprint())));

    std::tie(category, message) = error_of(
        [&] { (void)transport::open_sealed(sealed.bytes, key, "restore 2026-01", "holder 4"); });
    CHECK(category == smk::ErrorCategory::verification);
    CHECK(contains(message, "holder 4 was sealed for another ceremony context"));

    const auto other_id = static_cast<std::uint16_t>(split.result.identifier ^ 1U);
    std::tie(category, message) = error_of([&] {
        (void)transport::open_sealed(sealed.bytes, key, kContext, "holder 4", {other_id, {}});
    });
    CHECK(category == smk::ErrorCategory::verification);
    CHECK(contains(message, "holder 4 is a share of identifier"));
    CHECK(contains(message, "another split"));

    // Truncated bytes, and a flipped byte (which the seal's tag refuses).
    std::tie(category, message) = error_of([&] {
        (void)transport::open_sealed(std::span(sealed.bytes).first(60), key, kContext, "h4");
    });
    CHECK(category == smk::ErrorCategory::invalid_input);
    CHECK(contains(message, "truncated"));
    auto flipped = sealed.bytes;
    flipped[70] ^= 0x01;
    std::tie(category, message) =
        error_of([&] { (void)transport::open_sealed(flipped, key, kContext, "h4"); });
    CHECK(category == smk::ErrorCategory::verification);
    CHECK(contains(message, "changed after it was sealed"));
}

TEST_CASE(
    "transport: a sealed share that opens but names another key, or is no smk sealed "
    "share, is refused") {
    const Split split;
    const auto key = transport::FacilityKey::generate();
    const auto record = smk::card::encode_share_record(split.share(0, 0).text(), "share A1");
    // Sealed by hand, as anyone with the public key could: the plaintext of section 10
    // with byte `at` changed.
    const auto sealed_with = [&](std::size_t at) {
        std::vector<std::uint8_t> plain(transport::kSealedHeaderBytes + record.size());
        const std::array<std::uint8_t, 5> magic{'S', 'M', 'K', 'T', 1};
        std::copy(magic.begin(), magic.end(), plain.begin());
        const auto fingerprint = key.fingerprint();
        std::copy(fingerprint.begin(), fingerprint.end(), plain.begin() + 5);
        plain[13] = static_cast<std::uint8_t>(split.result.identifier >> 8);
        plain[14] = static_cast<std::uint8_t>(split.result.identifier & 0xFF);
        const auto hash = smk::sha256_text(kContext);
        std::copy_n(hash.begin(), 8, plain.begin() + 15);
        std::copy(record.bytes().begin(), record.bytes().end(), plain.begin() + 23);
        if (at < plain.size()) {
            plain[at] ^= 0x01;
        }
        std::vector<std::uint8_t> sealed(plain.size() + crypto_box_SEALBYTES);
        REQUIRE(crypto_box_seal(sealed.data(), plain.data(), plain.size(),
                                key.public_key().data()) == 0);
        smk::secure_zero(plain);
        return sealed;
    };
    // Unchanged, it opens: the layout above is the one smk reads.
    const auto opened = transport::open_sealed(sealed_with(SIZE_MAX), key, kContext, "holder 2");
    CHECK(opened.mnemonic.text() == split.share(0, 0).text());

    auto [category, message] =
        error_of([&] { (void)transport::open_sealed(sealed_with(6), key, kContext, "holder 2"); });
    CHECK(category == smk::ErrorCategory::verification);
    CHECK(contains(message, "holder 2 names facility key"));
    std::tie(category, message) =
        error_of([&] { (void)transport::open_sealed(sealed_with(0), key, kContext, "holder 2"); });
    CHECK(category == smk::ErrorCategory::invalid_input);
    CHECK(contains(message, "is not an smk sealed share of version 1"));
    std::tie(category, message) =
        error_of([&] { (void)transport::open_sealed(sealed_with(30), key, kContext, "holder 2"); });
    CHECK(category == smk::ErrorCategory::invalid_input);
    CHECK(contains(message, "holder 2"));
}

TEST_CASE(
    "transport: the text form is read strictly: truncated, a word changed, words out of "
    "order") {
    const Split split;
    const auto key = transport::FacilityKey::generate();
    const auto sealed =
        transport::seal_share(split.share(1, 0), "share B1", key.public_key(), kContext);
    const std::string text = transport::sealed_share_text(sealed.bytes);
    const auto words = words_after_header(text);
    const auto parse_error = [](const std::string& t) {
        return error_of([&] { (void)transport::parse_sealed_share_text(t, "sealed.txt"); });
    };

    // Truncated: the last line lost.
    auto [category, message] = parse_error(text_of_words({words.begin(), words.end() - 6}));
    CHECK(category == smk::ErrorCategory::invalid_input);
    CHECK(contains(message, "sealed.txt has 128 words after its header; a sealed share has 134"));
    // One word left out in the middle: the next word is from the wrong half.
    auto dropped = words;
    dropped.erase(dropped.begin() + 40);
    std::tie(category, message) = parse_error(text_of_words(dropped));
    CHECK(contains(message,
                   "sealed.txt: word 41 is an odd-position word where an even-position "
                   "word belongs"));
    // Two neighbours swapped: caught by position.
    auto swapped = words;
    std::swap(swapped[10], swapped[11]);
    std::tie(category, message) = parse_error(text_of_words(swapped));
    CHECK(contains(message, "word 11 is an odd-position word"));
    // Two different words of the same half swapped: caught by the check.
    std::size_t other = 12;
    while (words[other] == words[10]) {
        other += 2;
    }
    auto swapped2 = words;
    std::swap(swapped2[10], swapped2[other]);
    std::tie(category, message) = parse_error(text_of_words(swapped2));
    CHECK(contains(message, "the check) do not match"));
    // One word changed to another word of its half: caught by the check.
    auto changed = words;
    const std::string replacement(
        smk::pgp_word(static_cast<std::uint8_t>(sealed.bytes[20] ^ 0x01), 20));
    changed[20] = replacement;
    std::tie(category, message) = parse_error(text_of_words(changed));
    CHECK(category == smk::ErrorCategory::invalid_input);
    CHECK(contains(message, "a word was changed, or two swapped"));
    // A word not in the list; another header; a facility key given as a sealed share.
    auto unknown = words;
    unknown[5] = "banana";
    std::tie(category, message) = parse_error(text_of_words(unknown));
    CHECK(contains(message, "word 6 is not in the PGP word list"));
    std::tie(category, message) =
        parse_error("smk-sealed-share-v2\n" + text.substr(text.find('\n')));
    CHECK(contains(message, "does not start with the line \"smk-sealed-share-v1\""));
    std::tie(category, message) = parse_error(transport::facility_key_text(key.public_key()));
    CHECK(contains(message, "sealed.txt is a facility key, not a sealed share"));
    // Either letter case, any whitespace between words: the same bytes.
    std::string upper = text;
    for (char& c : upper) {
        c = c == '\n' ? ' ' : c;
    }
    upper = "  \n" + std::string(transport::kSealedShareHeader) + "\n" +
            upper.substr(transport::kSealedShareHeader.size() + 1);
    CHECK(transport::parse_sealed_share_text(upper, "s") == sealed.bytes);
}

// --- the docs' independent scripts (docs/transport/*.py, PyNaCl) ------------------

namespace {

const std::string kScripts = std::string(SMK_SOURCE_DIR) + "/docs/transport/";

smk_test::ProcessResult python(std::vector<std::string> args) {
    args.insert(args.begin(), "/usr/bin/python3");
    return smk_test::run_process(smk_test::Command(std::move(args)), {});
}

void require_pynacl() {
    const auto probe = python({"-c", "import nacl.public"});
    REQUIRE_MESSAGE(probe.shell_status() == 0,
                    "python3-nacl (PyNaCl) is missing: scripts/install-deps.sh installs it; the "
                    "docs' independent check of the sealed-share format needs it: "
                        << probe.err);
}

}  // namespace

TEST_CASE("transport: open_sealed.py (PyNaCl) opens a share smk sealed") {
    require_pynacl();
    const Split split;
    const smk_test::TempDir dir("transport");
    const auto key = transport::FacilityKey::generate();
    const auto sealed =
        transport::seal_share(split.share(1, 4), "share B5", key.public_key(), kContext);
    smk_test::write_file(dir.path() / "sealed.txt", transport::sealed_share_text(sealed.bytes));
    const auto private_hex = smk::to_hex_secret(transport::FacilityKeyAccess::private_key(key));
    smk_test::write_file(dir.path() / "facility.key", std::string(private_hex.text()) + "\n");

    const auto run = python({kScripts + "open_sealed.py", "--private-key-file",
                             (dir.path() / "facility.key").string(), "--context", kContext,
                             (dir.path() / "sealed.txt").string()});
    INFO("stderr: " << run.err);
    REQUIRE(run.shell_status() == 0);
    const auto record = smk::card::encode_share_record(split.share(1, 4).text(), "share B5");
    const auto record_hex = smk::to_hex_secret(record.bytes());
    CHECK(contains(run.out, "sealed_bytes: 132\n"));
    CHECK(contains(run.out, "magic: SMKT\nversion: 1\n"));
    CHECK(contains(run.out, "fingerprint: " + smk::to_hex(key.fingerprint()) + "\n"));
    CHECK(contains(run.out, "fingerprint_matches_key: True\n"));
    CHECK(contains(run.out, "identifier: " + std::to_string(split.result.identifier) + "\n"));
    CHECK(contains(run.out, "context_matches: True\n"));
    CHECK(contains(run.out, "record_set: B\nrecord_index: 5\nrecord_check_ok: True\n"));
    CHECK(contains(run.out, "record_hex: " + std::string(record_hex.text()) + "\n"));
}

TEST_CASE("transport: smk opens a share seal_share.py (PyNaCl) sealed, and checks its bindings") {
    require_pynacl();
    const Split split;
    const smk_test::TempDir dir("transport");
    const auto key = transport::FacilityKey::generate();
    smk_test::write_file(dir.path() / "facility.txt",
                         transport::facility_key_text(key.public_key()));
    const auto record = smk::card::encode_share_record(split.share(0, 1).text(), "share A2");
    smk_test::write_file(dir.path() / "record.hex",
                         std::string(smk::to_hex_secret(record.bytes()).text()) + "\n");
    const auto seal = [&](const std::string& identifier, const std::string& context) {
        const auto run = python({kScripts + "seal_share.py", "--record-file",
                                 (dir.path() / "record.hex").string(), "--to",
                                 (dir.path() / "facility.txt").string(), "--identifier", identifier,
                                 "--context", context});
        INFO("stderr: " << run.err);
        REQUIRE(run.shell_status() == 0);
        return run.out;
    };
    const std::string text = seal(std::to_string(split.result.identifier), kContext);
    const auto opened =
        transport::open_sealed(transport::parse_sealed_share_text(text, "sealed by PyNaCl"), key,
                               kContext, "sealed by PyNaCl", {split.result.identifier, 0});
    CHECK(opened.mnemonic.text() == split.share(0, 1).text());

    // The same script with another context, or a header identifier that is not the
    // share's: refused.
    const std::string other_context = seal(std::to_string(split.result.identifier), "other");
    auto [category, message] = error_of([&] {
        (void)transport::open_sealed(transport::parse_sealed_share_text(other_context, "s"), key,
                                     kContext, "s");
    });
    CHECK(contains(message, "sealed for another ceremony context"));
    const std::string other_id = seal(std::to_string(split.result.identifier ^ 1U), kContext);
    std::tie(category, message) = error_of([&] {
        (void)transport::open_sealed(transport::parse_sealed_share_text(other_id, "s"), key,
                                     kContext, "s");
    });
    CHECK(category == smk::ErrorCategory::invalid_input);
    CHECK(contains(message, "its header says identifier"));
}
