#include "smk/hex.hpp"

#include <sodium.h>

#include "smk/error.hpp"

namespace smk {
namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

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
    while (!text.empty() && is_space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_space(text.back())) {
        text.remove_suffix(1);
    }
    if (text.empty() || text.size() % 2 != 0) {
        throw Error(ErrorCategory::invalid_input,
                    std::string(what) + ": expected an even number of hex digits; check the file");
    }
    Secret out(text.size() / 2);
    std::size_t written = 0;
    const char* end = nullptr;
    if (sodium_hex2bin(out.data(), out.size(), text.data(), text.size(), nullptr, &written, &end) !=
            0 ||
        written != out.size() || end != text.data() + text.size()) {
        throw Error(ErrorCategory::invalid_input,
                    std::string(what) + ": not valid hex (only 0-9 and a-f are allowed)");
    }
    return out;
}

}  // namespace smk
