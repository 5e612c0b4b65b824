// Fault drills on a PKCS#11 token, black box: a private SoftHSM2 2.6.1
// (scripts/softhsm-env.sh in a temp dir), the real smk binary, a PIN pipe.
//
// What SoftHSM2 does when its token goes away (measured, 2.6.1): it keeps no
// token in memory across the loss. Once the token directory
// (directories.tokendir/<uuid>) has been deleted after the module was loaded and
// the session opened, C_Login answers CKR_GENERAL_ERROR, so the drill is the
// honest one: the token vanishes while smk, holding a session on it, waits for
// its PIN, and smk must say which token failed, that nothing was installed, and
// what to do; after the same token is put back (its directory restored), nothing
// of the failed run is on it and a rerun installs the SMK.
// SIGINT/SIGTERM while smk waits for a token PIN: exit 130, nothing written.

#include <doctest/doctest.h>
#include <signal.h>

#include <cstdlib>
#include <string>
#include <thread>

#include "cli/fixtures.hpp"
#include "cli/run.hpp"
#include "drill.hpp"
#include "support/softhsm.hpp"

namespace {

using smk_test::run_smk;
using smk_test::RunResult;

const std::string& kModule = smk_test::kSoftHsmModule;

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::vector<std::string> install_args(const smk_test::SplitRun& split) {
    return {"hsm",
            "install",
            "--pkcs11-module",
            kModule,
            "--token",
            "drill",
            "--label",
            "smk",
            split.share_file('A', 1),
            split.share_file('A', 2)};
}

RunResult token_kcv(const std::string& pin_file) {
    return run_smk({"hsm", "kcv", "--pkcs11-module", kModule, "--token", "drill", "--label", "smk",
                    "--pin-file", pin_file});
}

}  // namespace

TEST_CASE(
    "a SoftHSM2 token removed during smk hsm install - device error naming it, nothing installed, "
    "a rerun installs") {
    smk_test::SoftHsm hsm({"drill:123456"});  // tests/pkcs11/softhsm.hpp
    const smk_test::SplitRun split({"--group", "2/3"});
    const std::string pin = hsm.dir() / "pin";
    smk_test::write_file(pin, "123456\n");
    const faults::fs::path token = hsm.token_dir();
    const faults::fs::path saved = hsm.dir().path() / "saved-token";
    faults::fs::copy(token, saved, faults::fs::copy_options::recursive);

    // smk has loaded the module, found the token and opened a session on it,
    // and waits for the PIN; the token's storage disappears; then the PIN comes.
    faults::Child install = smk_test::start_smk_pin_pipe(install_args(split));
    const bool waiting =
        faults::wait_for([&] { return faults::blocked_on_pipe_read(install.pid()); });
    faults::fs::remove_all(token);
    install.write_pipe("123456\n");
    const faults::Outcome o = install.wait();
    INFO("exit: " << std::string(o.exited ? "code " : "signal ") << o.code << "\nstdout: " << o.out
                  << "\nstderr: " << o.err);
    REQUIRE_MESSAGE(waiting, "smk never blocked reading its PIN from the pipe");
    CHECK(o.exited);
    CHECK(o.code == 8);  // device (README's exit code table)
    CHECK(contains(o.err, "smk: device error: "));
    CHECK_FALSE(contains(o.err, "internal"));
    CHECK(contains(o.err, "token \"drill\""));    // names the token
    CHECK(contains(o.err, "CKR_GENERAL_ERROR"));  // what SoftHSM2 2.6.1 answers
    CHECK(contains(o.err, "Nothing was installed on token \"drill\""));
    CHECK(contains(o.err, "smk hsm tokens"));  // what to do
    CHECK(contains(o.err, "run the command again"));
    CHECK(o.out.empty());

    // The same token back: it holds no SMK key (nothing half-installed) ...
    faults::fs::copy(saved, token, faults::fs::copy_options::recursive);
    const RunResult before = token_kcv(pin);
    INFO("kcv before the rerun: " << before.err);
    CHECK(before.exit_code == 2);
    CHECK(contains(before.err, "holds no secret key labelled \"smk\""));
    // ... and the same command installs the SMK.
    std::vector<std::string> again = install_args(split);
    again.push_back("--pin-file");
    again.push_back(pin);
    const RunResult rerun = run_smk(again);
    INFO("rerun stderr: " << rerun.err);
    CHECK(rerun.exit_code == 0);
    const std::string kcv = smk_test::kcv_of(smk_test::kSecretHex);
    CHECK(contains(rerun.out, "KCV inside the token: " + kcv));
    const RunResult after = token_kcv(pin);
    CHECK(after.exit_code == 0);
    CHECK(contains(after.out, kcv));
}

TEST_CASE(
    "a SoftHSM2 token lost and initialised anew during smk hsm install - a rerun installs on the "
    "new token") {
    smk_test::SoftHsm hsm({"drill:123456"});  // tests/pkcs11/softhsm.hpp
    const smk_test::SplitRun split({"--group", "2/3"});
    const std::string pin = hsm.dir() / "pin";
    smk_test::write_file(pin, "123456\n");
    faults::Child install = smk_test::start_smk_pin_pipe(install_args(split));
    const bool waiting =
        faults::wait_for([&] { return faults::blocked_on_pipe_read(install.pid()); });
    faults::fs::remove_all(hsm.token_dir());
    install.write_pipe("123456\n");
    const faults::Outcome o = install.wait();
    INFO("stderr: " << o.err);
    REQUIRE(waiting);
    CHECK(o.code == 8);
    CHECK(contains(o.err, "Nothing was installed on token \"drill\""));
    hsm.init_tokens();  // the token re-initialised with the same label
    std::vector<std::string> again = install_args(split);
    again.push_back("--pin-file");
    again.push_back(pin);
    const RunResult rerun = run_smk(again);
    INFO("rerun stderr: " << rerun.err);
    CHECK(rerun.exit_code == 0);
    CHECK(contains(rerun.out, "KCV inside the token: " + smk_test::kcv_of(smk_test::kSecretHex)));
}

namespace {

// `smk ARGS --pin-fd 3` waits for its PIN; `sig` arrives, then the PIN.
faults::Outcome signal_while_waiting_for_pin(std::vector<std::string> args, int sig) {
    faults::Child child = smk_test::start_smk_pin_pipe(std::move(args));
    const bool waiting =
        faults::wait_for([&] { return faults::blocked_on_pipe_read(child.pid()); });
    child.signal(sig);
    const bool handled = faults::wait_for([&] { return faults::signal_handled(child.pid(), sig); });
    const bool survived = child.running();
    if (survived) {
        child.write_pipe("123456\n");
    }
    faults::Outcome o = child.wait();
    INFO("exit: " << std::string(o.exited ? "code " : "signal ") << o.code
                  << "\nstderr: " << o.err);
    REQUIRE_MESSAGE(waiting, "smk never blocked reading its PIN from the pipe");
    REQUIRE_MESSAGE(handled, "smk neither ended nor went back to reading its PIN");
    CHECK_MESSAGE(survived, "smk died of the signal instead of noting it");
    return o;
}

}  // namespace

TEST_CASE("SIGINT while smk hsm install waits for the token PIN - exit 130, nothing installed") {
    smk_test::SoftHsm hsm({"drill:123456"});  // tests/pkcs11/softhsm.hpp
    const smk_test::SplitRun split({"--group", "2/3"});
    const std::string pin = hsm.dir() / "pin";
    smk_test::write_file(pin, "123456\n");
    const faults::Outcome o = signal_while_waiting_for_pin(install_args(split), SIGINT);
    CHECK(o.exited);
    CHECK(o.code == 130);
    CHECK(contains(o.err,
                   "SIGINT received: stopped before the SMK was installed: nothing was "
                   "installed on token \"drill\""));
    const RunResult kcv = token_kcv(pin);
    CHECK(kcv.exit_code == 2);  // no key labelled smk
}

TEST_CASE(
    "SIGTERM while smk card write to a PKCS11 token waits for its PIN - exit 130, nothing "
    "written") {
    smk_test::SoftHsm hsm({"drill:123456"});  // tests/pkcs11/softhsm.hpp
    const smk_test::SplitRun split;
    const std::string pin = hsm.dir() / "pin";
    smk_test::write_file(pin, "123456\n");
    const faults::Outcome o = signal_while_waiting_for_pin(
        {"card", "write", "--pkcs11-module", kModule, "--token", "drill", split.share_file('A', 1)},
        SIGTERM);
    CHECK(o.exited);
    CHECK(o.code == 130);
    CHECK(contains(o.err,
                   "SIGTERM received: stopped before the PIN was tried: nothing was "
                   "written to token \"drill\""));
    const RunResult verify = run_smk({"card", "verify", "--pkcs11-module", kModule, "--token",
                                      "drill", "--pin-file", pin, "--json"});
    INFO("verify stderr: " << verify.err);
    CHECK(verify.exit_code == 5);
    CHECK(contains(verify.out, "\"empty\""));
}
