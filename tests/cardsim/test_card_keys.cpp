// In-process tests of the emulated authentication key (no PC/SC): GENERATE
// ASYMMETRIC KEY PAIR needs PW3, INTERNAL AUTHENTICATE needs PW1 in mode 82
// and answers a PKCS#1 v1.5 signature OpenSSL verifies, the key survives a
// restart through the state file and goes with a factory reset, and the
// fingerprint and time DOs the host writes read back in C5, CD and DE.
#include <doctest/doctest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <memory>
#include <vector>

#include "card_state.hpp"
#include "openpgp_card.hpp"
#include "support/temp_dir.hpp"

namespace {

using Bytes = std::vector<std::uint8_t>;

struct Answer {
    Bytes data;
    std::uint16_t sw = 0;
};

Answer send(smk::cardsim::OpenPgpCard& card, Bytes apdu) {
    const smk::Secret r = card.process(apdu);
    Answer a;
    a.data.assign(r.data(), r.data() + r.size() - 2);
    a.sw = static_cast<std::uint16_t>((r.data()[r.size() - 2] << 8) | r.data()[r.size() - 1]);
    return a;
}

Bytes with_data(Bytes header, const Bytes& data, bool le) {
    header.push_back(static_cast<std::uint8_t>(data.size()));
    header.insert(header.end(), data.begin(), data.end());
    if (le) {
        header.push_back(0x00);
    }
    return header;
}

Bytes pin(const char* text) {
    return Bytes(text, text + std::char_traits<char>::length(text));
}

// Extended Le so the whole 7F49 comes in one answer.
Bytes generate_apdu(std::uint8_t p1) {
    return {0x00, 0x47, p1, 0x00, 0x00, 0x00, 0x02, 0xA4, 0x00, 0x00, 0x00};
}

// The modulus (81) and exponent (82) of a 7F49 template.
std::pair<Bytes, Bytes> rsa_fields(const Bytes& t) {
    REQUIRE(t.size() > 10);
    REQUIRE(t[0] == 0x7F);
    REQUIRE(t[1] == 0x49);
    std::size_t pos = t[2] == 0x82 ? 5 : (t[2] == 0x81 ? 4 : 3);
    Bytes n;
    Bytes e;
    while (pos + 2 <= t.size()) {
        const std::uint8_t tag = t[pos++];
        std::size_t len = t[pos++];
        if (len == 0x82) {
            len = (static_cast<std::size_t>(t[pos]) << 8) | t[pos + 1];
            pos += 2;
        } else if (len == 0x81) {
            len = t[pos++];
        }
        (tag == 0x81 ? n : e)
            .assign(t.begin() + static_cast<long>(pos), t.begin() + static_cast<long>(pos + len));
        pos += len;
    }
    return {n, e};
}

// OpenSSL's verdict on a PKCS#1 v1.5 signature of `data` (no hashing: the data
// is the DigestInfo the card was given).
bool openssl_verifies(const Bytes& templ, const Bytes& data, const Bytes& sig) {
    const auto [n, e] = rsa_fields(templ);
    BIGNUM* bn_n = BN_bin2bn(n.data(), static_cast<int>(n.size()), nullptr);
    BIGNUM* bn_e = BN_bin2bn(e.data(), static_cast<int>(e.size()), nullptr);
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e);
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX* from = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
    EVP_PKEY* key = nullptr;
    EVP_PKEY_fromdata_init(from);
    EVP_PKEY_fromdata(from, &key, EVP_PKEY_PUBLIC_KEY, params);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key, nullptr);
    const bool ok = EVP_PKEY_verify_init(ctx) == 1 &&
                    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
                    EVP_PKEY_verify(ctx, sig.data(), sig.size(), data.data(), data.size()) == 1;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    EVP_PKEY_CTX_free(from);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    return ok;
}

const Bytes kSelect = {0x00, 0xA4, 0x04, 0x00, 0x06, 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01};

}  // namespace

TEST_CASE("authentication key: generation needs PW3 - signing needs PW1 in mode 82") {
    smk_test::TempDir dir;
    const auto file = dir.path() / "card.state";
    const auto serial = smk::cardsim::parse_serial("0000A0A4");
    smk::cardsim::OpenPgpCard card({}, smk::cardsim::CardState::factory(serial), file);
    REQUIRE(send(card, kSelect).sw == 0x9000);

    CHECK(send(card, generate_apdu(0x81)).sw == 0x6A88);  // no key yet
    CHECK(send(card, generate_apdu(0x80)).sw == 0x6982);  // PW3 not verified
    REQUIRE(send(card, with_data({0x00, 0x20, 0x00, 0x83}, pin("12345678"), false)).sw == 0x9000);
    // Only the authentication slot generates (no PSO here).
    CHECK(send(card, {0x00, 0x47, 0x80, 0x00, 0x02, 0xB6, 0x00, 0x00}).sw == 0x6A81);
    const Answer generated = send(card, generate_apdu(0x80));
    REQUIRE(generated.sw == 0x9000);
    const auto [n, e] = rsa_fields(generated.data);
    CHECK(n.size() == 256);
    CHECK(e == Bytes{0x01, 0x00, 0x01});
    CHECK(send(card, generate_apdu(0x81)).data == generated.data);

    const Bytes digest_info(51, 0x5A);
    const Bytes authenticate = with_data({0x00, 0x88, 0x00, 0x00}, digest_info, true);
    CHECK(send(card, authenticate).sw == 0x6982);  // no PIN
    REQUIRE(send(card, with_data({0x00, 0x20, 0x00, 0x81}, pin("123456"), false)).sw == 0x9000);
    CHECK(send(card, authenticate).sw == 0x6982);  // mode 81 is for signing only
    REQUIRE(send(card, with_data({0x00, 0x20, 0x00, 0x82}, pin("123456"), false)).sw == 0x9000);
    const Answer signature = send(card, authenticate);
    REQUIRE(signature.sw == 0x9000);
    CHECK(signature.data.size() == 256);
    CHECK(openssl_verifies(generated.data, digest_info, signature.data));
    CHECK_FALSE(openssl_verifies(generated.data, Bytes(51, 0x5B), signature.data));
    // More than 40 % of the modulus is refused.
    CHECK(send(card, with_data({0x00, 0x88, 0x00, 0x00}, Bytes(103, 1), true)).sw == 0x6700);
    CHECK(send(card, {0x00, 0x88, 0x01, 0x00, 0x01, 0x00, 0x00}).sw == 0x6A86);

    // Fingerprint and time: PW3, exact lengths, shown in C5 / CD / DE.
    CHECK(send(card, with_data({0x00, 0xDA, 0x00, 0xC9}, Bytes(19, 0xAB), false)).sw == 0x6700);
    REQUIRE(send(card, with_data({0x00, 0xDA, 0x00, 0xC9}, Bytes(20, 0xAB), false)).sw == 0x9000);
    REQUIRE(send(card, with_data({0x00, 0xDA, 0x00, 0xD0}, Bytes{1, 2, 3, 4}, false)).sw == 0x9000);
    const Answer c5 = send(card, {0x00, 0xCA, 0x00, 0xC5, 0x00});
    REQUIRE(c5.data.size() == 60);
    CHECK(Bytes(c5.data.begin() + 40, c5.data.end()) == Bytes(20, 0xAB));
    CHECK(Bytes(c5.data.begin(), c5.data.begin() + 40) == Bytes(40, 0));
    CHECK(send(card, {0x00, 0xCA, 0x00, 0xCD, 0x00}).data ==
          Bytes{0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4});
    CHECK(send(card, {0x00, 0xCA, 0x00, 0xDE, 0x00}).data == Bytes{1, 0, 2, 0, 3, 1});
    REQUIRE(send(card, kSelect).sw == 0x9000);  // clears PW3
    CHECK(send(card, with_data({0x00, 0xDA, 0x00, 0xC9}, Bytes(20, 0xAB), false)).sw == 0x6982);

    // The key is in the state file: a restarted emulator signs with it.
    const auto loaded = smk::cardsim::load_state(file);
    REQUIRE(loaded.has_value());
    REQUIRE(loaded->keys.count(0xA4) == 1);
    smk::cardsim::OpenPgpCard restarted({}, smk::cardsim::load_state(file).value(), file);
    REQUIRE(send(restarted, kSelect).sw == 0x9000);
    CHECK(send(restarted, generate_apdu(0x81)).data == generated.data);
    REQUIRE(send(restarted, with_data({0x00, 0x20, 0x00, 0x82}, pin("123456"), false)).sw ==
            0x9000);
    const Answer again = send(restarted, authenticate);
    CHECK(again.sw == 0x9000);
    CHECK(openssl_verifies(generated.data, digest_info, again.data));

    // A new key replaces the old one and forgets its fingerprint and time.
    REQUIRE(send(restarted, with_data({0x00, 0x20, 0x00, 0x83}, pin("12345678"), false)).sw ==
            0x9000);
    const Answer second = send(restarted, generate_apdu(0x80));
    REQUIRE(second.sw == 0x9000);
    CHECK(second.data != generated.data);
    CHECK(send(restarted, {0x00, 0xCA, 0x00, 0xC5, 0x00}).data == Bytes(60, 0));

    // TERMINATE DF + ACTIVATE FILE: factory state, no key.
    REQUIRE(send(restarted, {0x00, 0xE6, 0x00, 0x00}).sw == 0x9000);
    REQUIRE(send(restarted, {0x00, 0x44, 0x00, 0x00}).sw == 0x9000);
    REQUIRE(send(restarted, kSelect).sw == 0x9000);
    CHECK(send(restarted, generate_apdu(0x81)).sw == 0x6A88);
    CHECK(send(restarted, {0x00, 0xCA, 0x00, 0xDE, 0x00}).data == Bytes{1, 0, 2, 0, 3, 0});
    CHECK(smk::cardsim::load_state(file)->keys.empty());
}
