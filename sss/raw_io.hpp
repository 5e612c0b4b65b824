#pragma once
// Reading files straight into caller-owned (Secret) buffers with read(2): no stdio
// or iostream buffer ever holds a copy of secret bytes. Internal to sss/.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>

namespace smk::raw {

class InputFile final {
  public:
    // Opens for reading (sequential access hint). Throws Error(io) naming the file.
    explicit InputFile(std::filesystem::path path);
    ~InputFile();
    InputFile(InputFile&& other) noexcept;
    InputFile& operator=(InputFile&&) = delete;
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }
    // From fstat at open time.
    [[nodiscard]] bool regular() const noexcept { return m_regular; }
    [[nodiscard]] std::uint64_t size() const noexcept { return m_size; }

    // Fills `out` unless the file ends first; returns the bytes read. Throws
    // Error(io) on a read error.
    [[nodiscard]] std::size_t read_full(std::span<std::uint8_t> out);

  private:
    std::filesystem::path m_path;
    int m_fd = -1;
    bool m_regular = false;
    std::uint64_t m_size = 0;
};

}  // namespace smk::raw
