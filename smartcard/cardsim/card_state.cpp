#include "card_state.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "smk/atomic_file.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"

namespace smk::cardsim {
namespace {

constexpr std::string_view kHeader = "smk-cardsim-state 1";

[[noreturn]] void throw_io(const std::string& what, const std::filesystem::path& file, int err) {
    throw Error(ErrorCategory::io,
                fmt::format("{} {}: {}", what, file.string(), std::strerror(err)));
}

Secret default_pin(std::string_view pin) {
    return Secret::copy_of({reinterpret_cast<const std::uint8_t*>(pin.data()), pin.size()});
}

// Splits a line into whitespace-separated fields (views into the line).
std::vector<std::string_view> fields_of(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && line[i] == ' ') {
            ++i;
        }
        const std::size_t start = i;
        while (i < line.size() && line[i] != ' ') {
            ++i;
        }
        if (i > start) {
            out.push_back(line.substr(start, i - start));
        }
    }
    return out;
}

Secret value_field(std::string_view text, std::string_view what) {
    if (text == "-") {
        return Secret{};
    }
    return from_hex_secret(text, what);
}

std::uint8_t tries_field(std::string_view text) {
    if (text.size() != 1 || text[0] < '0' || text[0] > '3') {
        throw Error(ErrorCategory::invalid_input, "retry counter must be 0..3");
    }
    return static_cast<std::uint8_t>(text[0] - '0');
}

std::uint16_t tag_field(std::string_view text) {
    const Secret raw = from_hex_secret(text, "data object tag");
    if (raw.size() != 2) {
        throw Error(ErrorCategory::invalid_input, "data object tag must be 4 hex digits");
    }
    return static_cast<std::uint16_t>((raw.data()[0] << 8) | raw.data()[1]);
}

void parse_line(std::string_view line, CardState& state) {
    const auto f = fields_of(line);
    if (f.empty()) {
        return;
    }
    if (f[0] == "serial" && f.size() == 2) {
        state.serial = parse_serial(f[1]);
    } else if (f[0] == "terminated" && f.size() == 2 && (f[1] == "0" || f[1] == "1")) {
        state.terminated = f[1] == "1";
    } else if (f[0] == "pw1-valid-multiple" && f.size() == 2 && (f[1] == "0" || f[1] == "1")) {
        state.pw1_valid_multiple = f[1] == "1";
    } else if (f[0] == "pin" && f.size() == 4 && (f[1] == "pw1" || f[1] == "pw3" || f[1] == "rc")) {
        PinState& pin = f[1] == "pw1" ? state.pw1 : (f[1] == "pw3" ? state.pw3 : state.rc);
        pin.value = value_field(f[2], "PIN");
        pin.tries = tries_field(f[3]);
    } else if (f[0] == "do" && f.size() == 3) {
        state.objects.insert_or_assign(tag_field(f[1]), value_field(f[2], "data object"));
    } else if (f[0] == "key" && f.size() == 3 && (f[1] == "B6" || f[1] == "B8" || f[1] == "A4")) {
        const std::uint8_t crt = f[1] == "B6" ? 0xB6 : (f[1] == "B8" ? 0xB8 : 0xA4);
        state.keys.insert_or_assign(crt, from_hex_secret(f[2], "private key"));
    } else {
        throw Error(ErrorCategory::invalid_input, "unknown line");
    }
}

void append(Secret& buf, std::size_t& len, std::string_view text) {
    if (len + text.size() > buf.size()) {
        throw Error(ErrorCategory::internal, "card state buffer too small");
    }
    std::memcpy(buf.data() + len, text.data(), text.size());
    len += text.size();
}

void append_value(Secret& buf, std::size_t& len, const Secret& value) {
    if (value.empty()) {
        append(buf, len, "-");
        return;
    }
    const Secret hex = to_hex_secret(value.bytes());
    append(buf, len, hex.text());
}

}  // namespace

CardState CardState::factory(const std::array<std::uint8_t, 4>& serial) {
    CardState s;
    s.serial = serial;
    s.pw1.value = default_pin("123456");
    s.pw3.value = default_pin("12345678");
    s.rc.tries = 0;  // no resetting code set: counter 0 (OpenPGP card 3.4, 4.3)
    return s;
}

std::array<std::uint8_t, 4> parse_serial(std::string_view hex8) {
    bool ok = hex8.size() == 8;
    std::array<std::uint8_t, 4> out{};
    for (std::size_t i = 0; ok && i < 8; ++i) {
        const char c = hex8[i];
        int v = -1;
        if (c >= '0' && c <= '9') {
            v = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            v = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            v = c - 'A' + 10;
        }
        ok = v >= 0;
        out[i / 2] = static_cast<std::uint8_t>((out[i / 2] << 4) | (v & 0xF));
    }
    if (!ok) {
        throw Error(
            ErrorCategory::usage,
            fmt::format("card serial '{}' must be exactly 8 hex digits, e.g. 0000A001", hex8));
    }
    return out;
}

std::optional<CardState> load_state(const std::filesystem::path& file) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            return std::nullopt;
        }
        throw_io("cannot open card state", file, errno);
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || st.st_size < 0 || st.st_size > (1 << 22)) {
        ::close(fd);
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("card state {} is not a plausible state file", file.string()));
    }
    Secret text(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < text.size()) {
        const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
        if (n <= 0) {
            const int err = n < 0 ? errno : EIO;
            ::close(fd);
            throw_io("cannot read card state", file, err);
        }
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);

    const std::string_view all = text.text();
    CardState state = CardState::factory({});
    std::size_t pos = 0;
    std::size_t line_no = 0;
    while (pos < all.size()) {
        std::size_t end = all.find('\n', pos);
        if (end == std::string_view::npos) {
            end = all.size();
        }
        const std::string_view line = all.substr(pos, end - pos);
        ++line_no;
        pos = end + 1;
        if (line_no == 1) {
            if (line != kHeader) {
                throw Error(
                    ErrorCategory::invalid_input,
                    fmt::format("{} is not an smk-cardsim state file (first line must be '{}')",
                                file.string(), kHeader));
            }
            continue;
        }
        try {
            parse_line(line, state);
        } catch (const Error& e) {
            // The message names the file and line only: the line may hold a PIN.
            throw Error(ErrorCategory::invalid_input,
                        fmt::format("card state {} line {}: {}; fix or delete the file (a deleted "
                                    "state is a factory-new card)",
                                    file.string(), line_no, e.what()));
        }
    }
    if (line_no == 0) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("card state {} is empty", file.string()));
    }
    return state;
}

void save_state(const std::filesystem::path& file, const CardState& state) {
    std::size_t capacity = 256;
    for (const auto* pin : {&state.pw1, &state.pw3, &state.rc}) {
        capacity += 2 * pin->value.size() + 16;
    }
    for (const auto& [tag, value] : state.objects) {
        capacity += 2 * value.size() + 16;
    }
    for (const auto& [crt, key] : state.keys) {
        capacity += 2 * key.size() + 16;
    }
    Secret buf(capacity);
    std::size_t len = 0;
    append(buf, len, kHeader);
    append(buf, len,
           fmt::format("\nserial {:02X}{:02X}{:02X}{:02X}\n", state.serial[0], state.serial[1],
                       state.serial[2], state.serial[3]));
    append(buf, len,
           fmt::format("terminated {}\npw1-valid-multiple {}\n", state.terminated ? 1 : 0,
                       state.pw1_valid_multiple ? 1 : 0));
    const std::pair<std::string_view, const PinState*> pins[] = {
        {"pw1", &state.pw1}, {"pw3", &state.pw3}, {"rc", &state.rc}};
    for (const auto& [name, pin] : pins) {
        append(buf, len, fmt::format("pin {} ", name));
        append_value(buf, len, pin->value);
        append(buf, len, fmt::format(" {}\n", pin->tries));
    }
    for (const auto& [tag, value] : state.objects) {
        append(buf, len, fmt::format("do {:04X} ", tag));
        append_value(buf, len, value);
        append(buf, len, "\n");
    }
    for (const auto& [crt, key] : state.keys) {
        append(buf, len, fmt::format("key {:02X} ", crt));
        append_value(buf, len, key);
        append(buf, len, "\n");
    }

    const std::filesystem::path dir =
        file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
    const std::filesystem::path temp =
        dir / fmt::format(".{}.tmp.{}", file.filename().string(), ::getpid());
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw_io("cannot create temporary card state", temp, errno);
    }
    std::size_t done = 0;
    int err = 0;
    while (done < len && err == 0) {
        const ssize_t n = ::write(fd, buf.data() + done, len - done);
        if (n < 0) {
            err = errno == EINTR ? 0 : errno;
        } else {
            done += static_cast<std::size_t>(n);
        }
    }
    if (err == 0 && ::fsync(fd) != 0) {
        err = errno;
    }
    if (::close(fd) != 0 && err == 0) {
        err = errno;
    }
    if (err == 0 && ::rename(temp.c_str(), file.c_str()) != 0) {
        err = errno;
    }
    if (err != 0) {
        ::unlink(temp.c_str());
        throw_io("cannot write card state", file, err);
    }
    fsync_directory(dir);
}

}  // namespace smk::cardsim
