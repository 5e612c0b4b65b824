#include "smk/hex.hpp"

#include <sodium.h>

#include <string>

#include "smk/error.hpp"

namespace smk {
namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool is_hex_digit(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Why `text` (the whole input) is not one run of hex digits, for the error message.
// Runs only once decoding has failed, so it never branches on a key that decodes.
// Names no character of the input: it may be most of a secret.
std::string why_not_hex(std::string_view whole, std::string_view text, std::string_view what) {
    const std::string name(what);
    if (whole.empty()) {
        return name + " is empty; it must hold hex digits (two per byte) on one line";
    }
    if (text.empty()) {
        return name + " holds only white space; it must hold hex digits (two per byte) on one line";
    }
    if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        return name + " starts with 0x: remove the 0x prefix and give only the hex digits";
    }
    std::size_t lines = 1;
    bool blank_inside = false;
    for (const char c : text) {
        lines += (c == '\n') ? 1U : 0U;
        blank_inside = blank_inside || c == ' ' || c == '\t' || c == '\r';
    }
    if (lines > 1) {
        return name + ": the hex digits are on " + std::to_string(lines) +
               " lines (as `xxd -p` writes them); write them as one line with no line breaks, "
               "e.g. `xxd -p -c 32 KEYFILE` for a 32-byte key";
    }
    if (blank_inside) {
        return name +
               ": the hex digits are separated by white space; write them as one run with no "
               "spaces, e.g. `xxd -p -c 32 KEYFILE` for a 32-byte key";
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (!is_hex_digit(text[i])) {
            return name + ": not valid hex: character " + std::to_string(i + 1) +
                   " is not a hex digit (only 0-9, a-f and A-F are allowed)";
        }
    }
    return name + ": expected an even number of hex digits (two per byte), got " +
           std::to_string(text.size()) + "; check the file";
}

}  // namespace

bool decode_public_hex(std::string_view text, std::span<std::uint8_t> out) noexcept {
    if (text.size() != 2 * out.size()) {
        return false;
    }
    const auto value = [](char c) -> int {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    };
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int high = value(text[2 * i]);
        const int low = value(text[2 * i + 1]);
        if (high < 0 || low < 0) {
            return false;
        }
        out[i] = static_cast<std::uint8_t>(high * 16 + low);
    }
    return true;
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
    std::string out(bytes.size() * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), bytes.data(), bytes.size());
    out.pop_back();
    return out;
}

Secret to_hex_secret(std::span<const std::uint8_t> bytes) {
    Secret out(bytes.size() * 2 + 1);
    sodium_bin2hex(reinterpret_cast<char*>(out.data()), out.size(), bytes.data(), bytes.size());
    out.truncate(bytes.size() * 2);
    return out;
}

Secret from_hex_secret(std::string_view text, std::string_view what) {
    const std::string_view whole = text;
    while (!text.empty() && is_space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_space(text.back())) {
        text.remove_suffix(1);
    }
    if (text.empty() || text.size() % 2 != 0) {
        throw Error(ErrorCategory::invalid_input, why_not_hex(whole, text, what));
    }
    Secret out(text.size() / 2);
    std::size_t written = 0;
    const char* end = nullptr;
    if (sodium_hex2bin(out.data(), out.size(), text.data(), text.size(), nullptr, &written, &end) !=
            0 ||
        written != out.size() || end != text.data() + text.size()) {
        throw Error(ErrorCategory::invalid_input, why_not_hex(whole, text, what));
    }
    return out;
}

std::string to_base64(std::span<const std::uint8_t> bytes) {
    const std::size_t size =
        sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL);
    std::string out(size, '\0');
    sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(),
                      sodium_base64_VARIANT_ORIGINAL);
    out.resize(size - 1);  // the terminating NUL
    return out;
}

}  // namespace smk
