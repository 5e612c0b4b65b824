// The reports of `smk transcript` (include/smk/ceremony/transcript_report.hpp),
// moved out of cli/transcript.cpp byte for byte: the CLI tests pin them.

#include "smk/ceremony/transcript_report.hpp"

#include <fmt/core.h>

#include <nlohmann/json.hpp>
#include <string>

#include "smk/digest.hpp"
#include "smk/hex.hpp"

namespace smk::transcript {
namespace {

// The PGP words of a SHA-256 hex digest (a transcript's values are hex text).
std::string words_of_hex(const std::string& hex) {
    Sha256 digest{};
    (void)decode_public_hex(hex, digest);
    return pgp_words(digest);
}

std::string fields_text(const Fields& fields) {
    std::string text;
    for (const auto& [key, value] : fields) {
        if (!text.empty()) {
            text += ", ";
        }
        text += key + "=" + value;
    }
    return text;
}

}  // namespace

std::string verification_json(const std::filesystem::path& file, const Verification& v) {
    nlohmann::json out;
    out["file"] = file.string();
    out["lines"] = v.lines;
    out["ok"] = v.ok();
    if (v.ok()) {
        out["last_line_sha256"] = v.last_hash;
        out["last_line_sha256_pgp_words"] = words_of_hex(v.last_hash);
    } else {
        out["first_broken_line"] = v.first_broken;
        out["reason"] = v.reason;
    }
    return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string incomplete_json(const std::filesystem::path& file, const Verification& v,
                            std::string_view reason) {
    nlohmann::json out;
    out["file"] = file.string();
    out["lines"] = v.lines;
    out["ok"] = false;
    out["reason"] = std::string(reason);
    return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string verification_text(const std::filesystem::path& file, const Verification& v) {
    return fmt::format(
        "{}: OK, {} lines, chain intact; SHA-256 of the last line: {}\n  PGP words: {}\n",
        file.string(), v.lines, v.last_hash, words_of_hex(v.last_hash));
}

std::string broken_chain_message(const std::filesystem::path& file, const Verification& v) {
    return fmt::format(
        "{}: chain broken at line {}: {}. Lines before {} are intact; "
        "this line and everything after it cannot be trusted.",
        file.string(), v.first_broken, v.reason, v.first_broken);
}

std::string render(const std::filesystem::path& file, const std::vector<Line>& lines,
                   const std::string& last_hash) {
    std::string out =
        fmt::format("Transcript {} ({} lines, hash chain verified)\n", file.string(), lines.size());
    for (const auto& line : lines) {
        out += fmt::format("{:>4}  {}  {:<14} {}\n", line.seq, line.time, line.flow, line.step);
        if (!line.items.empty()) {
            out += "        items:   " + fields_text(line.items) + "\n";
        }
        if (!line.results.empty()) {
            out += "        results: " + fields_text(line.results) + "\n";
        }
        if (!line.digests.empty()) {
            out += "        digests: " + fields_text(line.digests) + "\n";
        }
    }
    out += "SHA-256 of the last line (write it on the paper script): " + last_hash + "\n";
    out += "  PGP words: " + words_of_hex(last_hash) + "\n";
    return out;
}

}  // namespace smk::transcript
