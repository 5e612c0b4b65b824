// The attestation message, byte for byte (docs/FORMAT.md section 9), the
// context rules, challenges, public keys in PEM and DER, and the signature
// check against RSASSA-PKCS1-v1_5 SHA-256 signatures made by OpenSSL itself
// (no card: the card's side is tests/cardsim/test_card_keys.cpp and the
// end-to-end tests in test_card_attest.cpp).

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <string>
#include <vector>

#include "smk/card.hpp"
#include "smk/error.hpp"

namespace {

using smk::card::Challenge;

std::span<const std::uint8_t> bytes_of(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

struct TestKey {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{nullptr, &EVP_PKEY_free};

    explicit TestKey(unsigned bits) { key.reset(EVP_RSA_gen(bits)); }

    [[nodiscard]] std::string public_pem() const {
        std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
        REQUIRE(PEM_write_bio_PUBKEY(bio.get(), key.get()) == 1);
        char* data = nullptr;
        const long len = BIO_get_mem_data(bio.get(), &data);
        return {data, static_cast<std::size_t>(len)};
    }
    [[nodiscard]] std::vector<std::uint8_t> public_der() const {
        std::vector<std::uint8_t> der(static_cast<std::size_t>(i2d_PUBKEY(key.get(), nullptr)));
        unsigned char* p = der.data();
        REQUIRE(i2d_PUBKEY(key.get(), &p) == static_cast<int>(der.size()));
        return der;
    }
    // What `openssl dgst -sha256 -sign` makes.
    [[nodiscard]] std::vector<std::uint8_t> sign(std::string_view message) const {
        std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                    &EVP_MD_CTX_free);
        EVP_PKEY_CTX* pctx = nullptr;
        REQUIRE(EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key.get()) == 1);
        REQUIRE(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1);
        std::size_t len = 0;
        const auto* data = reinterpret_cast<const unsigned char*>(message.data());
        REQUIRE(EVP_DigestSign(ctx.get(), nullptr, &len, data, message.size()) == 1);
        std::vector<std::uint8_t> sig(len);
        REQUIRE(EVP_DigestSign(ctx.get(), sig.data(), &len, data, message.size()) == 1);
        return sig;
    }
};

bool invalid_context(std::string_view context) {
    try {
        smk::card::check_attest_context(context);
        return false;
    } catch (const smk::Error& e) {
        return e.category() == smk::ErrorCategory::invalid_input;
    }
}

}  // namespace

TEST_CASE("attestation message: the exact bytes of docs/FORMAT.md") {
    Challenge challenge{};
    for (std::size_t i = 0; i < challenge.size(); ++i) {
        challenge[i] = static_cast<std::uint8_t>(i * 7 + 1);
    }
    const std::string hex = "01080f161d242b323940474e555c636a71787f868d949ba2a9b0b7bec5ccd3da";
    CHECK(smk::card::attestation_message("FFFF:5AC00000", "", challenge) ==
          "smk-attest-v1\ncard: FFFF:5AC00000\nchallenge: " + hex + "\n");
    CHECK(smk::card::attestation_message("FFFF:5AC00000", "inventory 2027 \xC3\xA9t\xC3\xA9",
                                         challenge) ==
          "smk-attest-v1\ncard: FFFF:5AC00000\ncontext: inventory 2027 \xC3\xA9t\xC3\xA9\n"
          "challenge: " +
              hex + "\n");
    CHECK(smk::card::parse_challenge(hex) == challenge);
    CHECK(smk::card::parse_challenge("01080F161D242B323940474E555C636A71787F868D949BA2A9B0B7BEC5CC"
                                     "D3DA") == challenge);
    CHECK_THROWS_AS((void)smk::card::parse_challenge(hex.substr(2)), smk::Error);
    CHECK_THROWS_AS((void)smk::card::parse_challenge(hex.substr(2) + "zz"), smk::Error);
    CHECK(smk::card::fresh_challenge() != smk::card::fresh_challenge());
}

TEST_CASE("attestation context: one line of printable UTF-8 - at most 200 bytes") {
    CHECK_FALSE(invalid_context(""));
    CHECK_FALSE(invalid_context("plan 3f2a issuance 2026-12-06"));
    CHECK_FALSE(invalid_context(std::string(200, 'x')));
    CHECK_FALSE(invalid_context("\xE2\x82\xAC 100"));  // the euro sign
    CHECK(invalid_context(std::string(201, 'x')));
    CHECK(invalid_context("two\nlines"));
    CHECK(invalid_context("tab\there"));
    CHECK(invalid_context("cr\r"));
    CHECK(invalid_context("del\x7F"));
    CHECK(invalid_context("c1 \xC2\x85"));  // NEL, a C1 control
    CHECK(invalid_context("\xC3"));         // truncated sequence
    CHECK(invalid_context("\xFF"));
    CHECK(invalid_context("\xC0\xAF"));  // overlong
    CHECK_THROWS_AS((void)smk::card::attestation_message("FFFF:5AC00000", "a\nb", Challenge{}),
                    smk::Error);
}

TEST_CASE("public keys: PEM and DER of RSA keys - others refused naming the source") {
    const TestKey key(2048);
    const std::string pem = key.public_pem();
    const smk::card::PublicKey from_pem = smk::card::parse_public_key(bytes_of(pem), "card.pem");
    const smk::card::PublicKey from_der = smk::card::parse_public_key(key.public_der(), "card.der");
    CHECK(from_pem == from_der);
    CHECK(from_pem.der == key.public_der());
    CHECK(from_pem.pem() == pem);
    CHECK(from_pem.bits() == 2048);
    CHECK(from_pem.sha256_hex().size() == 64);

    try {
        (void)smk::card::parse_public_key(bytes_of("not a key\n"), "junk.pem");
        FAIL("junk accepted as a public key");
    } catch (const smk::Error& e) {
        CHECK(e.category() == smk::ErrorCategory::invalid_input);
        CHECK(std::string(e.what()).find("junk.pem") != std::string::npos);
    }
    const TestKey small(1024);
    CHECK_THROWS_AS((void)smk::card::parse_public_key(small.public_der(), "small.der"), smk::Error);
}

TEST_CASE("attestation check: a signature by the key verifies - another key or message does not") {
    const TestKey key(2048);
    const TestKey other(2048);
    const auto expected = smk::card::parse_public_key(key.public_der(), "key");
    const auto foreign = smk::card::parse_public_key(other.public_der(), "other");
    Challenge challenge{};
    challenge[0] = 1;
    const std::string message = smk::card::attestation_message("FFFF:00000001", "", challenge);
    const auto signature = key.sign(message);
    CHECK(smk::card::attestation_valid(expected, message, signature));
    CHECK_FALSE(smk::card::attestation_valid(foreign, message, signature));
    challenge[0] = 2;
    const std::string other_challenge =
        smk::card::attestation_message("FFFF:00000001", "", challenge);
    CHECK_FALSE(smk::card::attestation_valid(expected, other_challenge, signature));
    CHECK_FALSE(smk::card::attestation_valid(expected, message, {}));

    smk::card::Attestation answer;
    answer.card = "card FFFF:00000001 in \"reader\"";
    answer.serial = "FFFF:00000001";
    answer.message = message;
    answer.signature = other.sign(message);
    answer.card_key = foreign;
    CHECK_NOTHROW(smk::card::check_attestation(foreign, answer));
    try {
        smk::card::check_attestation(expected, answer);
        FAIL("an answer by another key was accepted");
    } catch (const smk::Error& e) {
        CHECK(e.category() == smk::ErrorCategory::verification);
        const std::string what = e.what();
        CHECK(what.find("attestation FAILED for card FFFF:00000001") != std::string::npos);
        CHECK(what.find(foreign.sha256_hex()) != std::string::npos);
        CHECK(what.find(expected.sha256_hex()) != std::string::npos);
    }
}
