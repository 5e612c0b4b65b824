// The serial check's normaliser and differ: pure functions, no devices.

#include <doctest/doctest.h>

#include <string>

#include "smk/drive.hpp"

namespace dr = smk::drive;

TEST_CASE("paper serial: spaces, tabs and dashes are removed and letters upper-cased") {
    CHECK(dr::normalise_paper_serial("001CC OEC 34BE-FB 90671D 25F1") ==
          "001CCOEC34BEFB90671D25F1");
    CHECK(dr::normalise_paper_serial("  ab-cd\tef  ") == "ABCDEF");
    CHECK(dr::normalise_paper_serial("a--b") == "AB");
    CHECK(dr::normalise_paper_serial(" - ") == "");
    CHECK(dr::normalise_paper_serial("") == "");
    // Nothing else is removed or changed: dots, colons and underscores stay.
    CHECK(dr::normalise_paper_serial("0000:00:14.0_x") == "0000:00:14.0_X");
}

TEST_CASE("drive serial: only the case is normalised") {
    CHECK(dr::normalise_drive_serial("4c53-0001 x") == "4C53-0001 X");
    CHECK(dr::normalise_drive_serial("ABC") == "ABC");
}

TEST_CASE("look-alike pairs: O/0, I/1, S/5, B/8, Z/2 either way and any case") {
    CHECK(dr::is_look_alike('O', '0'));
    CHECK(dr::is_look_alike('0', 'o'));
    CHECK(dr::is_look_alike('I', '1'));
    CHECK(dr::is_look_alike('1', 'i'));
    CHECK(dr::is_look_alike('S', '5'));
    CHECK(dr::is_look_alike('8', 'B'));
    CHECK(dr::is_look_alike('z', '2'));
    CHECK_FALSE(dr::is_look_alike('O', 'Q'));
    CHECK_FALSE(dr::is_look_alike('0', '8'));
    CHECK_FALSE(dr::is_look_alike('A', 'A'));
    CHECK_FALSE(dr::is_look_alike('1', 'L'));
}

TEST_CASE("the paper example: an O for a 0 is a mismatch, explained as a look-alike") {
    const dr::SerialComparison cmp =
        dr::compare_serials("001CC OEC 34BE-FB 90671D 25F1", "001CC0EC34BEFB90671D25F1");
    CHECK_FALSE(cmp.match);
    CHECK(cmp.only_look_alikes());
    REQUIRE(cmp.differences.size() == 1);
    CHECK(cmp.differences[0].position == 6);
    CHECK(cmp.differences[0].paper == 'O');
    CHECK(cmp.differences[0].drive == '0');
    CHECK(cmp.paper_aligned == "001CCOEC34BEFB90671D25F1");
    CHECK(cmp.drive_aligned == "001CC0EC34BEFB90671D25F1");
    CHECK(cmp.carets == "     ^");
    REQUIRE(cmp.explanations().size() == 1);
    CHECK(cmp.explanations()[0] ==
          "the paper serial has O where the drive has 0 at position 6: a look-alike; check the "
          "paper");
}

TEST_CASE("matching serials: written with spaces, dashes and lower case") {
    const dr::SerialComparison cmp =
        dr::compare_serials("001cc 0ec 34be-fb 90671d 25f1", "001CC0EC34BEFB90671D25F1");
    CHECK(cmp.match);
    CHECK_FALSE(cmp.only_look_alikes());
    CHECK(cmp.differences.empty());
    CHECK(cmp.carets.empty());
    CHECK(cmp.explanations().empty());
    // A drive reporting lower case still matches.
    CHECK(dr::compare_serials("ABC123", "abc123").match);
}

TEST_CASE("a real difference is not called a look-alike, even next to one") {
    const dr::SerialComparison cmp = dr::compare_serials("A0CX", "AOCY");
    CHECK_FALSE(cmp.match);
    CHECK_FALSE(cmp.only_look_alikes());
    REQUIRE(cmp.differences.size() == 2);
    CHECK(cmp.differences[0].look_alike);
    CHECK_FALSE(cmp.differences[1].look_alike);
    CHECK(cmp.carets == " ^ ^");
    CHECK(cmp.explanations()[1] == "the paper serial has X where the drive has Y at position 4");
}

TEST_CASE("several look-alikes: still a mismatch, every one explained") {
    const dr::SerialComparison cmp = dr::compare_serials("OI5B2", "01S8Z");
    CHECK_FALSE(cmp.match);
    CHECK(cmp.only_look_alikes());
    CHECK(cmp.differences.size() == 5);
    CHECK(cmp.carets == "^^^^^");
    CHECK(cmp.explanations().size() == 5);
}

TEST_CASE("a character missing from the paper is shown as a gap, not a cascade") {
    const dr::SerialComparison cmp = dr::compare_serials("4C53000111000001", "4C530001110000001");
    CHECK_FALSE(cmp.match);
    REQUIRE(cmp.differences.size() == 1);
    CHECK(cmp.differences[0].paper == '\0');
    CHECK(cmp.differences[0].drive == '0');
    CHECK_FALSE(cmp.differences[0].look_alike);
    CHECK(cmp.paper_aligned.size() == cmp.drive_aligned.size());
    CHECK(cmp.paper_aligned.find('_') != std::string::npos);
    CHECK(cmp.explanations()[0].starts_with("the paper serial lacks the drive's 0 at position"));
}

TEST_CASE("an extra character on the paper is shown as a gap in the drive's line") {
    const dr::SerialComparison cmp = dr::compare_serials("ABCXDEF", "ABCDEF");
    CHECK_FALSE(cmp.match);
    REQUIRE(cmp.differences.size() == 1);
    CHECK(cmp.differences[0].position == 4);
    CHECK(cmp.differences[0].drive == '\0');
    CHECK(cmp.drive_aligned == "ABC_DEF");
    CHECK(cmp.carets == "   ^");
    CHECK(cmp.explanations()[0] ==
          "the paper serial has an extra X at position 4 (the drive has nothing there)");
}

TEST_CASE("an underscore in a serial is compared, not taken for a gap") {
    CHECK(dr::compare_serials("AB_C", "AB_C").match);
    const dr::SerialComparison cmp = dr::compare_serials("AB_C", "ABC");
    CHECK_FALSE(cmp.match);
    REQUIRE(cmp.differences.size() == 1);
    CHECK(cmp.differences[0].paper == '_');
    CHECK(cmp.differences[0].drive == '\0');
}

TEST_CASE("a drive serial with a dash or space can never match what the paper normaliser keeps") {
    // The paper's dashes are removed; the drive's are not: the mismatch is reported.
    const dr::SerialComparison cmp = dr::compare_serials("AB-CD", "AB-CD");
    CHECK_FALSE(cmp.match);
    CHECK(cmp.paper == "ABCD");
    CHECK(cmp.drive == "AB-CD");
    REQUIRE(cmp.explanations().size() == 2);
    CHECK(cmp.explanations()[1].starts_with("the drive's serial itself holds spaces or dashes"));
}

TEST_CASE("empty serials: paper empty against a drive serial is a mismatch") {
    const dr::SerialComparison cmp = dr::compare_serials("", "ABC");
    CHECK_FALSE(cmp.match);
    CHECK(cmp.differences.size() == 3);
    CHECK(dr::compare_serials("", "").match);  // the CLI refuses an empty --serial first
}

TEST_CASE("non-printable characters of a drive serial are shown escaped") {
    const dr::SerialComparison cmp = dr::compare_serials("AB", std::string("A\x01"));
    REQUIRE(cmp.explanations().size() == 1);
    CHECK(cmp.explanations()[0] ==
          "the paper serial has B where the drive has \\x01 at position 2");
}
