// The PKCS#11 layer and the token share store through the library, on a
// private SoftHSM2 per test case.

#include <doctest/doctest.h>

#include "cli/fixtures.hpp"
#include "smk/pkcs11.hpp"
#include "smk/share_record.hpp"
#include "token_raw.hpp"

namespace {

using smk::ErrorCategory;
using smk::card::StoredState;
using namespace smk_test;

smk::Secret record_of(const std::string& mnemonic) {
    return smk::card::encode_share_record(mnemonic, "test share");
}

void create_data_object(smk::pkcs11::SessionImpl& s, const std::string& value) {
    CK_OBJECT_CLASS data = CKO_DATA;
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE object_template[] = {
        smk::pkcs11::attribute(CKA_CLASS, data),
        smk::pkcs11::attribute(CKA_TOKEN, yes),
        smk::pkcs11::attribute(CKA_PRIVATE, yes),
        smk::pkcs11::attribute_text(CKA_APPLICATION, "smk"),
        smk::pkcs11::attribute_text(CKA_VALUE, value),
    };
    CK_OBJECT_HANDLE object = CK_INVALID_HANDLE;
    REQUIRE(s.f().C_CreateObject(s.handle, object_template, std::size(object_template), &object) ==
            CKR_OK);
}

}  // namespace

TEST_CASE("module lists its tokens with label serial and flags") {
    SoftHsm hsm({"hsm-a:123456", "hsm-b:123456"});
    const smk::pkcs11::Module module(kSoftHsmModule);
    CHECK(module.path() == kSoftHsmModule);
    const auto tokens = module.tokens();
    std::vector<std::string> labels;
    for (const auto& token : tokens) {
        if (token.initialized) {
            labels.push_back(token.label);
            CHECK(token.manufacturer == "SoftHSM project");
            CHECK(token.model == "SoftHSM v2");
            CHECK(token.serial.size() == 16);
            CHECK(token.login_required);
            CHECK(token.user_pin_set);
            CHECK_FALSE(token.user_pin_locked);
        }
    }
    std::sort(labels.begin(), labels.end());
    CHECK(labels == std::vector<std::string>{"hsm-a", "hsm-b"});
    // SoftHSM2 always offers one more, uninitialised token.
    CHECK(tokens.size() == 3);
}

TEST_CASE("token share store round trip write read wipe through the library") {
    SoftHsm hsm({"rksh-1:123456"});
    const SplitRun split;
    const std::string mnemonic = split.mnemonic('A', 4);
    OpenToken token("rksh-1");
    CHECK(token.session.name().find("token \"rksh-1\" (serial ") == 0);
    smk::pkcs11::TokenShareStore store(token.session);
    CHECK(store.read_share().state == StoredState::empty);

    const smk::Secret record = record_of(mnemonic);
    store.write_record(record.bytes(), false);
    const auto stored = store.read_share();
    REQUIRE(stored.state == StoredState::valid);
    REQUIRE(stored.record.has_value());
    CHECK(stored.bytes == record.size());
    CHECK(stored.record->mnemonic.text() == mnemonic);
    CHECK(stored.record->info.member_index == 3);
    CHECK(static_cast<int>(stored.record->info.identifier) == split.identifier());
    const smk::Secret raw = store.read_raw();
    CHECK(smk::constant_time_equal(raw.bytes(), record.bytes()));

    // The object is what FORMAT.md section 5 says.
    auto& s = token.raw();
    CK_OBJECT_CLASS data = CKO_DATA;
    CK_ATTRIBUTE match[] = {smk::pkcs11::attribute(CKA_CLASS, data)};
    const auto objects = smk::pkcs11::find_objects(s, match);
    REQUIRE(objects.size() == 1);
    CHECK(smk::pkcs11::get_bool(s, objects[0], CKA_TOKEN) == true);
    CHECK(smk::pkcs11::get_bool(s, objects[0], CKA_PRIVATE) == true);
    const auto label = smk::pkcs11::get_attribute(s, objects[0], CKA_LABEL);
    REQUIRE(label.has_value());
    CHECK(std::string(label->begin(), label->end()) == "smk share");
    const auto application = smk::pkcs11::get_attribute(s, objects[0], CKA_APPLICATION);
    REQUIRE(application.has_value());
    CHECK(std::string(application->begin(), application->end()) == "smk");

    store.wipe();
    CHECK(store.read_share().state == StoredState::empty);
    CHECK(smk::pkcs11::find_objects(s, match).empty());
    CHECK(error_category([&] { (void)store.read_raw(); }) == ErrorCategory::verification);
}

TEST_CASE("token share store refuses to overwrite without the flag and keeps the old record") {
    SoftHsm hsm({"rksh-2:123456"});
    const SplitRun split;
    OpenToken token("rksh-2");
    smk::pkcs11::TokenShareStore store(token.session);
    const smk::Secret first = record_of(split.mnemonic('A', 1));
    const smk::Secret second = record_of(split.mnemonic('B', 2));
    store.write_record(first.bytes(), false);
    std::string message;
    CHECK(error_category([&] { store.write_record(second.bytes(), false); }, &message) ==
          ErrorCategory::refused);
    CHECK(message.find("--overwrite") != std::string::npos);
    CHECK(message.find("token \"rksh-2\"") != std::string::npos);
    CHECK(store.read_share().record->mnemonic.text() == split.mnemonic('A', 1));

    store.write_record(second.bytes(), true);
    const auto stored = store.read_share();
    REQUIRE(stored.state == StoredState::valid);
    CHECK(stored.record->mnemonic.text() == split.mnemonic('B', 2));
}

TEST_CASE("wrong PIN gives a verification error naming the token") {
    SoftHsm hsm({"rksh-3:123456"});
    const smk::pkcs11::Module module(kSoftHsmModule);
    smk::pkcs11::Session session(module, "rksh-3");
    const auto wrong = smk::Secret::copy_of(std::vector<std::uint8_t>{'9', '9', '9', '9'});
    std::string message;
    CHECK(error_category([&] { session.login(wrong); }, &message) == ErrorCategory::verification);
    CHECK(message.find("wrong PIN for token \"rksh-3\" (serial ") == 0);
    CHECK(message.find("CKR_PIN_INCORRECT") != std::string::npos);
}

TEST_CASE("a token label that is not present is named with the labels present") {
    SoftHsm hsm({"hsm-a:123456", "hsm-b:123456"});
    const smk::pkcs11::Module module(kSoftHsmModule);
    std::string message;
    CHECK(error_category([&] { smk::pkcs11::Session session(module, "hsm-c"); }, &message) ==
          ErrorCategory::usage);
    CHECK(message.find("no token labelled \"hsm-c\"") != std::string::npos);
    CHECK(message.find("\"hsm-a\"") != std::string::npos);
    CHECK(message.find("\"hsm-b\"") != std::string::npos);
    CHECK(message.find(kSoftHsmModule) != std::string::npos);
    // A label is matched exactly, not as a prefix.
    CHECK(error_category([&] { smk::pkcs11::Session session(module, "hsm"); }) ==
          ErrorCategory::usage);
}

TEST_CASE("a missing module path is an io error naming the path") {
    std::string message;
    CHECK(error_category([&] { smk::pkcs11::Module module("/nonexistent/libnone.so"); },
                         &message) == ErrorCategory::io);
    CHECK(message.find("/nonexistent/libnone.so") != std::string::npos);
    CHECK(message.find("--pkcs11-module") != std::string::npos);
}

TEST_CASE("a file that is not a PKCS#11 module is a device error") {
    CHECK(error_category([&] { smk::pkcs11::Module module("/etc/hostname"); }) ==
          ErrorCategory::device);
}

TEST_CASE("garbage data objects read as garbage with the problem named") {
    SoftHsm hsm({"rksh-4:123456"});
    const SplitRun split;
    OpenToken token("rksh-4");
    smk::pkcs11::TokenShareStore store(token.session);
    create_data_object(token.raw(), "not a share record");
    auto stored = store.read_share();
    CHECK(stored.state == StoredState::garbage);
    CHECK(stored.bytes == 18);
    CHECK_FALSE(stored.record.has_value());
    CHECK(stored.problem.find("token \"rksh-4\"") != std::string::npos);
    // Refused without the flag, replaced with it.
    const smk::Secret record = record_of(split.mnemonic('A', 5));
    CHECK(error_category([&] { store.write_record(record.bytes(), false); }) ==
          ErrorCategory::refused);
    store.write_record(record.bytes(), true);
    CHECK(store.read_share().state == StoredState::valid);

    // Two smk objects on one token: garbage, named.
    create_data_object(token.raw(), "second");
    stored = store.read_share();
    CHECK(stored.state == StoredState::garbage);
    CHECK(stored.problem.find("2 smk data objects") != std::string::npos);
    store.wipe();
    CHECK(store.read_share().state == StoredState::empty);
}

TEST_CASE("two tokens with the same label are refused naming both serials") {
    SoftHsm hsm({"twin:123456"});
    REQUIRE(run_process(Command({"softhsm2-util", "--init-token", "--free", "--label", "twin",
                                 "--pin", "123456", "--so-pin", "12345678"}))
                .shell_status() == 0);
    const smk::pkcs11::Module module(kSoftHsmModule);
    std::vector<std::string> serials;
    for (const auto& token : module.tokens()) {
        if (token.label == "twin") {
            serials.push_back(token.serial);
        }
    }
    REQUIRE(serials.size() == 2);
    std::string message;
    CHECK(error_category([&] { smk::pkcs11::Session session(module, "twin"); }, &message) ==
          ErrorCategory::usage);
    CHECK(message.find("2 tokens are labelled \"twin\"") != std::string::npos);
    CHECK(message.find(serials[0]) != std::string::npos);
    CHECK(message.find(serials[1]) != std::string::npos);
}
