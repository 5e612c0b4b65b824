// The plan schema (smk/ceremony/plan_schema.hpp) is the plan reader's unknown-key
// check: for every table of the schema, a key it does not list is refused at that
// table's path, and the error's "allowed here" list is exactly the schema's keys, in
// its order. So every table smk-plan(5) documents is read with the page's key list,
// and the page (`smk manual --plan`) has every key of every table, and an example
// that parses.

#include <doctest/doctest.h>
#include <toml++/toml.h>

#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ceremony/ceremony_test_util.hpp"
#include "ceremony/plan_test_util.hpp"
#include "smk/ceremony/plan_schema.hpp"
#include "support/process.hpp"

namespace {

namespace schema = smk::ceremony::plan_schema;

constexpr std::string_view kUnknown = "not_a_plan_key";

// The schema field `key` of the table at `parent`.
const schema::Field& field(std::string_view parent, std::string_view key) {
    for (const schema::Field& f : schema::table(parent).fields) {
        if (f.key == key) {
            return f;
        }
    }
    throw std::logic_error("no field " + std::string(key));
}

// The first table at schema path `path` in `root`, made when the plan has none (an
// array of tables gets one element), with the path the reader names it by
// ("facilities[0].tokens[0]").
toml::table& reach(toml::table& root, std::string_view path, std::string& reader_path) {
    toml::table* at = &root;
    std::string parent;
    std::size_t start = 0;
    while (start < path.size()) {
        std::size_t end = path.find('.', start);
        if (end == std::string_view::npos) {
            end = path.size();
        }
        const std::string key(path.substr(start, end - start));
        const bool array = field(parent, key).type == "array of tables";
        if (!at->contains(key)) {
            if (array) {
                at->insert(key, toml::array{toml::table{}});
            } else {
                at->insert(key, toml::table{});
            }
        }
        reader_path += (reader_path.empty() ? "" : ".") + key + (array ? "[0]" : "");
        at = array ? (*at)[key].as_array()->get(0)->as_table() : (*at)[key].as_table();
        REQUIRE(at != nullptr);
        parent = std::string(path.substr(0, end));
        start = end + 1;
    }
    return *at;
}

std::string plan_page() {
    const auto r = smk_test::run_process(smk_test::Command({SMK_BINARY, "manual", "--plan"}));
    REQUIRE_MESSAGE(r.shell_status() == 0, "smk manual --plan: " << r.err);
    return r.out;
}

// The roff lines of each .SS subsection, by its title; and "EXAMPLE" for that .SH.
std::map<std::string, std::vector<std::string>> page_sections(const std::string& page) {
    std::map<std::string, std::vector<std::string>> sections;
    std::string current;
    std::istringstream in(page);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(".SS \"", 0) == 0 || line.rfind(".SH ", 0) == 0) {
            current = line.substr(4);
            if (current.size() >= 2 && current.front() == '"') {
                current = current.substr(1, current.size() - 2);
            }
            continue;
        }
        sections[current].push_back(line);
    }
    return sections;
}

// Roff's escapes in a verbatim line undone: \& \- \e.
std::string unescaped(std::string line) {
    if (line.rfind("\\&", 0) == 0) {
        line.erase(0, 2);
    }
    std::string out;
    for (std::size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '\\' && i + 1 < line.size() && (line[i + 1] == '-' || line[i + 1] == 'e')) {
            out += line[i + 1] == '-' ? '-' : '\\';
            ++i;
        } else {
            out += line[i];
        }
    }
    return out;
}

}  // namespace

TEST_CASE("plan schema: every table refuses a key it does not list naming the schema's keys") {
    REQUIRE(schema::tables().size() > 10);
    for (const schema::Table& table : schema::tables()) {
        INFO("table: " << table.heading);
        toml::table root = toml::parse(smk_test::example_plan_text());
        if (table.path.rfind("issued", 0) == 0) {
            // The [issued] block smk writes; its own keys come before its arrays.
            root.insert("issued", toml::table{{"identifier", 1}, {"kcv", "abcdef"}});
        }
        std::string path;
        reach(root, table.path, path).insert(kUnknown, 1);
        std::string allowed;
        for (const schema::Field& f : table.fields) {
            allowed += (allowed.empty() ? "" : ", ") + std::string(f.key);
        }
        std::ostringstream text;
        text << root;
        smk_test::check_plan_rejected(text.str(),
                                      (path.empty() ? "" : path + ".") + std::string(kUnknown),
                                      "unknown key (allowed here: " + allowed + ")");
    }
}

// The other direction: every key the schema (and so the page) lists is one the reader
// reads, with the schema's type. Each key of each table smk's user writes, given a
// value of another type in the otherwise valid example plan, is refused naming that
// key. ([[issued.*]] entries are smk's, each read whole: test_plan_card_keys.cpp and
// the holder event tests.)
TEST_CASE("plan schema: every key of a table a user writes is read with its type") {
    std::size_t keys = 0;
    for (const schema::Table& table : schema::tables()) {
        if (table.path.rfind("issued.", 0) == 0) {
            continue;
        }
        for (const schema::Field& f : table.fields) {
            INFO("table: " << table.heading << " key: " << f.key);
            toml::table root = toml::parse(smk_test::example_plan_text());
            root.insert("participants",
                        toml::array{toml::table{{"name", "Carol Admin"},
                                                {"role", "ceremony-administrator"}}});
            if (table.path == "issued") {
                root.insert("issued", toml::table{{"identifier", 1}, {"kcv", "abcdef"}});
            }
            std::string path;
            toml::table& at = reach(root, table.path, path);
            if (f.type == "integer") {
                at.insert_or_assign(f.key, "seven");
            } else {
                at.insert_or_assign(f.key, 7);
            }
            std::ostringstream text;
            text << root;
            smk_test::check_plan_rejected(
                text.str(), (path.empty() ? "" : path + ".") + std::string(f.key), "must be");
            ++keys;
        }
    }
    CHECK(keys > 60);
}

TEST_CASE("plan schema: each table once with keys once and a type and description for each") {
    std::set<std::string_view> paths;
    for (const schema::Table& table : schema::tables()) {
        INFO("table: " << table.heading);
        CHECK(paths.insert(table.path).second);
        CHECK_FALSE(table.heading.empty());
        CHECK_FALSE(table.description.empty());
        std::set<std::string_view> keys;
        for (const schema::Field& f : table.fields) {
            INFO("key: " << f.key);
            CHECK(keys.insert(f.key).second);
            CHECK_FALSE(f.type.empty());
            CHECK_FALSE(f.description.empty());
            CHECK_FALSE((f.required && !f.default_value.empty()));
        }
    }
    CHECK_THROWS_AS((void)schema::table("no.such.table"), std::logic_error);
}

TEST_CASE("plan schema: smk-plan(5) has every table and every key of each") {
    const auto sections = page_sections(plan_page());
    for (const schema::Table& table : schema::tables()) {
        const std::string title = table.path.empty() ? "Top level" : std::string(table.heading);
        INFO("table: " << title);
        REQUIRE(sections.count(title) == 1);
        const auto& lines = sections.at(title);
        std::set<std::string> tagged;
        for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
            if (lines[i] == ".TP") {
                tagged.insert(lines[i + 1]);
            }
        }
        std::set<std::string> expected;
        for (const schema::Field& f : table.fields) {
            expected.insert("\\fB\\%" + std::string(f.key) + "\\fR");
        }
        CHECK(tagged == expected);
    }
}

TEST_CASE("plan schema: the example in smk-plan(5) is a plan smk accepts") {
    const auto sections = page_sections(plan_page());
    REQUIRE(sections.count("EXAMPLE") == 1);
    std::string text;
    bool verbatim = false;
    for (const std::string& line : sections.at("EXAMPLE")) {
        if (line == ".nf" || line == ".fi") {
            verbatim = line == ".nf";
        } else if (verbatim) {
            text += unescaped(line) + "\n";
        }
    }
    REQUIRE(text.find("[[holders]]") != std::string::npos);
    const auto plan = smk::ceremony::parse_plan(text, smk_test::kPlanFile);
    CHECK(plan.holders.size() == 3);
    CHECK(plan.policy.sets.size() == 1);
}
