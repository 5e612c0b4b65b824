#include "io.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>

#include "smk/atomic_file.hpp"
#include "smk/error.hpp"
#include "smk/kcv.hpp"

namespace smk::cli {
namespace {

[[noreturn]] void throw_io(std::string_view what, const std::string& name, int err) {
    throw Error(ErrorCategory::io, fmt::format("{} {}: {}", what, name, std::strerror(err)));
}

bool is_blank(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

// `line` without ASCII whitespace at either end (a view into the same memory).
std::string_view trim(std::string_view line) noexcept {
    while (!line.empty() && is_blank(line.front())) {
        line.remove_prefix(1);
    }
    while (!line.empty() && is_blank(line.back())) {
        line.remove_suffix(1);
    }
    return line;
}

std::span<const std::uint8_t> as_bytes(std::string_view text) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

std::vector<slip39::NamedMnemonic> read_mnemonics(const std::vector<std::string>& inputs,
                                                  NoShares when_none) {
    std::vector<std::string> names = inputs;
    if (names.empty()) {
        names.emplace_back("-");
    }
    if (std::count(names.begin(), names.end(), "-") > 1) {
        throw Error(ErrorCategory::usage, "stdin ('-') can be given only once");
    }
    std::vector<slip39::NamedMnemonic> shares;
    bool all_zero_bytes = true;  // every input is 0 bytes long (not only blank lines)
    for (const auto& path : names) {
        if (path == "-" && is_terminal(0)) {
            print_err("smk: reading shares from the terminal, one per line; end with Ctrl-D\n");
        }
        const Secret content = read_input(path);
        all_zero_bytes = all_zero_bytes && content.empty();
        std::string_view rest = content.text();
        unsigned line_number = 0;
        while (!rest.empty()) {
            ++line_number;
            const auto end = rest.find('\n');
            const std::string_view line = trim(rest.substr(0, end));
            rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
            if (line.empty()) {
                continue;
            }
            shares.push_back({fmt::format("{} line {}", input_name(path), line_number),
                              Secret::copy_of(as_bytes(line))});
        }
    }
    if (shares.empty()) {
        std::string where;
        for (const auto& path : names) {
            where += (where.empty() ? "" : ", ") + input_name(path);
        }
        if (when_none == NoShares::insufficient) {
            throw Error(ErrorCategory::insufficient,
                        fmt::format("no shares found in {}; give one mnemonic per line", where));
        }
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("{} {} empty{}: no mnemonic in it. Give a file with one "
                                "mnemonic per line (is it the right file?)",
                                where, names.size() == 1 ? "is" : "are all",
                                all_zero_bytes ? "" : " (only blank lines)"));
    }
    return shares;
}

void write_all(int fd, std::span<const std::uint8_t> bytes) {
    if (const int err = write_all_to_fd(fd, bytes); err != 0) {
        throw_io("cannot write to", fd == 1 ? "stdout" : (fd == 2 ? "stderr" : "/dev/tty"), err);
    }
}

void write_all(int fd, std::string_view text) {
    write_all(fd, as_bytes(text));
}

bool is_terminal(int fd) noexcept {
    return ::isatty(fd) == 1;
}

void write_new_secret_file(const std::filesystem::path& path,
                           std::initializer_list<std::span<const std::uint8_t>> parts) {
    AtomicFile file(path, 0600);
    for (const auto part : parts) {
        file.write(part);
    }
    file.commit();
}

slip39::GroupSpec parse_group_spec(const std::string& text) {
    const auto slash = text.find('/');
    slip39::GroupSpec group{};
    const char* end = text.data() + text.size();
    if (slash != std::string::npos) {
        const auto t = std::from_chars(text.data(), text.data() + slash, group.threshold);
        const auto n = std::from_chars(text.data() + slash + 1, end, group.count);
        if (slash > 0 && t.ptr == text.data() + slash && t.ec == std::errc{} && n.ptr == end &&
            n.ec == std::errc{} && slash + 1 < text.size()) {
            return group;
        }
    }
    throw Error(ErrorCategory::usage,
                fmt::format("--group takes THRESHOLD/COUNT, e.g. --group 5/7, not '{}'", text));
}

std::optional<std::string> kcv_text(std::span<const std::uint8_t> key) {
    if (key.size() != 16 && key.size() != 24 && key.size() != 32) {
        return std::nullopt;
    }
    return kcv_hex(key_check_value(key));
}

std::string parse_expected_kcv(std::string_view text) {
    const std::optional<Kcv> kcv = try_parse_kcv(text);
    if (!kcv) {
        throw Error(ErrorCategory::usage,
                    fmt::format("--expect-kcv takes the 6 hex digits of a KCV (3 bytes, e.g. "
                                "1a2b3c), not '{}'",
                                text));
    }
    return kcv_hex(*kcv);
}

void check_kcv(std::span<const std::uint8_t> key, const std::string& expected,
               std::string_view what, std::string_view consequence) {
    const auto actual = kcv_text(key);
    if (!actual) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} is {} bytes long, not an AES key (16, 24 or 32 bytes); it "
                                "has no KCV to compare with the expected {}",
                                what, key.size(), expected));
    }
    if (*actual != expected) {
        throw Error(ErrorCategory::verification,
                    fmt::format("KCV mismatch: {} has KCV {}, expected {}. Check the shares "
                                "and the passphrase{}.",
                                what, *actual, expected, consequence));
    }
}

std::string json_quote(std::string_view text) {
    return nlohmann::json(std::string(text)).dump();
}

}  // namespace smk::cli
