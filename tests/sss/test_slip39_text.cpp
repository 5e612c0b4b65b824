// SLIP-0039 text <-> word indices: the constant-time tokenizer (parse_words) and
// formatter (words_to_text) must read and write exactly what the plain algorithm
// would, for every word of the list and every kind of white space; and they refuse
// what no share can be, naming the share.

#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "slip39_share.hpp"
#include "smk/error.hpp"
#include "smk/secret.hpp"

namespace {

namespace slip39 = smk::slip39;

std::string message_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const smk::Error& e) {
        CHECK(e.category() == smk::ErrorCategory::invalid_input);
        return e.what();
    }
    FAIL("no error");
    return {};
}

}  // namespace

TEST_CASE("slip39 text: every word of the list round-trips through parse_words and words_to_text") {
    const auto list = slip39::wordlist();
    REQUIRE(list.size() == 1024);
    // 1024 words in one text: each word is found at its index and written back as is.
    std::string text;
    for (const std::string_view word : list) {
        text += (text.empty() ? "" : " ") + std::string(word);
    }
    const slip39::WordIndices words = slip39::parse_words(text, "all words");
    REQUIRE(words.size() == 1024);
    for (std::size_t i = 0; i < 1024; ++i) {
        CHECK(words.get(i) == i);
    }
    const smk::Secret back = slip39::words_to_text(words);
    CHECK(back.text() == text);
}

TEST_CASE("slip39 text: any white space separates words, case is ignored, output is canonical") {
    const std::string_view messy = "\t  ACADEMIC\n\nzero\r\n Acid\v\fyoga   ";
    const slip39::WordIndices words = slip39::parse_words(messy, "messy");
    REQUIRE(words.size() == 4);
    CHECK(words.get(0) == 0);
    CHECK(words.get(1) == 1023);
    CHECK(words.get(2) == 1);
    CHECK(words.get(3) == 1022);
    CHECK(slip39::words_to_text(words).text() == "academic zero acid yoga");
}

TEST_CASE("slip39 text: a word of 9 or more letters, a prefix, a stray byte are not in the list") {
    CHECK(message_of([] { (void)slip39::parse_words("acid academics zero", "f1"); }) ==
          "share \"f1\": word 2 is not in the SLIP-39 word list; check its spelling");
    CHECK(message_of([] { (void)slip39::parse_words("acid zero academi", "f2"); }) ==
          "share \"f2\": word 3 is not in the SLIP-39 word list; check its spelling");
    CHECK(message_of([] { (void)slip39::parse_words("ac\x01id zero", "f3"); }) ==
          "share \"f3\": word 1 is not in the SLIP-39 word list; check its spelling");
    // A long run of letters: the 9th and later letters must not wrap onto the first.
    CHECK(message_of([] { (void)slip39::parse_words("zero acidacidacid", "f4"); }) ==
          "share \"f4\": word 2 is not in the SLIP-39 word list; check its spelling");
    // Non-breaking space (UTF-8 C2 A0) is not white space: it joins two words.
    CHECK(message_of([] { (void)slip39::parse_words("acid\xc2\xa0zero", "f5"); }) ==
          "share \"f5\": word 1 is not in the SLIP-39 word list; check its spelling");
}

TEST_CASE("slip39 text: text longer than any share is refused before it is scanned") {
    const std::string longest(slip39::kMaxMnemonicChars, ' ');
    CHECK(message_of([&] { (void)slip39::parse_words(longest, "blank"); }) ==
          "share \"blank\": no words; enter the share's words separated by spaces");
    const std::string too_long(slip39::kMaxMnemonicChars + 1, 'a');
    const std::string message = message_of([&] { (void)slip39::parse_words(too_long, "huge"); });
    CHECK(message.starts_with("share \"huge\": the text is 8193 characters, more than any share"));
    CHECK(message.find("aaaa") == std::string::npos);
}
