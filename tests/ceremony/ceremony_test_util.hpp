#pragma once
// Helpers for the ceremony suite (temporary directories and the smk runner come
// from tests/cli/run.hpp): file reading and writing, SHA-256, the transcript, the
// issued plan and the issue receipt, the example plan.

#include <doctest/doctest.h>
#include <sodium.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "cli/run.hpp"
#include "smk/ceremony/journal.hpp"
#include "smk/ceremony/transcript.hpp"

namespace smk_test {

namespace fs = std::filesystem;

inline std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot read " << p);
    return {std::istreambuf_iterator<char>(in), {}};
}

inline void spit(const fs::path& p, std::string_view text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    REQUIRE(out.good());
}

inline std::string sha256_hex(std::string_view bytes) {
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(bytes.data()),
                       bytes.size());
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (const unsigned char b : digest) {
        hex += kHex[b >> 4];
        hex += kHex[b & 15];
    }
    return hex;
}

// What a flow run in process tells the operator (smk/ceremony/journal.hpp): its words
// and its result lines.
class CapturedOutput final : public smk::ceremony::Output {
  public:
    void say(std::string_view text) override { said += text; }
    void result(std::string_view line) override { results.emplace_back(line); }

    std::string said;
    std::vector<std::string> results;
};

// How many lines of flow `flow` in the transcript are step `step` (0 when there is no
// transcript yet).
inline std::size_t steps(const std::string& transcript, const std::string& flow,
                         const std::string& step) {
    std::size_t n = 0;
    if (!fs::exists(transcript)) {
        return 0;
    }
    for (const auto& line : smk::transcript::read_file(transcript)) {
        n += line.flow == flow && line.step == step ? 1U : 0U;
    }
    return n;
}

// The issued plan an issue wrote into `dir` (the first file named plan-id*), or ""
// when there is none.
inline std::string issued_plan_of(const std::string& dir) {
    for (const auto& entry : fs::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("plan-id", 0) == 0) {
            return entry.path().string();
        }
    }
    return {};
}

// The KCV (6 hex digits) of the "  KCV " line of `smk ceremony issue`'s receipt.
inline std::string kcv_of_receipt(const std::string& out) {
    const auto at = out.find("  KCV ");
    REQUIRE(at != std::string::npos);
    return out.substr(at + 6, 6);
}

// Whether some line of transcript `file`, of any flow, is step `step`.
inline bool transcript_has(const std::string& file, const std::string& step) {
    for (const auto& line : smk::transcript::read_file(file)) {
        if (line.step == step) {
            return true;
        }
    }
    return false;
}

inline std::string example_plan_text() {
    return slurp(fs::path(SMK_SOURCE_DIR) / "docs/examples/ceremony-plan.toml");
}

// The example plan without AUCKLAND's application backup (its drive is planned last),
// for plans that change or drop the drives.
inline std::string without_application_backup(std::string text) {
    for (const std::string_view key : {"application_backup = ", "application_backup_sha256 = "}) {
        const auto at = text.find(std::string("\n") + std::string(key));
        REQUIRE_MESSAGE(at != std::string::npos, "test plan has no " << key);
        text.erase(at + 1, text.find('\n', at + 1) - at);
    }
    return text;
}

// `text` written to `variant` (replacing a previous variant), and the arguments of
// `smk ceremony restore` with it at AUCKLAND in batch mode, appending to `transcript`,
// then `extra`.
inline std::vector<std::string> restore_variant_args(const std::string& variant,
                                                     const std::string& text,
                                                     const std::string& transcript,
                                                     const std::vector<std::string>& extra) {
    fs::remove(variant);
    spit(variant, text);
    std::vector<std::string> args = {"ceremony",   "restore",  variant,        "--batch",
                                     "--facility", "AUCKLAND", "--transcript", transcript};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

// `text` with the first occurrence of `from` replaced by `to` (which must exist).
inline std::string replaced(std::string text, std::string_view from, std::string_view to) {
    const auto at = text.find(from);
    REQUIRE_MESSAGE(at != std::string::npos, "test plan has no \"" << from << "\"");
    text.replace(at, from.size(), to);
    return text;
}

}  // namespace smk_test
