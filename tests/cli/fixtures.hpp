#pragma once
// A split made by the real binary from a known key, for the combine and share
// tests: `smk split --secret-file KEY --out-dir DIR --json [extra...]`.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "run.hpp"
#include "smk/fingerprint.hpp"
#include "smk/hex.hpp"
#include "smk/kcv.hpp"

namespace smk_test {

inline const std::string kSecretHex =
    "8d2f5c1e9a7b3046e1f0c2d4b6a89715"
    "3c5e7f9102b4d6e8a0c1e3f5071929ab";
inline const std::string kOtherSecretHex =
    "00112233445566778899aabbccddeeff"
    "0123456789abcdef0123456789abcdef";

// KCV and fingerprint of a hex key, computed with smk's core (not the CLI).
inline std::string kcv_of(const std::string& hex) {
    const auto key = smk::from_hex_secret(hex, "test key");
    return smk::kcv_hex(smk::key_check_value(key.bytes()));
}
inline std::string fingerprint_of(const std::string& hex) {
    const auto key = smk::from_hex_secret(hex, "test key");
    return smk::fingerprint_hex(smk::key_fingerprint(key.bytes()));
}

class SplitRun {
  public:
    explicit SplitRun(std::vector<std::string> extra = {},
                      const std::string& secret_hex = kSecretHex)
        : secret_file(dir / "key.hex"), out_dir(dir / "shares") {
        write_file(secret_file, secret_hex + "\n");
        std::vector<std::string> args = {"split",     "--secret-file", secret_file,
                                         "--out-dir", out_dir,         "--json"};
        args.insert(args.end(), extra.begin(), extra.end());
        run = run_smk(args);
        INFO("stderr: " << run.err);
        REQUIRE(run.exit_code == 0);
        json = nlohmann::json::parse(run.out);
    }

    [[nodiscard]] int identifier() const { return json.at("identifier").get<int>(); }

    // Share `n` (1-based) of set `letter` ('A' = first group).
    [[nodiscard]] std::string share_file(char letter, int n) const {
        const auto& group = json.at("groups").at(static_cast<std::size_t>(letter - 'A'));
        return group.at("shares").at(static_cast<std::size_t>(n - 1)).at("file").get<std::string>();
    }
    [[nodiscard]] std::string mnemonic(char letter, int n) const {
        std::string text = read_file(share_file(letter, n));
        REQUIRE(!text.empty());
        REQUIRE(text.back() == '\n');
        text.pop_back();
        return text;
    }
    [[nodiscard]] std::vector<std::string> set_files(char letter) const {
        std::vector<std::string> files;
        const auto& group = json.at("groups").at(static_cast<std::size_t>(letter - 'A'));
        for (const auto& share : group.at("shares")) {
            files.push_back(share.at("file").get<std::string>());
        }
        return files;
    }

    TempDir dir;
    std::string secret_file;
    std::string out_dir;
    RunResult run;
    nlohmann::json json;
};

}  // namespace smk_test
