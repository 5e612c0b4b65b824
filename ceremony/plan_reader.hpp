#pragma once
// The plan reader's internals (ceremony/plan_read.cpp and plan_read_issued.cpp):
// a strict TOML table reader whose errors name the field path, and the small
// parsers both files use.

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include "plan_names.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/ceremony/plan_schema.hpp"
#include "smk/error.hpp"
#include "smk/slip39.hpp"
#include "smk/text_file.hpp"

namespace smk::ceremony::plan_detail {

namespace fs = std::filesystem;

class Reader {
  public:
    explicit Reader(const fs::path& file) : m_file(file), m_dir(file.parent_path()) {}

    [[noreturn]] void fail(const std::string& path, const std::string& what) const {
        throw Error(ErrorCategory::invalid_input,
                    "plan " + m_file.string() + ": " + path + ": " + what +
                        " (see docs/CEREMONY.md); nothing was touched");
    }

    // The unknown-key check: `table` (at `path`, e.g. "facilities[1].tokens[0]") may
    // hold only the keys the plan schema lists for `schema` ("facilities.tokens"), the
    // same list smk-plan(5) documents.
    void allow_only(const toml::table& table, const std::string& path,
                    std::string_view schema) const {
        const auto fields = plan_schema::table(schema).fields;
        for (const auto& entry : table) {
            // Not a structured binding: clang 14 (the fuzz build) cannot capture one.
            const std::string_view key = entry.first.str();
            const bool known = std::any_of(fields.begin(), fields.end(),
                                           [key](const auto& f) { return f.key == key; });
            if (!known) {
                std::string allowed;
                for (const auto& field : fields) {
                    allowed += (allowed.empty() ? "" : ", ") + std::string(field.key);
                }
                fail(join(path, key), "unknown key (allowed here: " + allowed + ")");
            }
        }
    }

    static std::string join(const std::string& path, std::string_view key) {
        return path.empty() ? std::string(key) : path + "." + std::string(key);
    }

    const toml::node* get(const toml::table& table, const std::string& path, std::string_view key,
                          bool required) const {
        const toml::node* node = table.get(key);
        if (node == nullptr && required) {
            fail(join(path, key), "missing");
        }
        return node;
    }

    std::string string(const toml::table& table, const std::string& path, std::string_view key,
                       bool required = true) const {
        const toml::node* node = get(table, path, key, required);
        if (node == nullptr) {
            return {};
        }
        if (!node->is_string()) {
            fail(join(path, key), "must be a string");
        }
        std::string value = *node->value<std::string>();
        if (required && value.empty()) {
            fail(join(path, key), "must not be empty");
        }
        return value;
    }

    std::optional<std::int64_t> integer(const toml::table& table, const std::string& path,
                                        std::string_view key, bool required) const {
        const toml::node* node = get(table, path, key, required);
        if (node == nullptr) {
            return std::nullopt;
        }
        if (!node->is_integer()) {
            fail(join(path, key), "must be an integer");
        }
        return *node->value<std::int64_t>();
    }

    bool boolean(const toml::table& table, const std::string& path, std::string_view key) const {
        const toml::node* node = get(table, path, key, false);
        if (node == nullptr) {
            return false;
        }
        if (!node->is_boolean()) {
            fail(join(path, key), "must be true or false");
        }
        return *node->value<bool>();
    }

    fs::path file_path(const toml::table& table, const std::string& path, std::string_view key,
                       bool required = false) const {
        const std::string text = string(table, path, key, required);
        if (text.empty()) {
            return {};
        }
        const fs::path p(text);
        return p.is_absolute() ? p : (m_dir.empty() ? p : m_dir / p);
    }

    const toml::table& table(const toml::table& parent, const std::string& path,
                             std::string_view key) const {
        const toml::node* node = get(parent, path, key, true);
        if (!node->is_table()) {
            fail(join(path, key), "must be a table");
        }
        return *node->as_table();
    }

    const toml::array* array(const toml::table& parent, const std::string& path,
                             std::string_view key, bool required) const {
        const toml::node* node = get(parent, path, key, required);
        if (node == nullptr) {
            return nullptr;
        }
        if (!node->is_array()) {
            fail(join(path, key), "must be an array of tables ([[" + join(path, key) + "]])");
        }
        return node->as_array();
    }

    const toml::table& element(const toml::array& array, const std::string& path,
                               std::size_t i) const {
        if (!array[i].is_table()) {
            fail(path + "[" + std::to_string(i) + "]", "must be a table");
        }
        return *array[i].as_table();
    }

    [[nodiscard]] const fs::path& file() const noexcept { return m_file; }

  private:
    fs::path m_file;
    fs::path m_dir;
};

[[nodiscard]] std::string lower(std::string text);
[[nodiscard]] bool all_hex(std::string_view text);
// "FFFF:5AC00001": the OpenPGP card serial as smk prints it (manufacturer:serial).
[[nodiscard]] bool is_card_serial(std::string_view text);
// "A" to "D" (either case): the set letters of kMaxSets sets. Whether the policy
// has that set is validate()'s question.
[[nodiscard]] unsigned parse_set(const Reader& r, const std::string& path, const std::string& text);

// [issued] (plan_read_issued.cpp): identifier, KCV, card changes, share
// commitments and card keys; then [[issued.event]], applied in order.
void parse_issued(const Reader& r, const toml::table& root, Plan& plan);
void parse_events(const Reader& r, const toml::table& issued, Plan& plan);

}  // namespace smk::ceremony::plan_detail
