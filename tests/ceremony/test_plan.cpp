// The ceremony plan (include/smk/ceremony/plan.hpp): the example in docs/examples
// parses, and every validation rule rejects a plan with an error naming the field
// path. One test case per rule.

#include <doctest/doctest.h>

#include <cctype>
#include <cstdio>
#include <string>
#include <vector>

#include "ceremony/ceremony_test_util.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/error.hpp"

namespace {

namespace cer = smk::ceremony;
using smk_test::replaced;

const std::filesystem::path kPlanFile = "/srv/ceremony/plan.toml";

cer::Plan parse(const std::string& text) {
    return cer::parse_plan(text, kPlanFile);
}

// Parsing `text` fails with invalid_input and a message containing `path` and `what`.
void check_rejected(const std::string& text, const std::string& path, const std::string& what) {
    try {
        (void)parse(text);
        FAIL("the plan was accepted; expected an error at " << path);
    } catch (const smk::Error& e) {
        const std::string message = e.what();
        INFO("message: " << message);
        CHECK(e.category() == smk::ErrorCategory::invalid_input);
        CHECK(message.find("plan /srv/ceremony/plan.toml") != std::string::npos);
        CHECK(message.find(path) != std::string::npos);
        CHECK(message.find(what) != std::string::npos);
    }
}

const std::string kHolder7 =
    "[[holders]]\n"
    "name = \"Holder Seven\"\n"
    "# pin_file = \"/run/ceremony/holder-7-pin\"\n"
    "cards = [ { set = \"A\", index = 7, serial = \"FFFF:5AC00007\", bag = \"TEB-100007\" },\n"
    "          { set = \"B\", index = 7, serial = \"FFFF:5AC0000E\", bag = \"TEB-100007\" } ]\n";

}  // namespace

TEST_CASE("plan: the example plan parses with every field in place") {
    const auto plan = parse(smk_test::example_plan_text());
    CHECK(plan.name == "SMK issuance, Wellington, 2026-12-01");
    CHECK(plan.transcript == "/srv/ceremony/smk-ceremony.transcript.jsonl");
    CHECK(plan.key_label == "SMK");
    CHECK(plan.key_id == "01");
    REQUIRE(plan.facilities.size() == 2);
    CHECK(plan.facilities[0].name == "WELLINGTON");
    CHECK(plan.facilities[0].module == "/usr/lib/softhsm/libsofthsm2.so");
    CHECK(plan.facilities[0].tokens.at(0).label == "hsm-wellington");
    CHECK(plan.facilities[1].application_backup ==
          "/media/smk/AUCKLAND/hsm-backup/application-keys.wrapped");
    CHECK(plan.facilities[1].application_backup_sha256 ==
          "3f1c6d0e9a8b7c5d4e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d");
    CHECK_FALSE(plan.facilities[1].replace_application_keys);
    CHECK(plan.facilities[0].application_backup.empty());
    REQUIRE(plan.drive_holding(plan.facilities[1].application_backup) != nullptr);
    CHECK(plan.drive_holding(plan.facilities[1].application_backup)->name == "AUCKLAND");
    REQUIRE(plan.holders.size() == 7);
    CHECK(plan.holders[2].name == "Holder Three");
    CHECK(plan.holders[2].number == 3);
    CHECK(plan.holders[2].cards[1].set == 1);
    CHECK(plan.holders[2].cards[1].index == 3);
    CHECK(plan.holders[2].cards[1].serial == "FFFF:5AC0000A");
    CHECK(plan.holders[2].cards[1].bag == "TEB-100003");
    CHECK(plan.backup_source == "/var/lib/hsm-backup/");
    REQUIRE(plan.application_keys.has_value());
    CHECK(plan.application_keys->labels == std::vector<std::string>{"KSK"});
    CHECK(&plan.application_facility() == &plan.facilities[0]);
    CHECK(plan.application_token() == "hsm-wellington");
    CHECK(plan.application_backup_path() ==
          "/var/lib/hsm-backup/hsm-backup/application-keys.wrapped");
    CHECK(plan.public_key_path("KSK") == "/var/lib/hsm-backup/hsm-backup/KSK.public.der");
    REQUIRE(plan.drives.size() == 4);
    CHECK(plan.drives[0].name == "MASTER");
    CHECK(plan.drives[3].mount == "/media/smk/AUCKLAND");
    CHECK_FALSE(plan.identifier.has_value());
    CHECK_FALSE(plan.kcv.has_value());
    const cer::Holder* holder = nullptr;
    const auto* card = plan.card_by_serial("ffff:5ac0000c", &holder);
    REQUIRE(card != nullptr);
    CHECK(holder->number == 5);
    CHECK(plan.card_by_serial("FFFF:00000000") == nullptr);
    CHECK(&plan.facility("AUCKLAND") == &plan.facilities[1]);
    CHECK_THROWS_AS((void)plan.facility("ALBANY"), smk::Error);
}

TEST_CASE("plan: the default transcript lies next to the plan") {
    const auto text = replaced(smk_test::example_plan_text(),
                               "transcript = \"smk-ceremony.transcript.jsonl\"\n", "");
    CHECK(parse(text).transcript == "/srv/ceremony/plan.transcript.jsonl");
    CHECK(cer::parse_plan(text, "/srv/ceremony/plan-id1234.toml").transcript ==
          "/srv/ceremony/plan.transcript.jsonl");
    // The plans smk writes after an issue keep their origin's transcript: a holder
    // event's and a replacement card's; a name that only looks alike does not.
    for (const std::string name : {"plan-id1234-event2", "plan-id1234-holder3-setB"}) {
        const auto written = cer::parse_plan(text, "/srv/ceremony/" + name + ".toml");
        CHECK(written.transcript == "/srv/ceremony/plan.transcript.jsonl");
        const auto replaced_card = cer::replacement_plan_path(
            cer::parse_plan(text + "\n[issued]\nidentifier = 1234\nkcv = \"a1b2c3\"\n",
                            "/srv/ceremony/" + name + ".toml"),
            3, 1);
        CHECK(replaced_card == "/srv/ceremony/plan-id1234-holder3-setB.toml");
    }
    CHECK(cer::parse_plan(text, "/srv/ceremony/my-idea-holder3-setB.toml").transcript ==
          "/srv/ceremony/my-idea-holder3-setB.transcript.jsonl");
    CHECK(cer::parse_plan(text, "/srv/ceremony/plan-id12-holder3-setZ.toml").transcript ==
          "/srv/ceremony/plan-id12-holder3-setZ.transcript.jsonl");
}

TEST_CASE("plan: not TOML at all names the line") {
    check_rejected("version = 1\nname = \n", "line 2", "not valid TOML");
}

TEST_CASE("plan: an unknown key at the top level is an error") {
    check_rejected(
        replaced(smk_test::example_plan_text(), "version = 1", "version = 1\nfacility = \"x\""),
        "facility", "unknown key");
}

TEST_CASE("plan: an unknown key deep inside a card is an error naming its path") {
    check_rejected(replaced(smk_test::example_plan_text(), "bag = \"TEB-100003\" },",
                            "bag = \"TEB-100003\", pin = \"123456\" },"),
                   "holders[2].cards[0].pin", "unknown key");
}

TEST_CASE("plan: unknown keys in key, cards, facilities, tokens, backup and drives") {
    const std::string text = smk_test::example_plan_text();
    check_rejected(replaced(text, "id = \"01\"", "id = \"01\"\nlabl = \"x\""), "key.labl",
                   "unknown key");
    check_rejected(replaced(text, "[cards]\n", "[cards]\npin = \"1\"\n"), "cards.pin",
                   "unknown key");
    check_rejected(replaced(text, "name = \"WELLINGTON\"", "name = \"WELLINGTON\"\nslot = 1"),
                   "facilities[0].slot", "unknown key");
    check_rejected(
        replaced(text, "{ label = \"hsm-auckland\" }", "{ label = \"hsm-auckland\", pin = \"1\" }"),
        "facilities[1].tokens[0].pin", "unknown key");
    check_rejected(replaced(text, "source = \"/var/lib/hsm-backup/\"",
                            "source = \"/var/lib/hsm-backup/\"\ndelete = true"),
                   "backup.delete", "unknown key");
    check_rejected(replaced(text, "mount = \"/media/smk/ALBANY\"",
                            "mount = \"/media/smk/ALBANY\"\nserial = \"x\""),
                   "drives[2].serial", "unknown key");
}

TEST_CASE("plan: the application backup lies on a planned drive, with a well-formed SHA-256") {
    const std::string text = smk_test::example_plan_text();
    const std::string sha =
        "application_backup_sha256 = "
        "\"3f1c6d0e9a8b7c5d4e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d\"";
    check_rejected(replaced(text, "\"/media/smk/AUCKLAND/hsm-backup/application-keys.wrapped\"",
                            "\"/srv/hsm-backup/application-keys.wrapped\""),
                   "facilities[1].application_backup",
                   "is on none of the planned drives (no [[drives]] mount holds it)");
    // A directory beside the drive's mount whose name starts like it is not on the drive.
    check_rejected(replaced(text, "\"/media/smk/AUCKLAND/hsm-backup/application-keys.wrapped\"",
                            "\"/media/smk/AUCKLAND2/application-keys.wrapped\""),
                   "facilities[1].application_backup", "is on none of the planned drives");
    check_rejected(replaced(text, sha, "application_backup_sha256 = \"3f1c6d0e\""),
                   "facilities[1].application_backup_sha256",
                   "must be a SHA-256 as 64 hex digits or the colon form of openssl dgst -c");
    check_rejected(replaced(text, sha, "application_backup_sha256 = 5"),
                   "facilities[1].application_backup_sha256", "must be a string");
    check_rejected(replaced(text, "tokens = [ { label = \"hsm-wellington\" } ]",
                            "tokens = [ { label = \"hsm-wellington\" } ]\n" + sha),
                   "facilities[0].application_backup_sha256",
                   "given without an application_backup to check");
    check_rejected(replaced(text, "tokens = [ { label = \"hsm-wellington\" } ]",
                            "tokens = [ { label = \"hsm-wellington\" } ]\n"
                            "replace_application_keys = true"),
                   "facilities[0].replace_application_keys",
                   "given without an application_backup to restore");
    check_rejected(
        replaced(text, "# replace_application_keys = true", "replace_application_keys = \"yes\""),
        "facilities[1].replace_application_keys", "must be true or false");

    // The colon form of openssl dgst -c, in upper case, reads as the same digest.
    std::string colon;
    const std::string hex = "3f1c6d0e9a8b7c5d4e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d";
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        colon += (i == 0 ? "" : ":") + hex.substr(i, 2);
    }
    for (char& c : colon) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    const auto plan =
        parse(replaced(replaced(text, hex, colon), "# replace_application_keys = true",
                       "replace_application_keys = true"));
    CHECK(plan.facilities[1].application_backup_sha256 == hex);
    CHECK(plan.facilities[1].replace_application_keys);
}

TEST_CASE(
    "plan: application_keys names a planned facility and token, keys, and a backup file "
    "within the backup tree") {
    const std::string text = smk_test::example_plan_text();
    check_rejected(replaced(text, "facility = \"WELLINGTON\"", "facility = \"ALBANY\""),
                   "application_keys.facility", "\"ALBANY\" is not one of the plan's facilities");
    check_rejected(replaced(text, "facility = \"WELLINGTON\"",
                            "facility = \"WELLINGTON\"\ntoken = \"hsm-auckland\""),
                   "application_keys.token",
                   "\"hsm-auckland\" is not one of facility WELLINGTON's tokens");
    check_rejected(replaced(text, "labels = [ \"KSK\" ]", "labels = [ ]"),
                   "application_keys.labels", "at least one key is needed");
    check_rejected(replaced(text, "labels = [ \"KSK\" ]", "labels = [ \"KSK\", \"KSK\" ]"),
                   "application_keys.labels", "\"KSK\" appears twice");
    check_rejected(replaced(text, "labels = [ \"KSK\" ]", "labels = [ \"SMK\" ]"),
                   "application_keys.labels", "is the SMK's own label");
    check_rejected(replaced(text, "labels = [ \"KSK\" ]", "labels = \"KSK\""),
                   "application_keys.labels", "must be an array of strings");
    check_rejected(replaced(text, "labels = [ \"KSK\" ]", "labels = [ 1 ]"),
                   "application_keys.labels", "must be an array of non-empty strings");
    for (const char* bad : {"/var/lib/hsm-backup/keys.wrapped", "../keys.wrapped",
                            "hsm-backup/../../keys.wrapped", "hsm-backup/"}) {
        check_rejected(replaced(text, "backup = \"hsm-backup/application-keys.wrapped\"",
                                std::string("backup = \"") + bad + "\""),
                       "application_keys.backup", "must be a file name within [backup] source");
    }
    check_rejected(replaced(text, "backup = \"hsm-backup/application-keys.wrapped\"\n", ""),
                   "application_keys.backup", "missing");
    check_rejected(replaced(text, "labels = [ \"KSK\" ]", "labels = [ \"KSK\" ]\nkeep = true"),
                   "application_keys.keep", "unknown key");
    // Without [backup] (and so without drives and the backup read from one).
    std::string no_tree = smk_test::without_application_backup(text);
    no_tree = replaced(no_tree, "[backup]\nsource = \"/var/lib/hsm-backup/\"\n", "");
    no_tree.erase(no_tree.find("[[drives]]"));
    check_rejected(no_tree, "application_keys.backup", "needs [backup] source");
}

TEST_CASE("plan: version missing or not 1") {
    check_rejected(replaced(smk_test::example_plan_text(), "version = 1\n", ""), "version",
                   "missing");
    check_rejected(replaced(smk_test::example_plan_text(), "version = 1", "version = 2"), "version",
                   "must be 1");
}

TEST_CASE("plan: a value of the wrong type names the field") {
    check_rejected(replaced(smk_test::example_plan_text(), "label = \"SMK\"", "label = 5"),
                   "key.label", "must be a string");
    check_rejected(replaced(smk_test::example_plan_text(), "index = 4, serial = \"FFFF:5AC00004\"",
                            "index = \"4\", serial = \"FFFF:5AC00004\""),
                   "holders[3].cards[0].index", "must be an integer");
}

TEST_CASE("plan: a missing required field is named") {
    check_rejected(replaced(smk_test::example_plan_text(), "name = \"Holder Two\"\n", ""),
                   "holders[1].name", "missing");
    check_rejected(replaced(smk_test::example_plan_text(),
                            "module = \"/usr/lib/softhsm/libsofthsm2.so\"\n", ""),
                   "facilities[0].module", "missing");
    check_rejected(
        replaced(smk_test::example_plan_text(), "[key]\nlabel = \"SMK\"", "[key]\nlabel = \"\""),
        "key.label", "must not be empty");
}

TEST_CASE("plan: the key id must be hex") {
    check_rejected(replaced(smk_test::example_plan_text(), "id = \"01\"", "id = \"0x1\""), "key.id",
                   "hex digits");
}

TEST_CASE("plan: a card set that is no set letter or not in the policy") {
    check_rejected(replaced(smk_test::example_plan_text(), "{ set = \"B\", index = 5",
                            "{ set = \"E\", index = 5"),
                   "holders[4].cards[1].set", "must be a set letter, \"A\" to \"D\", not \"E\"");
    check_rejected(replaced(smk_test::example_plan_text(), "{ set = \"B\", index = 5",
                            "{ set = \"C\", index = 5"),
                   "holders[4].cards[1].set", "set C is not in the policy, which has 2 set(s)");
}

TEST_CASE("plan: a share index outside 1 to 16 or past its set's count") {
    check_rejected(replaced(smk_test::example_plan_text(), "set = \"A\", index = 6",
                            "set = \"A\", index = 17"),
                   "holders[5].cards[0].index", "must be 1 to 16, not 17");
    check_rejected(
        replaced(smk_test::example_plan_text(), "set = \"A\", index = 6", "set = \"A\", index = 8"),
        "holders[5].cards[0].index",
        "set A share 8: set A has only 7 cards (policy.sets[0].count)");
}

TEST_CASE("plan: a card serial that is not MANUFACTURER:SERIAL") {
    check_rejected(replaced(smk_test::example_plan_text(), "serial = \"FFFF:5AC00002\"",
                            "serial = \"5AC00002\""),
                   "holders[1].cards[0].serial", "is not a card serial");
}

TEST_CASE("plan: the same card serial planned twice") {
    check_rejected(replaced(smk_test::example_plan_text(), "serial = \"FFFF:5AC00009\"",
                            "serial = \"FFFF:5AC00001\""),
                   "holders[1].cards[1].serial", "already planned at holders[0].cards[0]");
}

TEST_CASE("plan: the same share planned twice") {
    check_rejected(
        replaced(smk_test::example_plan_text(), "set = \"B\", index = 2", "set = \"B\", index = 1"),
        "holders[1].cards[1].index", "set B share 1 is planned twice");
}

TEST_CASE("plan: a holder with two cards of one set") {
    check_rejected(replaced(smk_test::example_plan_text(), "{ set = \"B\", index = 3",
                            "{ set = \"A\", index = 3"),
                   "holders[2].cards", "two cards of set A");
}

TEST_CASE("plan: a holder without their set B card leaves share B4 unplanned") {
    check_rejected(replaced(smk_test::example_plan_text(),
                            "cards = [ { set = \"A\", index = 4, serial = \"FFFF:5AC00004\", bag = "
                            "\"TEB-100004\" },\n"
                            "          { set = \"B\", index = 4, serial = \"FFFF:5AC0000B\", bag = "
                            "\"TEB-100004\" } ]",
                            "cards = [ { set = \"A\", index = 4, serial = \"FFFF:5AC00004\", bag = "
                            "\"TEB-100004\" } ]"),
                   "holders", "set B: share(s) 4 of its 7 are on no holder's card");
}

TEST_CASE("plan: six holders leave a share unplanned and a holder twice plans it twice") {
    const std::string text = smk_test::example_plan_text();
    check_rejected(replaced(text, kHolder7, ""), "holders",
                   "set A: share(s) 7 of its 7 are on no holder's card");
    check_rejected(replaced(text, kHolder7, kHolder7 + "\n" + kHolder7),
                   "holders[7].cards[0].index", "set A share 7 is planned twice");
}

TEST_CASE("plan: one bag shared by two holders") {
    check_rejected(
        replaced(smk_test::example_plan_text(), "serial = \"FFFF:5AC00006\", bag = \"TEB-100006\"",
                 "serial = \"FFFF:5AC00006\", bag = \"TEB-100005\""),
        "holders[5].cards[0].bag", "also holder 5's");
}

TEST_CASE("plan: no facility, a facility without tokens, names and labels twice") {
    const std::string text = smk_test::example_plan_text();
    check_rejected(replaced(text, "tokens = [ { label = \"hsm-wellington\" } ]", "tokens = []"),
                   "facilities[0].tokens", "at least one token");
    check_rejected(replaced(text, "name = \"AUCKLAND\"\nmodule", "name = \"WELLINGTON\"\nmodule"),
                   "facilities[1].name", "appears twice");
    check_rejected(replaced(text, "tokens = [ { label = \"hsm-wellington\" } ]",
                            "tokens = [ { label = \"a\" }, { label = \"a\" } ]"),
                   "facilities[0].tokens[1].label", "appears twice");
    std::string none = text;
    const auto at = none.find("[[facilities]]");
    none.erase(at, none.find("[[holders]]") - at);  // both facilities
    check_rejected(none, "facilities", "missing");
}

TEST_CASE("plan: a pinned token's serial manufacturer and model") {
    const std::string text = smk_test::example_plan_text();
    const std::string wellington = "tokens = [ { label = \"hsm-wellington\" } ]";
    const cer::Plan plan =
        parse(replaced(text, wellington,
                       "tokens = [ { label = \"hsm-wellington\", serial = \"5a1c0e2b9d3f4a11\", "
                       "manufacturer = \"SoftHSM project\", model = \"SoftHSM v2\" } ]"));
    const cer::Token& t = plan.facilities[0].tokens[0];
    CHECK(t.pinned());
    CHECK(t.serial == "5a1c0e2b9d3f4a11");
    CHECK(t.manufacturer == "SoftHSM project");
    CHECK(t.model == "SoftHSM v2");
    CHECK_FALSE(plan.facilities[1].tokens[0].pinned());
    check_rejected(replaced(text, wellington,
                            "tokens = [ { label = \"hsm-wellington\", serial = "
                            "\"0123456789abcdef0\" } ]"),
                   "facilities[0].tokens[0].serial", "longer than the 16 characters");
    check_rejected(replaced(text, wellington,
                            "tokens = [ { label = \"hsm-wellington\", model = \"SoftHSM v2\" } ]"),
                   "facilities[0].tokens[0].serial", "is needed with manufacturer or model");
    check_rejected(
        replaced(replaced(text, wellington,
                          "tokens = [ { label = \"hsm-wellington\", serial = \"77\" } ]"),
                 "tokens = [ { label = \"hsm-auckland\" } ]",
                 "tokens = [ { label = \"hsm-auckland\", serial = \"77\" } ]"),
        "facilities[1].tokens[0].serial", "pinned to another token");
}

TEST_CASE("plan: participants with known roles and a ceremony administrator") {
    const std::string text = smk_test::example_plan_text();
    const std::string ca =
        "\n[[participants]]\nname = \"Carol\"\nrole = \"ceremony-administrator\"\n";
    const std::string iw = "\n[[participants]]\nname = \"Ivan\"\nrole = \"internal-witness\"\n";
    const cer::Plan plan = parse(text + ca + iw);
    REQUIRE(plan.participants.size() == 2);
    CHECK(plan.participant("Carol", "ceremony-administrator") != nullptr);
    CHECK(plan.participant("Ivan") != nullptr);
    CHECK(plan.participant("Ivan", "ceremony-administrator") == nullptr);
    CHECK(parse(text).participants.empty());
    check_rejected(text + iw, "participants", "no ceremony-administrator");
    check_rejected(text + ca + replaced(iw, "internal-witness", "witness"), "participants[1].role",
                   "\"witness\" is not a role (one of: ceremony-administrator");
    check_rejected(text + ca + ca, "participants[1]",
                   "\"Carol\" is listed twice as ceremony-administrator");
    check_rejected(text + replaced(ca, "role =", "rank ="), "participants[0].rank", "unknown key");
}

TEST_CASE("plan: drives without a backup source") {
    check_rejected(replaced(smk_test::example_plan_text(),
                            "[backup]\nsource = \"/var/lib/hsm-backup/\"\n", ""),
                   "backup.source", "missing");
}

TEST_CASE("plan: the first drive is not MASTER") {
    check_rejected(replaced(smk_test::example_plan_text(), "name = \"MASTER\"", "name = \"SPARE\""),
                   "drives[0].name", "Master Backup Copy");
}

TEST_CASE("plan: a drive name, USB serial or mount twice, and a relative mount") {
    const std::string text = smk_test::example_plan_text();
    check_rejected(replaced(text, "name = \"ALBANY\"", "name = \"WELLINGTON\""), "drives[2].name",
                   "appears twice");
    check_rejected(replaced(text, "usb_serial = \"4C530001110000000002\"",
                            "usb_serial = \"4c53-0001-1100-0000-0001\""),
                   "drives[2].usb_serial", "appears twice");
    check_rejected(
        replaced(text, "mount = \"/media/smk/ALBANY\"", "mount = \"/media/smk/AUCKLAND/\""),
        "drives[3].mount", "appears twice");
    check_rejected(replaced(text, "mount = \"/media/smk/ALBANY\"", "mount = \"media/smk/ALBANY\""),
                   "drives[2].mount", "absolute path");
}

TEST_CASE("plan: the issued table, its identifier and KCV ranges") {
    const std::string text = smk_test::example_plan_text();
    const auto plan = parse(text + "\n[issued]\nidentifier = 1234\nkcv = \"A1B2C3\"\n");
    CHECK(plan.identifier == 1234);
    CHECK(plan.kcv == "a1b2c3");
    check_rejected(text + "\n[issued]\nidentifier = 40000\nkcv = \"a1b2c3\"\n", "issued.identifier",
                   "0 to 32767");
    check_rejected(text + "\n[issued]\nidentifier = 1\nkcv = \"a1b2\"\n", "issued.kcv",
                   "6 hex digits");
    check_rejected(text + "\n[issued]\nidentifier = 1\nkcv = \"a1b2c3\"\nwhen = 1\n", "issued.when",
                   "unknown key");
}

TEST_CASE("plan: write_issued_plan keeps the user's bytes and appends the issued block") {
    smk_test::TempDir dir;
    const auto file = dir / "plan.toml";
    const std::string text = smk_test::example_plan_text();
    smk_test::spit(file, text);
    auto plan = cer::load_plan(file);
    plan.identifier = 4321;
    plan.kcv = "0a1b2c";
    const auto out = cer::issued_plan_path(plan, 4321);
    CHECK(out == dir / "plan-id4321.toml");
    cer::write_issued_plan(plan, out);
    const std::string written = smk_test::slurp(out);
    CHECK(written.substr(0, text.size()) == text);
    CHECK(smk_test::slurp(file) == text);  // the user's plan is untouched
    const auto back = cer::load_plan(out);
    CHECK(back.identifier == 4321);
    CHECK(back.kcv == "0a1b2c");
    CHECK(back.transcript == plan.transcript);
    // Never replaces a file.
    CHECK_THROWS_AS(cer::write_issued_plan(plan, out), smk::Error);

    // A reissue: a new card for holder 3, set B; the previous block is replaced.
    auto again = back;
    again.identifier = 999;
    again.holders[2].cards[1].serial = "FFFF:5AC000F0";
    again.holders[2].cards[1].bag = "TEB-200003";
    const auto out2 = cer::issued_plan_path(again, 999);
    CHECK(out2 == dir / "plan-id999.toml");
    cer::write_issued_plan(again, out2);
    const auto third = cer::load_plan(out2);
    CHECK(third.identifier == 999);
    CHECK(third.holders[2].cards[1].serial == "FFFF:5AC000F0");
    CHECK(third.holders[2].cards[1].bag == "TEB-200003");
    CHECK(third.holders[2].cards[0].serial == "FFFF:5AC00003");
    const std::string text2 = smk_test::slurp(out2);
    CHECK(text2.find(cer::kIssuedMarker) == text2.rfind(cer::kIssuedMarker));
}

TEST_CASE(
    "plan: a trusted SMK - [key] trusted, each token's so_pin_file, and wrap_with_trusted "
    "only with a trusted SMK") {
    const std::string text = smk_test::example_plan_text();
    const auto plain = parse(text);
    CHECK_FALSE(plain.key_trusted);
    REQUIRE(plain.application_keys.has_value());
    CHECK_FALSE(plain.application_keys->wrap_with_trusted);
    CHECK(plain.facilities[0].tokens[0].so_pin_file.empty());

    const std::string trusted = replaced(
        replaced(text, "# trusted = true ", "trusted = true "), "{ label = \"hsm-wellington\" }",
        "{ label = \"hsm-wellington\", so_pin_file = \"/run/ceremony/so-pin\" }");
    const auto plan = parse(replaced(trusted, "labels = [ \"KSK\" ]",
                                     "labels = [ \"KSK\" ]\nwrap_with_trusted = true"));
    CHECK(plan.key_trusted);
    CHECK(plan.application_keys->wrap_with_trusted);
    CHECK(plan.facilities[0].tokens[0].so_pin_file == "/run/ceremony/so-pin");

    check_rejected(
        replaced(text, "labels = [ \"KSK\" ]", "labels = [ \"KSK\" ]\nwrap_with_trusted = true"),
        "application_keys.wrap_with_trusted", "needs [key] trusted = true");
    check_rejected(replaced(text, "# trusted = true ", "trusted = \"yes\" "), "key.trusted",
                   "must be true or false");
    check_rejected(replaced(text, "{ label = \"hsm-wellington\" }",
                            "{ label = \"hsm-wellington\", so_pin_file = \"/run/so-pin\" }"),
                   "facilities[0].tokens[0].so_pin_file", "used only with [key] trusted = true");
}

namespace {

// The example plan with `policy` in place of its [policy] table and `holders` in
// place of its seven holders.
std::string policy_plan(const std::string& policy, const std::string& holders) {
    std::string text = smk_test::example_plan_text();
    const auto policy_at = text.find("\n[policy]") + 1;
    const auto cards_at = text.find("\n[cards]") + 1;
    REQUIRE(policy_at != 0);
    REQUIRE(cards_at != 0);
    text.replace(policy_at, cards_at - policy_at, policy + "\n");
    const auto from = text.find("[[holders]]");
    const auto to = text.find("# The System Administrator's");
    REQUIRE(from != std::string::npos);
    REQUIRE(to != std::string::npos);
    return text.replace(from, to - from, holders + "\n");
}

// Holders with one card each: holder i holds share i - first + 1 of `set`, cards
// FFFF:5AC0SSNN (SS the set, NN the holder number).
std::string one_card_holders(const std::string& set, int first, int last, int offset = 0) {
    std::string text;
    for (int h = first; h <= last; ++h) {
        char serial[16];
        std::snprintf(serial, sizeof serial, "FFFF:5AC0%02X%02X", set[0], h + offset);
        text += "[[holders]]\nname = \"Holder " + std::to_string(h + offset) +
                "\"\ncards = [ { set = \"" + set + "\", index = " + std::to_string(h - first + 1) +
                ", serial = \"" + serial + "\", bag = \"BAG-" + std::to_string(h + offset) +
                "\" } ]\n\n";
    }
    return text;
}

const std::string kOneSet3of5 = "[policy]\nsets = [ { threshold = 3, count = 5 } ]\n";

}  // namespace

TEST_CASE("plan: the example plan states the KMP policy and a plan without policy gets it") {
    const cer::Plan plan = parse(smk_test::example_plan_text());
    REQUIRE(plan.policy.sets.size() == 2);
    CHECK(plan.policy.sets[1].threshold == 5);
    CHECK(plan.policy.sets[1].count == 7);
    CHECK(plan.policy.group_threshold == 1);
    CHECK(plan.policy.smk_bytes == 32);
    CHECK(plan.policy.passphrase == cer::PassphraseSource::none);
    CHECK(plan.policy.describe() == "set A 5-of-7, set B 5-of-7; any 1 set recovers the SMK");
    CHECK(plan.policy.card_count() == 14);
    const auto start = smk_test::example_plan_text().find("\n[policy]");
    const auto end = smk_test::example_plan_text().find("\n[cards]");
    const cer::Plan bare = parse(smk_test::example_plan_text().erase(start, end - start));
    CHECK(bare.policy.describe() == plan.policy.describe());
}

TEST_CASE("plan: one set of 3-of-5 on five holders with one card each and a 16-byte SMK") {
    const cer::Plan plan =
        parse(policy_plan(kOneSet3of5 + "smk_bytes = 16\n", one_card_holders("A", 1, 5)));
    CHECK(plan.holders.size() == 5);
    CHECK(plan.policy.smk_bytes == 16);
    CHECK(plan.policy.describe() == "set A 3-of-5 recovers the SMK");
    const auto params = plan.policy.split_params();
    REQUIRE(params.groups.size() == 1);
    CHECK(params.groups[0].threshold == 3);
    CHECK(params.groups[0].count == 5);
}

TEST_CASE("plan: nine holders of two sets that overlap and three sets needing two") {
    // Set A 5-of-7 on holders 1-7; set B 3-of-5 on holders 5-9 (5, 6 and 7 hold both).
    std::string holders;
    for (int h = 1; h <= 9; ++h) {
        holders += "[[holders]]\nname = \"Holder " + std::to_string(h) + "\"\ncards = [ ";
        if (h <= 7) {
            holders += "{ set = \"A\", index = " + std::to_string(h) + ", serial = \"FFFF:5AC000" +
                       std::to_string(10 + h) + "\", bag = \"BAG-" + std::to_string(h) + "\" }" +
                       (h >= 5 ? ", " : "");
        }
        if (h >= 5) {
            holders += "{ set = \"B\", index = " + std::to_string(h - 4) +
                       ", serial = \"FFFF:5AC000" + std::to_string(30 + h) + "\", bag = \"BAG-" +
                       std::to_string(h) + "\" }";
        }
        holders += " ]\n\n";
    }
    const cer::Plan nine = parse(policy_plan(
        "[policy]\nsets = [ { threshold = 5, count = 7 }, { threshold = 3, count = 5 } ]\n",
        holders));
    CHECK(nine.holders.size() == 9);
    CHECK(nine.holders[5].cards.size() == 2);
    REQUIRE(nine.holders[5].card_of_set(1) != nullptr);
    CHECK(nine.holders[5].card_of_set(1)->index == 2);

    const cer::Plan three = parse(policy_plan(
        "[policy]\nsets = [ { threshold = 2, count = 3 }, { threshold = 2, count = 3 }, "
        "{ threshold = 2, count = 3 } ]\ngroup_threshold = 2\n",
        one_card_holders("A", 1, 3) + one_card_holders("B", 1, 3, 3) +
            one_card_holders("C", 1, 3, 6)));
    CHECK(three.policy.describe() ==
          "set A 2-of-3, set B 2-of-3, set C 2-of-3; any 2 sets recover the SMK");
}

TEST_CASE("plan: each policy rule names the set and the rule") {
    const std::string holders = one_card_holders("A", 1, 5);
    check_rejected(policy_plan("[policy]\nsets = [ { threshold = 3, count = 5 }, { threshold = 6, "
                               "count = 5 } ]\n",
                               holders),
                   "policy.sets[1].threshold", "set B: threshold 6 is more than its 5 cards");
    check_rejected(policy_plan("[policy]\nsets = [ { threshold = 1, count = 5 } ]\n", holders),
                   "policy.sets[0].threshold", "set A: threshold 1 of 5 cards is not allowed");
    check_rejected(policy_plan("[policy]\nsets = [ { threshold = 3, count = 17 } ]\n", holders),
                   "policy.sets[0].count", "set A: count 17 is not 1 to 16");
    check_rejected(policy_plan("[policy]\nsets = [ { threshold = 0, count = 5 } ]\n", holders),
                   "policy.sets[0].threshold", "set A: threshold must be at least 1");
    check_rejected(policy_plan("[policy]\nsets = []\n", holders), "policy.sets",
                   "1 to 4 sets (A to D), not 0");
    std::string five;
    for (int i = 0; i < 5; ++i) {
        five += std::string(i == 0 ? "" : ", ") + "{ threshold = 3, count = 5 }";
    }
    check_rejected(policy_plan("[policy]\nsets = [ " + five + " ]\n", holders), "policy.sets",
                   "1 to 4 sets (A to D), not 5");
    check_rejected(policy_plan(kOneSet3of5 + "group_threshold = 2\n", holders),
                   "policy.group_threshold", "must be 1 to the 1 set(s) planned, not 2");
    check_rejected(policy_plan(kOneSet3of5 + "smk_bytes = 24\n", holders), "policy.smk_bytes",
                   "must be 16 or 32");
    check_rejected(policy_plan(kOneSet3of5 + "passphrase = \"maybe\"\n", holders),
                   "policy.passphrase", "must be \"none\", \"file\" or \"prompt\", not \"maybe\"");
    check_rejected(policy_plan(kOneSet3of5 + "passphrase = \"file\"\n", holders),
                   "policy.passphrase_file", "missing");
    check_rejected(policy_plan(kOneSet3of5 + "passphrase_file = \"pass\"\n", holders),
                   "policy.passphrase_file", "given, but passphrase is not \"file\"");
    check_rejected(policy_plan(kOneSet3of5 + "colour = \"red\"\n", holders), "policy.colour",
                   "unknown key");
    check_rejected(policy_plan("[policy]\nsets = [ { threshold = 3 } ]\n", holders),
                   "policy.sets[0].count", "missing");
}

TEST_CASE("plan: a policy no set of distinct holders can meet is refused") {
    // Both 5-of-7 sets needed, held by the same seven holders: ten distinct holders
    // would be needed, and each holder counts once in a restore.
    std::string text = smk_test::example_plan_text();
    text = replaced(text, "group_threshold = 1 ", "group_threshold = 2 ");
    check_rejected(text, "policy.group_threshold",
                   "no 2 of them can be made whole by distinct holders");
}

TEST_CASE("plan: every share of a set is planned and cards name sets of the policy") {
    check_rejected(policy_plan(kOneSet3of5, one_card_holders("A", 1, 4)), "holders",
                   "set A: share(s) 5 of its 5 are on no holder's card");
    check_rejected(
        policy_plan(kOneSet3of5, one_card_holders("A", 1, 5) + one_card_holders("B", 1, 1, 5)),
        "holders[5].cards[0].set", "set B is not in the policy, which has 1 set(s)");
    check_rejected(policy_plan(kOneSet3of5, ""), "holders", "missing");
}
