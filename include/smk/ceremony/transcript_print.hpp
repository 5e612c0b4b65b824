#pragma once
// `smk transcript print FILE --out OUT`: the printed record of a transcript
// (smk/ceremony/transcript.hpp) that the administrator and the witnesses read
// aloud and initial. Every line with its seq, time, flow, step, items and results;
// every digest as hex, openssl's colon form and PGP words; blank initials fields;
// on each page the transcript file, page N of M and the SHA-256 of the last line.
// One page layout, written as text (pages separated by a form feed) or as a PDF
// (cairo). The same transcript always gives the same bytes: no current time.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "smk/ceremony/transcript.hpp"
#include "smk/sha256.hpp"

namespace smk::transcript {

// A page: its rows of text (header and footer included), at most kPageRows rows
// of at most kPageColumns characters.
using Page = std::vector<std::string>;
inline constexpr std::size_t kPageRows = 80;
inline constexpr std::size_t kPageColumns = 110;

// The record's pages. `lines` and `verification` from read_file and verify_file of
// `file` (an intact, complete chain).
[[nodiscard]] std::vector<Page> record_pages(const std::filesystem::path& file,
                                             const std::vector<Line>& lines,
                                             const Verification& verification);

// The pages as text: rows joined by '\n', a form feed before each page after the first.
[[nodiscard]] std::string record_text(const std::vector<Page>& pages);

// The pages as an A4 PDF in DejaVu Sans Mono (cairo). Its creation date is
// `creation_date` ("YYYY-MM-DDTHH:MM:SSZ"), never the current time.
// Error(internal) if cairo fails.
[[nodiscard]] std::vector<std::uint8_t> record_pdf(const std::vector<Page>& pages,
                                                   const std::string& creation_date);

struct WrittenRecord {
    std::filesystem::path file;
    bool pdf = false;  // a PDF (the name ends in .pdf), else text
    std::size_t pages = 0;
    Sha256 sha256{};  // of the file as read back from the device
};

// Reads `file` (Error(verification) for a broken or empty chain, before anything
// is written) and writes the record to each of `outs`, new files (mode 0644): a
// PDF when the name ends in ".pdf" (any case), text otherwise. Error(refused)
// naming an out that exists, Error(usage) for an out named twice; both before any
// write. Each written file is read back and hashed; if one cannot be written, the
// ones written before it are removed.
[[nodiscard]] std::vector<WrittenRecord> write_records(
    const std::filesystem::path& file, const std::vector<std::filesystem::path>& outs);

// For the paper script: per written file its name, pages and SHA-256 as hex,
// openssl's colon form and PGP words.
[[nodiscard]] std::string written_records_text(const std::vector<WrittenRecord>& written);

}  // namespace smk::transcript
