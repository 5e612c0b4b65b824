// A PKCS#11 token through the one smk::ShareStore interface (smk/share_store.hpp)
// that `smk card` uses for cards and tokens alike: pkcs11::TokenStore.

#include <doctest/doctest.h>

#include <memory>

#include "cli/fixtures.hpp"
#include "smk/pkcs11.hpp"
#include "smk/share_record.hpp"
#include "smk/share_store.hpp"
#include "token_raw.hpp"

namespace {

using smk::ErrorCategory;
using smk::card::StoredState;
using namespace smk_test;

smk::Secret pin_secret(const std::string& pin) {
    return smk::Secret::copy_of({reinterpret_cast<const std::uint8_t*>(pin.data()), pin.size()});
}

}  // namespace

TEST_CASE("a token as a ShareStore: name, ids, unlock, write, read, wipe") {
    SoftHsm hsm({"rksh-7:123456"});
    const SplitRun split;
    const std::string mnemonic = split.mnemonic('A', 2);
    const std::unique_ptr<smk::ShareStore> store =
        std::make_unique<smk::pkcs11::TokenStore>(kSoftHsmModule, "rksh-7");
    CHECK(store->kind() == "token");
    CHECK(store->name().find("token \"rksh-7\" (serial ") == 0);
    const auto ids = store->ids();
    REQUIRE(ids.size() == 2);
    CHECK(ids[0] == std::pair<std::string, std::string>{"token", "rksh-7"});
    CHECK(ids[1].first == "serial");
    CHECK(ids[1].second.size() == 16);
    CHECK(store->empty_text() == "no smk data object");
    store->require_capacity(1000);  // a token takes any record size
    store->refuse_last_try(false);  // a fresh token has all its tries

    std::string message;
    CHECK(error_category([&] { store->unlock(pin_secret("999999"), false); }, &message) ==
          ErrorCategory::verification);
    CHECK(message.find("wrong PIN for token \"rksh-7\"") != std::string::npos);
    store->unlock(pin_secret(kPin), false);

    CHECK(store->read_share().state == StoredState::empty);
    const smk::Secret record = smk::card::encode_share_record(mnemonic, "test share");
    store->write_record(record.bytes(), false);
    CHECK(error_category([&] { store->write_record(record.bytes(), false); }) ==
          ErrorCategory::refused);
    const auto stored = store->read_share();
    REQUIRE(stored.state == StoredState::valid);
    REQUIRE(stored.record.has_value());
    CHECK(stored.record->mnemonic.text() == mnemonic);

    store->wipe();
    CHECK(store->read_share().state == StoredState::empty);
    CHECK(store->wiped_text() ==
          "wiped the smk data object of " + store->name() + "; none is left");
}

TEST_CASE("a TokenStore for a label no token has names the labels present") {
    SoftHsm hsm({"rksh-8:123456"});
    std::string message;
    CHECK(error_category([&] { smk::pkcs11::TokenStore store(kSoftHsmModule, "rksh-9"); },
                         &message) == ErrorCategory::usage);
    CHECK(message.find("\"rksh-9\"") != std::string::npos);
    CHECK(message.find("\"rksh-8\"") != std::string::npos);
}
