// `smk ceremony restore --remote` as the facility runs it (issue 15,
// docs/TRANSPORT.md): the sealed shares from stdin (a file and pasted words read
// back from a QR code) and typed at a terminal, on the rig's cards and tokens.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "ceremony/ceremony_rig.hpp"
#include "ceremony/ceremony_test_util.hpp"
#include "ceremony/remote_test_util.hpp"
#include "cli/run.hpp"
#include "smk/ceremony/plan.hpp"
#include "smk/transport.hpp"
#include "support/process.hpp"
#include "support/wait.hpp"

namespace {

namespace cer = smk::ceremony;
namespace transport = smk::transport;

using smk_test::CeremonyRig;
using smk_test::run_smk;
using smk_test::RunResult;
using namespace smk_test::remote;

}  // namespace

TEST_CASE("remote: smk ceremony restore --remote takes the sealed shares from stdin") {
    CeremonyRig rig;
    const std::string issued = issue(rig);
    const std::string key_file = rig.path("facility-key.txt");
    const std::string png = rig.path("facility-key.png");
    const std::string context = "KSK restore 2027-03 at AUCKLAND";
    // Input that ends before a holder's sealed share: named, nothing installed.
    const RunResult cut = run_smk({"ceremony", "restore", issued, "--facility", "AUCKLAND",
                                   "--transcript", rig.transcript(), "--batch", "--remote", "6"},
                                  "Surrogate 6\n");
    CHECK(cut.exit_code == 3);
    CHECK(smk_test::contains(cut.err, "holder 6's sealed share: the input ended before it"));

    smk_test::Command command = smk_test::smk_command(
        {"ceremony", "restore", issued, "--facility", "AUCKLAND", "--transcript", rig.transcript(),
         "--batch", "--remote", "6,7", "--context", context, "--facility-key-out", key_file,
         "--facility-key-png", png});
    command.pipe_fd = 0;
    smk_test::Child restore(command);
    REQUIRE_MESSAGE(
        smk_test::wait_for([&] { return restore.stderr_has("read aloud on the call"); }),
        "the restore never showed its key: " << restore.err_seen());

    // The key as the facility shows it: words on the terminal and in the file, the
    // PNG's QR code (decoded by zbarimg, a reader smk did not write) the same words.
    const std::string key_text = smk_test::slurp(key_file);
    CHECK(smk_test::contains(restore.err_seen(), key_text));
    const auto decoded = smk_test::run_process(smk_test::Command({"zbarimg", "--raw", "-q", png}));
    REQUIRE_MESSAGE(decoded.exited, "zbarimg (zbar-tools) did not run");
    CHECK(decoded.out == key_text + "\n");
    const transport::PublicKey key = transport::parse_facility_key_text(key_text, key_file);

    // Holder 6 sends a file. Holder 7 shows their sealed share's QR code on the call;
    // the facility reads it with zbarimg and pastes the words.
    const std::string sealed_6 = rig.path("sealed-6.txt");
    smk_test::spit(sealed_6, seal_card_of(rig, 6, key, context));
    const std::string qr_7 = rig.path("sealed-7.png");
    const std::vector<std::string> seal_7 = {"transport",  "seal",
                                             "--to",       key_file,
                                             "--context",  context,
                                             "--reader",   rig.cards().reader(6),
                                             "--pin-file", rig.holder_pin(7),
                                             "--qr-png",   qr_7};
    const RunResult sealed_7 = run_smk(seal_7);
    INFO("seal stderr: " << sealed_7.err);
    REQUIRE(sealed_7.exit_code == 0);
    CHECK(smk_test::contains(sealed_7.err, "wrote the sealed share's QR code to " + qr_7));
    const auto scanned = smk_test::run_process(smk_test::Command({"zbarimg", "--raw", "-q", qr_7}));
    REQUIRE_MESSAGE(scanned.shell_status() == 0, "zbarimg (zbar-tools) did not read " << qr_7);
    CHECK(scanned.out == sealed_7.out + "\n");
    const std::string words_7 = scanned.out;
    // Never over an existing file: refused before the card is read.
    const RunResult again = run_smk(seal_7);
    CHECK(again.exit_code == 7);
    CHECK(again.out.empty());
    restore.write_pipe("Surrogate 6 (video call)\n" + sealed_6 + "\nHolder 7 (phone)\n" + words_7 +
                       "\n");
    const smk_test::ProcessResult done = restore.wait();
    INFO("stderr: " << done.err);
    CHECK(done.shell_status() == 0);
    CHECK(smk_test::contains(done.out, "; sealed shares of holders 6 7)"));
    CHECK(rig.token_kcv("hsm-two").exit_code == 0);
    const auto sealed = last_restore_steps(rig.transcript(), "sealed-share-read");
    REQUIRE(sealed.size() == 2);
    CHECK(field(sealed[0].items, "presented_by") == "Surrogate 6 (video call)");
    CHECK(field(sealed[0].results, "from") == sealed_6);
    // The digest recorded is the one the holder saw, and the one a witness computes
    // from the words with the docs' script (no key needed).
    CHECK(smk_test::contains(sealed_7.err,
                             "SHA-256 of the sealed share (the facility's "
                             "transcript records it): " +
                                 field(sealed[1].digests, "sealed")));
    const auto witness = smk_test::run_process(smk_test::Command(
        {"/usr/bin/python3", std::string(SMK_SOURCE_DIR) + "/docs/transport/open_sealed.py",
         "--sha256", sealed_6}));
    INFO("open_sealed.py stderr: " << witness.err);
    CHECK(witness.out == field(sealed[0].digests, "sealed") + "\n");
    CHECK(field(sealed[1].items, "presented_by") == "Holder 7 (phone)");
    CHECK(field(sealed[1].results, "from") == "stdin");
}

TEST_CASE("remote: at a terminal the facility names who presents the sealed share and pastes it") {
    CeremonyRig rig;
    const std::string issued = issue(rig);
    const std::string context = "smk restore of share set " +
                                std::to_string(*cer::load_plan(issued).identifier) + " at AUCKLAND";
    const std::string key_file = rig.path("facility-key.txt");
    smk_test::Command command = smk_test::smk_command(
        {"ceremony", "restore", issued, "--facility", "AUCKLAND", "--transcript", rig.transcript(),
         "--batch", "--remote", "6", "--facility-key-out", key_file});
    command.stdin_on_tty = true;
    std::string words;
    const smk_test::LiveDialog dialog = {
        {"Holder 6 (Holder 6): who presents the sealed share? ",
         [&] {
             // The key is shown: holder 6 seals to it on their own machine.
             words = seal_card_of(
                 rig, 6, transport::parse_facility_key_text(smk_test::slurp(key_file), key_file),
                 context);
             return std::string("Holder 6 on the phone\n");
         }},
        {"or type the path of its file:", [&] { return words + "\n"; }},
    };
    const smk_test::PtyResult run = smk_test::run_on_pty(command, dialog, false);
    INFO("terminal: " << run.tty << "\nstderr: " << run.err);
    CHECK(run.exit_code == 0);
    CHECK(smk_test::contains(run.out, "(cards "));
    CHECK(smk_test::contains(run.out, "; sealed share of holder 6)"));
    const auto sealed = last_restore_steps(rig.transcript(), "sealed-share-read");
    REQUIRE(sealed.size() == 1);
    CHECK(field(sealed[0].items, "presented_by") == "Holder 6 on the phone");
    CHECK(field(sealed[0].results, "from") == "typed");
    CHECK(rig.token_kcv("hsm-two").exit_code == 0);
}
