// The plan schema (smk/ceremony/plan_schema.hpp) is the plan reader's unknown-key
// check: for every table of the schema, a key it does not list is refused at that
// table's path, and the error's "allowed here" list is exactly the schema's keys, in
// its order.

#include <doctest/doctest.h>
#include <toml++/toml.h>

#include <set>
#include <sstream>
#include <stdexcept>
#include <string>

#include "ceremony/ceremony_test_util.hpp"
#include "ceremony/plan_test_util.hpp"
#include "smk/ceremony/plan_schema.hpp"

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

