#pragma once
// Reading input that may be secret (a key file, shares, a PIN file) straight
// into secret memory: no stdio buffer, no std::string, bounded in size.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "smk/secret.hpp"

namespace smk {

// A growable buffer in secret memory, for text that holds secrets (mnemonics in
// JSON, the hex of a key) and for reading input of unknown length.
class SecretText final {
  public:
    void append(std::span<const std::uint8_t> bytes);
    void append(std::string_view text);

    [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept {
        return m_buf.bytes().first(m_len);
    }
    [[nodiscard]] std::string_view text() const noexcept { return m_buf.text().substr(0, m_len); }
    [[nodiscard]] std::size_t size() const noexcept { return m_len; }

    // Room for at least `n` more bytes at the end; commit(k) after filling k of them.
    [[nodiscard]] std::span<std::uint8_t> tail(std::size_t n);
    void commit(std::size_t n) noexcept;

    // The content as a Secret of exactly size() bytes; the buffer is left empty.
    [[nodiscard]] Secret release() noexcept;

  private:
    Secret m_buf;
    std::size_t m_len = 0;
};

inline constexpr std::size_t kMaxInputBytes = 1024 * 1024;
inline constexpr std::size_t kMaxPinBytes = 256;

// "stdin" for "-", otherwise the path as given: how messages name an input.
[[nodiscard]] std::string input_name(const std::string& path);

// The whole content of a file ("-": stdin) in secret memory. Error(io) names the
// file if it cannot be read; Error(invalid_input) if it is larger than max_bytes.
[[nodiscard]] Secret read_input(const std::string& path, std::size_t max_bytes = kMaxInputBytes);

// The first line of a file without its terminator ("\n" or "\r\n"), reading at
// most max_bytes: a PIN file, a passphrase file.
[[nodiscard]] Secret read_first_line(const std::string& path, std::size_t max_bytes);

// A PIN file: its first line (at most kMaxPinBytes read).
[[nodiscard]] Secret read_pin_file(const std::string& path);

}  // namespace smk
