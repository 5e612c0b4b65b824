#include "mountinfo.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <charconv>
#include <fstream>
#include <iterator>
#include <optional>
#include <system_error>

#include "smk/error.hpp"

namespace smk::media {
namespace {

std::vector<std::string_view> split_spaces(std::string_view line) {
    std::vector<std::string_view> fields;
    while (!line.empty()) {
        const std::size_t space = line.find(' ');
        fields.push_back(line.substr(0, space));
        if (space == std::string_view::npos) {
            break;
        }
        line.remove_prefix(space + 1);
    }
    return fields;
}

template <typename T>
std::optional<T> parse_number(std::string_view text) {
    T value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
        return std::nullopt;
    }
    return value;
}

bool is_octal(char c) {
    return c >= '0' && c <= '7';
}

// True when mount_point is path itself or one of its parent directories.
bool covers(std::string_view mount_point, std::string_view path) {
    if (mount_point == "/") {
        return path.starts_with('/');
    }
    return path.starts_with(mount_point) &&
           (path.size() == mount_point.size() || path[mount_point.size()] == '/');
}

}  // namespace

std::string decode_octal_escapes(std::string_view field) {
    std::string out;
    out.reserve(field.size());
    for (std::size_t i = 0; i < field.size(); ++i) {
        if (field[i] == '\\' && i + 3 < field.size() && is_octal(field[i + 1]) &&
            is_octal(field[i + 2]) && is_octal(field[i + 3])) {
            const int value =
                (field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0');
            out.push_back(static_cast<char>(static_cast<unsigned char>(value & 0xff)));
            i += 3;
        } else {
            out.push_back(field[i]);
        }
    }
    return out;
}

MountInfo parse_mountinfo_line(std::string_view line, std::string_view source) {
    const auto bad = [&](const std::string& what) {
        return Error(ErrorCategory::invalid_input,
                     std::string(source) + ": not a mountinfo line (" + what + ")");
    };
    const std::vector<std::string_view> fields = split_spaces(line);
    std::size_t dash = 6;
    while (dash < fields.size() && fields[dash] != "-") {
        ++dash;
    }
    if (fields.size() < 10 || dash >= fields.size() || fields.size() - dash != 4) {
        throw bad("expected 6 fields, optional fields, '-', then 3 fields");
    }
    MountInfo info;
    const auto mount_id = parse_number<int>(fields[0]);
    const auto parent_id = parse_number<int>(fields[1]);
    if (!mount_id || !parent_id) {
        throw bad("mount and parent ids must be numbers");
    }
    info.mount_id = *mount_id;
    info.parent_id = *parent_id;
    const std::size_t colon = fields[2].find(':');
    const auto major = parse_number<unsigned>(fields[2].substr(0, colon));
    const auto minor = colon == std::string_view::npos
                           ? std::nullopt
                           : parse_number<unsigned>(fields[2].substr(colon + 1));
    if (!major || !minor) {
        throw bad("expected major:minor in field 3");
    }
    info.major = *major;
    info.minor = *minor;
    info.root = decode_octal_escapes(fields[3]);
    info.mount_point = decode_octal_escapes(fields[4]);
    if (!info.mount_point.starts_with('/')) {
        throw bad("the mount point is not an absolute path");
    }
    info.options = std::string(fields[5]);
    for (std::size_t i = 6; i < dash; ++i) {
        info.optional_fields.emplace_back(fields[i]);
    }
    info.fs_type = std::string(fields[dash + 1]);
    info.source = decode_octal_escapes(fields[dash + 2]);
    info.super_options = std::string(fields[dash + 3]);
    return info;
}

std::vector<MountInfo> parse_mountinfo(std::string_view text, std::string_view source) {
    std::vector<MountInfo> mounts;
    std::size_t line_number = 0;
    while (!text.empty()) {
        ++line_number;
        const std::size_t newline = text.find('\n');
        const std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        if (line.empty()) {
            continue;
        }
        mounts.push_back(parse_mountinfo_line(
            line, std::string(source) + " line " + std::to_string(line_number)));
    }
    return mounts;
}

std::vector<MountInfo> read_mountinfo() {
    constexpr const char* kPath = "/proc/self/mountinfo";
    std::ifstream in(kPath, std::ios::binary);
    const std::string text{std::istreambuf_iterator<char>(in), {}};
    if (!in.good() && !in.eof()) {
        throw Error(ErrorCategory::io, std::string("cannot read ") + kPath);
    }
    if (text.empty()) {
        throw Error(ErrorCategory::io,
                    std::string(kPath) + " is empty or missing (is /proc mounted?)");
    }
    return parse_mountinfo(text, kPath);
}

std::size_t find_mount(std::span<const MountInfo> mounts, std::string_view absolute_path) {
    std::size_t best_length = 0;
    bool found = false;
    for (const MountInfo& m : mounts) {
        if (covers(m.mount_point, absolute_path) &&
            (!found || m.mount_point.size() > best_length)) {
            best_length = m.mount_point.size();
            found = true;
        }
    }
    if (!found) {
        return mounts.size();
    }
    // Of the mounts stacked on that point, the top-most is the one on which no other
    // mount there sits; file order breaks ties (later mounts come later).
    std::size_t chosen = mounts.size();
    for (std::size_t i = 0; i < mounts.size(); ++i) {
        const MountInfo& m = mounts[i];
        if (m.mount_point.size() != best_length || !covers(m.mount_point, absolute_path)) {
            continue;
        }
        bool covered = false;
        for (const MountInfo& other : mounts) {
            if (&other != &m && other.parent_id == m.mount_id &&
                other.mount_point == m.mount_point) {
                covered = true;
                break;
            }
        }
        if (!covered) {
            chosen = i;
        }
    }
    return chosen;
}

PathMount mount_of(const std::filesystem::path& path) {
    std::error_code ec;
    const std::filesystem::path canonical = std::filesystem::canonical(path, ec);
    if (ec) {
        throw Error(ErrorCategory::io, "cannot resolve " + path.string() + ": " + ec.message());
    }
    struct stat st {};
    if (::stat(canonical.c_str(), &st) != 0) {
        throw Error(ErrorCategory::io, "cannot stat " + canonical.string());
    }
    const std::vector<MountInfo> mounts = read_mountinfo();
    const std::string& where = canonical.native();
    const std::size_t index = find_mount(mounts, where);
    if (index == mounts.size()) {
        throw Error(ErrorCategory::io, "no mount holds " + canonical.string());
    }
    const auto same_device = [&](const MountInfo& m) {
        return makedev(m.major, m.minor) == st.st_dev;
    };
    if (same_device(mounts[index])) {
        return {mounts[index], true};
    }
    // A mount over a parent directory can hide a longer mount point; trust st_dev and
    // take the longest covering mount on the file's own device.
    const MountInfo* best = nullptr;
    for (const MountInfo& m : mounts) {
        if (covers(m.mount_point, where) && same_device(m) &&
            (best == nullptr || m.mount_point.size() >= best->mount_point.size())) {
            best = &m;
        }
    }
    if (best != nullptr) {
        return {*best, true};
    }
    return {mounts[index], false};
}

}  // namespace smk::media
