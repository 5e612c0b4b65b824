// Secret input: files, stdin and PIN files read straight into secret memory.

#include "smk/secret_input.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "smk/error.hpp"

namespace smk {
namespace {

[[noreturn]] void throw_io(std::string_view what, const std::string& name, int err) {
    throw Error(ErrorCategory::io, std::string(what) + " " + name + ": " + std::strerror(err));
}

std::span<const std::uint8_t> as_bytes(std::string_view text) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

void SecretText::append(std::span<const std::uint8_t> bytes) {
    if (bytes.empty()) {
        return;
    }
    const auto room = tail(bytes.size());
    std::memcpy(room.data(), bytes.data(), bytes.size());
    commit(bytes.size());
}

void SecretText::append(std::string_view text) {
    append(as_bytes(text));
}

std::span<std::uint8_t> SecretText::tail(std::size_t n) {
    if (m_buf.size() - m_len < n) {
        Secret bigger(std::max({std::size_t{256}, m_buf.size() * 2, m_len + n}));
        if (m_len > 0) {
            std::memcpy(bigger.data(), m_buf.data(), m_len);
        }
        m_buf = std::move(bigger);  // the old buffer is wiped as it is freed
    }
    return m_buf.bytes().subspan(m_len);
}

void SecretText::commit(std::size_t n) noexcept {
    m_len = std::min(m_len + n, m_buf.size());
}

Secret SecretText::release() noexcept {
    m_buf.truncate(m_len);
    m_len = 0;
    return std::move(m_buf);
}

std::string input_name(const std::string& path) {
    return path == "-" ? "stdin" : path;
}

Secret read_input(const std::string& path, std::size_t max_bytes) {
    const bool use_stdin = (path == "-");
    const int fd = use_stdin ? 0 : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        throw_io("cannot open", path, errno);
    }
    SecretText text;
    int err = 0;
    for (;;) {
        const auto room = text.tail(4096);
        const ssize_t n = ::read(fd, room.data(), room.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            err = errno;
            break;
        }
        if (n == 0) {
            break;
        }
        text.commit(static_cast<std::size_t>(n));
        if (text.size() > max_bytes) {
            break;
        }
    }
    if (!use_stdin) {
        ::close(fd);
    }
    if (err != 0) {
        throw_io("cannot read", input_name(path), err);
    }
    if (text.size() > max_bytes) {
        throw Error(ErrorCategory::invalid_input, input_name(path) + " is larger than " +
                                                      std::to_string(max_bytes) +
                                                      " bytes; is it the right file?");
    }
    return text.release();
}

Secret read_first_line(const std::string& path, std::size_t max_bytes) {
    Secret content = read_input(path, max_bytes);
    const std::string_view text = content.text();
    std::size_t end = std::min(text.find('\n'), text.size());
    if (end > 0 && text[end - 1] == '\r') {
        --end;
    }
    content.truncate(end);
    return content;
}

Secret read_pin_file(const std::string& path) {
    return read_first_line(path, kMaxPinBytes);
}

}  // namespace smk
