// Crash at every step (issue 16) for `smk hsm backup`: the backup file and its
// .sha256sum, written under fault injection at every write, fsync, rename, unlink
// and close of smk's own (crash_points.hpp). SoftHSM2's token store is not smk's
// and gets no faults. After each: no partial backup or .sha256sum under its final
// name, and running the backup again completes.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "cli/fixtures.hpp"
#include "crash_points.hpp"
#include "support/softhsm.hpp"

namespace {

namespace fs = std::filesystem;
using crash::Refusal;
using smk_test::read_file_if_exists;
using smk_test::run_smk;

}  // namespace

TEST_CASE("crash at every step - hsm backup") {
    smk_test::SoftHsm hsm({"facility-1:123456"});
    const smk_test::SplitRun split({"--group", "2/3", "--exp", "0"});
    const std::vector<std::string> token = {"--pkcs11-module", smk_test::kSoftHsmModule,
                                            "--token",         "facility-1",
                                            "--pin-file",      hsm.pin_file()};
    std::vector<std::string> install = {"hsm", "install"};
    install.insert(install.end(), token.begin(), token.end());
    install.insert(install.end(),
                   {"--label", "smk", split.share_file('A', 1), split.share_file('A', 2)});
    const auto installed = run_smk(install);
    INFO("install: " << installed.err);
    REQUIRE(installed.exit_code == 0);
    // The key to back up: an extractable AES key made by pkcs11-tool.
    const auto keygen = smk_test::run_process(
        smk_test::Command({"pkcs11-tool", "--module", smk_test::kSoftHsmModule, "--token-label",
                           "facility-1", "--login", "--pin", smk_test::kPin, "--keygen",
                           "--key-type", "AES:32", "--label", "app-1", "--extractable"}));
    INFO("pkcs11-tool: " << keygen.err);
    REQUIRE(keygen.shell_status() == 0);

    smk_test::TempDir t("crash-backup");
    const fs::path out = t.path() / "app.smkwrap";
    const fs::path sums = t.path() / "app.smkwrap.sha256sum";
    const fs::path moved = t.path() / "moved";
    crash::Scenario s;
    s.name = "hsm backup";
    s.args = {"hsm", "backup"};
    s.args.insert(s.args.end(), token.begin(), token.end());
    s.args.insert(s.args.end(), {"--wrap-with", "smk", "--key", "app-1", "--out", out.string()});
    s.not_ours = {(hsm.dir() / "hsm").string()};
    s.reset = [&] {
        fs::remove(out);
        fs::remove(sums);
        fs::remove_all(moved);
    };
    // The wrap (AES key wrap with padding) and its MAC are deterministic: every
    // complete backup of this key has the bytes of the first one.
    std::string reference;
    std::string reference_sums;
    const auto complete = [&](const fs::path& p, const std::string& want) {
        return !fs::exists(p) || want.empty() || read_file_if_exists(p) == want;
    };
    s.completed = [&]() -> std::string {
        smk_test::Command sha256sum({"sha256sum", "--check", "--quiet", sums.filename()});
        sha256sum.cwd = t.path();
        const auto check = smk_test::run_process(sha256sum);
        if (!fs::exists(out) || !fs::exists(sums) || check.shell_status() != 0) {
            return "no complete backup with its .sha256sum";
        }
        if (reference.empty()) {
            reference = read_file_if_exists(out);
            reference_sums = read_file_if_exists(sums);
        }
        return complete(out, reference) && complete(sums, reference_sums)
                   ? ""
                   : "the backup differs from the first one";
    };
    s.after_fault = [&]() -> std::string {
        return complete(out, reference) && complete(sums, reference_sums)
                   ? ""
                   : "a partial backup or .sha256sum under its final name";
    };
    // Killed (or failing to print its report) after both renames: the backup was
    // made, a rerun refuses to overwrite it. Killed between them: the backup without
    // its .sha256sum, moved away as the message says. Any other error leaves neither.
    s.on_refusal = [&](const smk_test::ProcessResult& first) {
        if (!crash::killed_or_report_failed(first)) {
            return Refusal::fails;
        }
        if (fs::exists(out) && fs::exists(sums)) {
            return Refusal::output_complete;
        }
        return fs::exists(out) || fs::exists(sums) ? Refusal::move_away : Refusal::fails;
    };
    s.move_away = [&] {
        fs::create_directories(moved);
        for (const auto& p : {out, sums}) {
            if (fs::exists(p)) {
                fs::rename(p, moved / p.filename());
            }
        }
    };
    crash::exercise(s, t.path());
}
