// Reading sha256sum manifests. The rules follow coreutils 9.1 `sha256sum -c`
// (src/digest.c: digest_check, split_3, bsd_split_3, filename_unescape), measured
// against the real program by tests/media: where this code and sha256sum could
// disagree, a file would pass one check and fail the other.

#include <optional>
#include <variant>

#include "name_escape.hpp"
#include "smk/hex.hpp"
#include "smk/manifest.hpp"

namespace smk::manifest {
namespace {

constexpr std::size_t kHexDigits = 64;
constexpr std::string_view kTagAlgorithm = "SHA256";
constexpr std::string_view kLinkPrefix = "# symlink ";
constexpr std::string_view kLinkArrow = " -> ";
constexpr std::string_view kNotALine =
    "not a sha256sum line (expected 64 hex digits, two spaces or ' *', a name)";

bool is_white(char c) {
    return c == ' ' || c == '\t';
}

// Exactly 64 hex digits, either case.
std::optional<Sha256> decode_digest(std::string_view hex) {
    if (hex.size() != kHexDigits) {
        return std::nullopt;
    }
    Sha256 digest{};
    if (!decode_public_hex(hex, digest)) {
        return std::nullopt;
    }
    return digest;
}

// "MD5 (x) = …", "SHA512 (x) = …", "SHA2-256(x)= …" (openssl): the algorithm named,
// so that the error says what the line is instead of only what it is not.
std::optional<std::string_view> other_tag_algorithm(std::string_view rest) {
    const std::size_t paren = rest.find('(');
    if (paren == std::string_view::npos || rest.find(')', paren) == std::string_view::npos ||
        rest.find('=', paren) == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view algorithm = rest.substr(0, paren);
    if (algorithm.ends_with(' ')) {
        algorithm.remove_suffix(1);
    }
    if (algorithm.empty()) {
        return std::nullopt;
    }
    for (const char c : algorithm) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) {
            return std::nullopt;
        }
    }
    return algorithm;
}

// Whether earlier lines of this manifest were GNU ("HEX  name") or BSD-reversed
// ("HEX name"): sha256sum refuses to mix them, so that a name with a leading space
// cannot be read two ways.
enum class Style { unknown, gnu, reversed };

using LineResult = std::variant<Entry, std::string>;  // an entry, or why not

constexpr std::string_view kBadEscape = "bad escape in the name (only \\\\, \\n and \\r exist)";

// The entry's name from the manifest's text of it (escaped: the line began with
// '\\'); false if an escape is bad.
bool take_name(Entry& entry, std::string_view raw_name, bool escaped) {
    if (!escaped) {
        entry.name = std::string(raw_name);
        return true;
    }
    auto name = media::unescape(raw_name);
    if (!name) {
        return false;
    }
    entry.name = std::move(*name);
    return true;
}

LineResult parse_tag(std::string_view rest, bool escaped) {
    // rest follows "SHA256 (" or "SHA256(": the name runs to the LAST ')'.
    const std::size_t close = rest.rfind(')');
    if (close == std::string_view::npos) {
        return std::string("a SHA256 tag line without ')' (expected 'SHA256 (name) = digest')");
    }
    Entry entry;
    entry.format = LineFormat::tag;
    const std::string_view raw_name = rest.substr(0, close);
    if (!take_name(entry, raw_name, escaped)) {
        return std::string(kBadEscape);
    }
    std::size_t i = close + 1;
    while (i < rest.size() && is_white(rest[i])) {
        ++i;
    }
    if (i == rest.size() || rest[i] != '=') {
        return std::string("a SHA256 tag line without '=' after the name");
    }
    ++i;
    while (i < rest.size() && is_white(rest[i])) {
        ++i;
    }
    auto digest = decode_digest(rest.substr(i));
    if (!digest) {
        return std::string("a SHA256 tag line needs exactly 64 hex digits after '='");
    }
    entry.digest = *digest;
    return entry;
}

LineResult parse_line(std::string_view line, Style& style) {
    if (line.find('\0') != std::string_view::npos) {
        return std::string("the line holds a NUL byte");
    }
    std::size_t i = 0;
    while (i < line.size() && is_white(line[i])) {
        ++i;
    }
    bool escaped = false;
    if (i < line.size() && line[i] == '\\') {
        ++i;
        escaped = true;
    }
    std::string_view rest = line.substr(i);
    if (rest.starts_with(kTagAlgorithm)) {
        rest.remove_prefix(kTagAlgorithm.size());
        if (rest.starts_with(' ')) {
            rest.remove_prefix(1);
        }
        if (!rest.starts_with('(')) {
            return std::string("expected 'SHA256 (name) = digest'");
        }
        return parse_tag(rest.substr(1), escaped);
    }
    if (rest.size() < kHexDigits + 2 || !is_white(rest[kHexDigits])) {
        if (const auto algorithm = other_tag_algorithm(rest)) {
            return "a tag line for '" + std::string(*algorithm) +
                   "'; only 'SHA256 (name) = digest' lines are SHA-256 lines";
        }
        return std::string(kNotALine);
    }
    auto digest = decode_digest(rest.substr(0, kHexDigits));
    if (!digest) {
        return std::string(kNotALine);
    }
    Entry entry;
    entry.digest = *digest;
    std::size_t j = kHexDigits + 1;
    if (rest.size() - j == 1 || (rest[j] != ' ' && rest[j] != '*')) {
        if (style == Style::gnu) {
            return std::string(
                "one space between digest and name (BSD 'sha256 -r' style) after lines with "
                "two; sha256sum refuses to mix the two styles");
        }
        style = Style::reversed;
        entry.format = LineFormat::bsd_reversed;
    } else if (style != Style::reversed) {
        style = Style::gnu;
        entry.format = (rest[j] == '*') ? LineFormat::binary : LineFormat::text;
        ++j;
    } else {
        // BSD-reversed manifest: a leading ' ' or '*' belongs to the name.
        entry.format = LineFormat::bsd_reversed;
    }
    const std::string_view raw_name = rest.substr(j);
    if (!take_name(entry, raw_name, escaped)) {
        return std::string(kBadEscape);
    }
    return entry;
}

// An improperly formatted line: the error with strict, reported and skipped without.
void improper(Parsed& parsed, std::string_view source, bool strict, std::size_t line_number,
              std::string reason) {
    if (strict) {
        throw Error(ErrorCategory::invalid_input,
                    std::string(source) + " line " + std::to_string(line_number) + ": " + reason);
    }
    parsed.improper.push_back({line_number, std::move(reason)});
}

using LinkResultOrWhy = std::variant<LinkEntry, std::string>;  // a link, or why not

// "# symlink NAME -> TARGET" less its prefix: NAME and TARGET escaped, and as an
// escaped name holds no '>' of its own, the first " -> " is the one between them.
LinkResultOrWhy parse_link_line(std::string_view rest) {
    if (rest.find('\0') != std::string_view::npos) {
        return std::string("the line holds a NUL byte");
    }
    const std::size_t arrow = rest.find(kLinkArrow);
    if (arrow == std::string_view::npos) {
        return std::string(
            "a '# symlink' line without ' -> ' (expected '# symlink NAME -> TARGET')");
    }
    auto name = media::unescape(rest.substr(0, arrow), true);
    auto target = media::unescape(rest.substr(arrow + kLinkArrow.size()), true);
    if (!name || !target) {
        return std::string("bad escape in a '# symlink' line (only \\\\, \\n, \\r and \\> exist)");
    }
    if (name->empty()) {
        return std::string("the link's name is empty");
    }
    if (target->empty()) {
        return std::string("the link's target is empty");
    }
    return LinkEntry{std::move(*name), std::move(*target), 0};
}

}  // namespace

Parsed parse(std::string_view text, std::string_view source, bool strict) {
    Parsed parsed;
    Style style = Style::unknown;
    std::size_t line_number = 0;
    while (!text.empty()) {
        ++line_number;
        const std::size_t newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        if (line.starts_with('#') && !line.starts_with(kLinkPrefix)) {
            continue;  // a comment, as sha256sum has it: only in the first column
        }
        if (line.ends_with('\r')) {
            line.remove_suffix(1);  // CRLF manifests (written or converted on Windows)
        }
        if (line.empty()) {
            continue;
        }
        if (line.starts_with(kLinkPrefix)) {
            // A comment to sha256sum; a recorded symbolic link to smk.
            LinkResultOrWhy link = parse_link_line(line.substr(kLinkPrefix.size()));
            if (auto* entry = std::get_if<LinkEntry>(&link)) {
                entry->line = line_number;
                parsed.links.push_back(std::move(*entry));
                continue;
            }
            improper(parsed, source, strict, line_number, std::get<std::string>(std::move(link)));
            continue;
        }
        LineResult result = parse_line(line, style);
        if (auto* entry = std::get_if<Entry>(&result); entry != nullptr && entry->name.empty()) {
            result = std::string("the name is empty");
        }
        if (auto* entry = std::get_if<Entry>(&result)) {
            entry->line = line_number;
            parsed.entries.push_back(std::move(*entry));
            continue;
        }
        improper(parsed, source, strict, line_number, std::get<std::string>(std::move(result)));
    }
    if (parsed.entries.empty()) {
        std::string message = std::string(source) + ": no properly formatted sha256sum lines";
        if (parsed.improper.empty()) {
            message += " (the manifest is empty)";
        } else {
            message += "; line " + std::to_string(parsed.improper.front().line) + ": " +
                       parsed.improper.front().reason;
        }
        throw Error(ErrorCategory::invalid_input, message);
    }
    return parsed;
}

}  // namespace smk::manifest
