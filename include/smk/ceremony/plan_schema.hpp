#pragma once
// The ceremony plan's field table: every table of a plan and every key each may
// hold, with its type, whether it is required, its default and what it means. The
// plan reader takes its unknown-key check from here (a key it accepts is a key of
// this table) and `smk manual --plan` renders smk-plan(5) from it, so the manual
// page and the reader cannot drift.

#include <span>
#include <string_view>

namespace smk::ceremony::plan_schema {

struct Field {
    std::string_view key;
    std::string_view type;           // "string", "integer", "array of tables", ...
    bool required = false;           // for an array of tables: at least the key itself
    std::string_view default_value;  // empty: none (or required)
    std::string_view description;    // one sentence or a few, plain text
};

struct Table {
    // The reader's path without indices: "" (the top level), "key", "policy.sets",
    // "facilities.tokens", "issued.event", ...
    std::string_view path;
    // As written in a plan: "[key]", "[[holders]]", "[[holders.cards]]" (which the
    // example writes inline: cards = [ { ... } ]).
    std::string_view heading;
    bool issued = false;           // written by smk after issuance, never by hand
    std::string_view description;  // what the table is
    std::span<const Field> fields;
};

// Every table, in the order of a plan (the top level first, [issued] last).
[[nodiscard]] std::span<const Table> tables();

// The table at `path`; a path that is no table of the plan is a programming error
// (std::logic_error).
[[nodiscard]] const Table& table(std::string_view path);

}  // namespace smk::ceremony::plan_schema
