#pragma once
// Test support: a fresh directory for one test, removed with everything in it.

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace smk_test {

namespace fs = std::filesystem;

// A path in a TempDir. Tests use such a path both on the file system and on a
// command line, so it is an fs::path that also reads as text: it converts to
// std::string and std::string_view, and `+` appends text to it.
class TempPath final : public fs::path {
  public:
    TempPath(fs::path where) : fs::path(std::move(where)) {}  // NOLINT: implicit by design
    operator std::string_view() const noexcept { return native(); }
    friend std::string operator+(const TempPath& where, std::string_view text) {
        return where.native() + std::string(text);
    }
    friend std::string operator+(std::string_view text, const TempPath& where) {
        return std::string(text) + where.native();
    }
};

// mkdtemp under $TMPDIR (or /tmp), so it is unique even across concurrent test
// processes; `tag` only makes a left-over directory easy to attribute.
class TempDir final {
  public:
    explicit TempDir(std::string_view tag = "test") {
        const char* base = std::getenv("TMPDIR");
        std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                              "/smk-" + std::string(tag) + "-XXXXXX";
        REQUIRE_MESSAGE(::mkdtemp(pattern.data()) != nullptr, "mkdtemp " << pattern << " failed");
        m_path = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(m_path, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    [[nodiscard]] const fs::path& path() const noexcept { return m_path; }
    [[nodiscard]] TempPath operator/(std::string_view name) const { return m_path / name; }

  private:
    fs::path m_path;
};

}  // namespace smk_test
