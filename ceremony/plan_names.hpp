#pragma once
// Internal to smk_ceremony: how plan files are named, and card serials compared.

#include <filesystem>
#include <string>

namespace smk::ceremony {

// The plan's file name without extension and without an "-idNNNNN" suffix that
// write_issued_plan() added: issued plans share the transcript of their origin.
[[nodiscard]] std::string base_stem(const std::filesystem::path& file);

// `text` with ASCII letters in upper case (card serials are compared so).
[[nodiscard]] std::string upper(std::string text);

}  // namespace smk::ceremony
