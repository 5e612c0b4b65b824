// The printed record of a transcript (include/smk/ceremony/transcript_print.hpp):
// the page layout, its text form, and writing the record files. The PDF form is
// in transcript_pdf.cpp.

#include "smk/ceremony/transcript_print.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "smk/atomic_file.hpp"
#include "smk/digest.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"

namespace smk::transcript {
namespace {

constexpr std::size_t kHeaderRows = 3;
constexpr std::size_t kFooterRows = 3;
constexpr std::size_t kBodyRows = kPageRows - kHeaderRows - kFooterRows;
constexpr std::size_t kWordsPerRow = 8;  // 32 PGP words: four rows of eight, read aloud by row
constexpr std::string_view kInitials =
    "  Initials:  administrator __________   witness __________   witness __________";

using Block = std::vector<std::string>;

// Length of a UTF-8 sequence starting with `lead`, 0 if `lead` cannot start one.
std::size_t utf8_length(unsigned char lead) {
    if (lead < 0x80) {
        return 1;
    }
    if (lead >= 0xc2 && lead <= 0xdf) {
        return 2;
    }
    if (lead >= 0xe0 && lead <= 0xef) {
        return 3;
    }
    if (lead >= 0xf0 && lead <= 0xf4) {
        return 4;
    }
    return 0;
}

// `text` as characters that print: each control character and each byte that is
// not part of a UTF-8 sequence becomes '?', so a value never breaks the layout.
std::vector<std::string> printable_chars(std::string_view text) {
    std::vector<std::string> chars;
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        std::size_t n = utf8_length(lead);
        for (std::size_t k = 1; k < n; ++k) {
            if (i + k >= text.size() || (static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) {
                n = 0;
            }
        }
        if (n == 0 || lead < 0x20 || lead == 0x7f) {
            chars.emplace_back("?");
            ++i;
            continue;
        }
        chars.emplace_back(text.substr(i, n));
        i += n;
    }
    return chars;
}

// `first` + `text` wrapped to kPageColumns characters at spaces (a word longer
// than a row is cut), rows after the first indented by `indent` spaces.
Block wrap(std::string_view first, std::string_view text, std::size_t indent) {
    const std::vector<std::string> chars = printable_chars(text);
    Block rows;
    std::string row(first);
    std::size_t width = printable_chars(first).size();
    std::size_t row_start = width;
    const auto next_row = [&] {
        while (!row.empty() && row.back() == ' ') {
            row.pop_back();
        }
        rows.push_back(row);
        row = std::string(indent, ' ');
        width = row_start = indent;
    };
    std::size_t i = 0;
    while (i < chars.size()) {
        const auto word_end = std::find(chars.begin() + static_cast<std::ptrdiff_t>(i), chars.end(),
                                        std::string(" ")) -
                              chars.begin();
        const auto word = static_cast<std::size_t>(word_end) - i;
        if (width + word > kPageColumns && width > row_start) {
            next_row();
        }
        for (; i < static_cast<std::size_t>(word_end); ++i) {
            if (width == kPageColumns) {
                next_row();
            }
            row += chars[i];
            ++width;
        }
        if (i < chars.size()) {  // the space after the word
            row += ' ';
            ++width;
            ++i;
        }
    }
    while (!row.empty() && row.back() == ' ') {
        row.pop_back();
    }
    rows.push_back(row);
    return rows;
}

void append(Block& block, Block rows) {
    for (auto& row : rows) {
        block.push_back(std::move(row));
    }
}

// `left` and `right` on one row, `right` flush with the right margin.
std::string spread(const std::string& left, const std::string& right) {
    const std::size_t used = printable_chars(left).size() + printable_chars(right).size();
    return left + std::string(used < kPageColumns ? kPageColumns - used : 1, ' ') + right;
}

std::string fields_text(const Fields& fields) {
    std::string text;
    for (const auto& [key, value] : fields) {
        text += (text.empty() ? "" : ", ") + key + "=" + value;
    }
    return text;
}

std::optional<Sha256> digest_of_hex(std::string_view hex) {
    Sha256 digest{};
    if (hex.size() != 64 || !decode_public_hex(hex, digest)) {
        return std::nullopt;
    }
    return digest;
}

// A digest in its three forms under `title` (if any): hex, openssl's colon form
// and the PGP words, eight to a row.
void add_digest(Block& block, std::string_view title, const Sha256& digest) {
    if (!title.empty()) {
        block.emplace_back(title);
    }
    block.push_back("    hex    " + digest_hex(digest));
    block.push_back("    colon  " + digest_colon_hex(digest));
    const std::string words = pgp_words(digest);
    std::size_t start = 0;
    for (std::size_t row = 0; start < words.size(); ++row) {
        std::size_t end = start;
        for (std::size_t w = 0; w < kWordsPerRow && end != std::string::npos; ++w) {
            end = words.find(' ', end + (w == 0 ? 0 : 1));
        }
        end = std::min(end, words.size());
        append(block, wrap(row == 0 ? "    words  " : "           ",
                           std::string_view(words).substr(start, end - start), 11));
        start = end + 1;
    }
}

void add_fields(Block& block, std::string_view label, const Fields& fields) {
    if (fields.empty()) {
        return;
    }
    append(block, wrap(fmt::format("  {:<9}", label), fields_text(fields), 11));
}

Block line_block(const Line& line, std::size_t count, const std::string& line_hash) {
    Block block = wrap(fmt::format("Line {} of {}   {}   flow: ", line.seq, count, line.time),
                       line.flow + "   step: " + line.step, 4);
    add_fields(block, "items:", line.items);
    add_fields(block, "results:", line.results);
    for (const auto& [key, value] : line.digests) {
        if (const auto digest = digest_of_hex(value)) {
            append(block, wrap("  digest ", key, 4));
            add_digest(block, "", *digest);
        } else {
            append(block, wrap("  digest ", key + " = " + value + " (not a SHA-256 in hex)", 4));
        }
    }
    block.push_back(fmt::format("  prev   {}  (SHA-256 of {})", line.prev,
                                line.seq == 1 ? std::string("\"smk transcript v1\"")
                                              : fmt::format("line {}", line.seq - 1)));
    add_digest(block, "  SHA-256 of this line (the next line's prev)", *digest_of_hex(line_hash));
    block.emplace_back();  // room to write the initials in
    block.emplace_back(kInitials);
    block.emplace_back();
    return block;
}

Block closing_block(const Verification& v) {
    Block block;
    add_digest(
        block,
        fmt::format("SHA-256 of the last line (line {}): compare with the paper script", v.lines),
        *digest_of_hex(v.last_hash));
    block.emplace_back(
        "  Compared with the paper script by:  __________   __________   __________");
    return block;
}

// A file name that fits one header row: its end, when it is long.
std::string fit_row(std::string_view prefix, std::string_view name) {
    const std::vector<std::string> chars = printable_chars(name);
    const std::size_t room = kPageColumns - prefix.size();
    std::string shown;
    const std::size_t first = chars.size() > room ? chars.size() - (room - 3) : 0;
    if (first > 0) {
        shown = "...";
    }
    for (std::size_t i = first; i < chars.size(); ++i) {
        shown += chars[i];
    }
    return std::string(prefix) + shown;
}

}  // namespace

std::vector<Page> record_pages(const std::filesystem::path& file, const std::vector<Line>& lines,
                               const Verification& v) {
    std::vector<Block> blocks;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        blocks.push_back(line_block(lines[i], lines.size(), v.line_hashes.at(i)));
    }
    blocks.push_back(closing_block(v));

    std::vector<Block> bodies(1);
    for (const auto& block : blocks) {
        // A block starts a new page unless it fits on this one; one longer than a
        // page runs on over pages.
        if (!bodies.back().empty() && bodies.back().size() + block.size() > kBodyRows) {
            bodies.emplace_back();
        }
        for (const auto& row : block) {
            if (bodies.back().size() == kBodyRows) {
                bodies.emplace_back();
            }
            bodies.back().push_back(row);
        }
    }

    std::vector<Page> pages;
    const std::string rule(kPageColumns, '-');
    for (std::size_t n = 0; n < bodies.size(); ++n) {
        const std::string page_of = fmt::format("page {} of {}", n + 1, bodies.size());
        Page page;
        page.push_back(fit_row("smk transcript record: ", file.string()));
        page.push_back(spread(fmt::format("{} lines, hash chain verified", v.lines), page_of));
        page.push_back(rule);
        page.insert(page.end(), bodies[n].begin(), bodies[n].end());
        page.resize(kPageRows - kFooterRows);
        page.push_back(rule);
        page.push_back(fmt::format("SHA-256 of the last line (line {}): {}", v.lines, v.last_hash));
        page.push_back(spread("Initial each line as it is read aloud and checked.", page_of));
        pages.push_back(std::move(page));
    }
    return pages;
}

std::string record_text(const std::vector<Page>& pages) {
    std::string text;
    for (std::size_t n = 0; n < pages.size(); ++n) {
        if (n > 0) {
            text += '\f';
        }
        for (const auto& row : pages[n]) {
            text += row;
            text += '\n';
        }
    }
    return text;
}

std::vector<WrittenRecord> write_records(const std::filesystem::path& file,
                                         const std::vector<std::filesystem::path>& outs) {
    const Record record = read_verified(file);
    require_complete(file, record.verification, std::nullopt);
    std::vector<std::filesystem::path> seen;
    for (const auto& out : outs) {
        const auto normal = std::filesystem::absolute(out).lexically_normal();
        if (std::find(seen.begin(), seen.end(), normal) != seen.end()) {
            throw Error(ErrorCategory::usage,
                        out.string() + " is named twice in --out; name each file once.");
        }
        seen.push_back(normal);
        refuse_existing(out);
    }

    const auto pages = record_pages(file, record.lines, record.verification);
    const std::string& last_time = record.lines.back().time;
    std::vector<std::pair<WrittenRecord, std::vector<std::uint8_t>>> files;
    for (const auto& out : outs) {
        std::string extension = out.extension().string();
        std::transform(extension.begin(), extension.end(), extension.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        WrittenRecord written{out, extension == ".pdf", pages.size(), {}};
        std::vector<std::uint8_t> bytes;
        if (written.pdf) {
            bytes = record_pdf(pages, last_time);
        } else {
            const std::string text = record_text(pages);
            bytes.assign(text.begin(), text.end());
        }
        files.emplace_back(std::move(written), std::move(bytes));
    }

    std::vector<WrittenRecord> done;
    try {
        for (auto& [written, bytes] : files) {
            write_new_file(written.file, bytes, 0644);
            done.push_back(written);
            written.sha256 =
                sha256_file_as_written(written.file, digest_hex(sha256_bytes(bytes))).sha256;
            done.back().sha256 = written.sha256;
        }
    } catch (...) {
        for (const auto& written : done) {
            std::error_code ignored;
            std::filesystem::remove(written.file, ignored);
        }
        throw;
    }
    return done;
}

std::string written_records_text(const std::vector<WrittenRecord>& written) {
    std::string text;
    for (const auto& w : written) {
        text += fmt::format("wrote {} ({}, {} page{}); for the paper script:\n", w.file.string(),
                            w.pdf ? "PDF" : "text", w.pages, w.pages == 1 ? "" : "s");
        text += "  SHA-256    " + digest_hex(w.sha256) + "\n";
        text += "  colon      " + digest_colon_hex(w.sha256) + "\n";
        text += "  PGP words  " + pgp_words(w.sha256) + "\n";
    }
    return text;
}

}  // namespace smk::transcript
