// Media custody in smk ceremony backup-copies against USB drives: --one-at-a-time
// (each drive plugged in alone, copied, verified from the device, ejected, bagged),
// the custody recorded per drive, the backup's own .sha256sum files checked, the tree
// digest shown with PGP words. Loop-mounted ext4 images that a umockdev testbed
// presents as USB sticks, as drives_backup_copies_test.cpp does (the udev records:
// drives_support.hpp). Runs under
// umockdev-wrapper (tests/CMakeLists.txt).

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "ceremony/ceremony_test_util.hpp"
#include "ceremony/drives_support.hpp"
#include "cli/run.hpp"
#include "smk/ceremony/flows.hpp"
#include "smk/ceremony/transcript.hpp"
#include "smk/digest.hpp"
#include "smk/error.hpp"
#include "smk/sha256.hpp"
#include "support/umockdev_testbed.hpp"

namespace {

namespace fs = std::filesystem;
using smk_test::drives::kControllerRecord;
using smk_test::drives::sh;
using smk_test::drives::stick_record_of_node;
namespace cer = smk::ceremony;

using smk_test::contains;

std::string sh_out(const std::string& command) {
    auto r = smk_test::run_shell(command);
    REQUIRE_MESSAGE(r.shell_status() == 0, command << ": " << r.err);
    std::string out = r.out;
    while (!out.empty() && out.back() == '\n') {
        out.pop_back();
    }
    return out;
}

// A drive kept on its own loop device for the whole test (losetup, not mount -o
// loop), so that each drive keeps its device number while it is not mounted, as a
// real stick does; mounted when the test "plugs it in".
class LoopImage final {
  public:
    LoopImage(const fs::path& dir, const std::string& name) : m_point(dir / name) {
        REQUIRE_MESSAGE(::geteuid() == 0, "the drive tests need root (loop devices)");
        fs::create_directories(m_point);
        const std::string img = (dir / (name + ".img")).string();
        REQUIRE_MESSAGE(
            sh("truncate -s 16M '" + img + "' && mkfs.ext4 -q -b 4096 '" + img + "'") == 0,
            "truncate or mkfs.ext4 failed");
        m_loop = sh_out("losetup -f --show '" + img + "'");
    }
    ~LoopImage() {
        // Unconditional: a test that failed half-way may have left it mounted.
        (void)sh("umount '" + m_point.string() + "' 2>/dev/null; losetup -d '" + m_loop +
                 "' 2>/dev/null");
    }
    LoopImage(const LoopImage&) = delete;
    LoopImage& operator=(const LoopImage&) = delete;

    void mount() const {
        REQUIRE_MESSAGE(sh("mount '" + m_loop + "' '" + m_point.string() + "'") == 0,
                        "mount " << m_loop << " failed");
    }
    [[nodiscard]] bool mounted() const {
        return sh("mountpoint -q '" + m_point.string() + "'") == 0;
    }
    // The drive's content, read through a mount of its own (the drive is ejected).
    [[nodiscard]] std::string read(const std::string& name) const {
        const fs::path look = m_point.parent_path() / (m_point.filename().string() + "-look");
        fs::create_directories(look);
        REQUIRE(sh("mount -o ro '" + m_loop + "' '" + look.string() + "'") == 0);
        std::string text;
        if (fs::exists(look / name)) {
            text = smk_test::slurp(look / name);
        }
        REQUIRE(sh("umount '" + look.string() + "'") == 0);
        return text;
    }
    [[nodiscard]] const fs::path& point() const noexcept { return m_point; }
    [[nodiscard]] const std::string& loop() const noexcept { return m_loop; }

  private:
    fs::path m_point;
    std::string m_loop;
};

const std::string kMasterSerial = "001CC0EC34BEFB90671D25F1";
const std::string kOperativeSerial = "4C530001110000000001";
const std::string kWrapped = "wrapped keys\n";

// The example plan with WELLINGTON as its only facility, keeping both drives.
std::string plan_text(const fs::path& source, const fs::path& master, const fs::path& operative) {
    std::string text = smk_test::without_application_backup(smk_test::example_plan_text());
    const auto auckland = text.find("[[facilities]]\nname = \"AUCKLAND\"");
    REQUIRE(auckland != std::string::npos);
    text.erase(auckland, text.find("[[holders]]", auckland) - auckland);
    text.erase(text.find("[backup]"));
    text += "[backup]\nsource = \"" + source.string() + "/\"\n\n[[drives]]\nname = \"MASTER\"\n" +
            "usb_serial = \"" + kMasterSerial + "\"\nmount = \"" + master.string() + "\"\n" +
            "facility = \"WELLINGTON\"\nbag = \"TEB-D00001\"\nrecipient = \"Mere Tipene\"\n\n" +
            "[[drives]]\nname = \"WELLINGTON\"\nusb_serial = \"" + kOperativeSerial +
            "\"\nmount = \"" + operative.string() + "\"\n" +
            "facility = \"WELLINGTON\"\nbag = \"TEB-D00002\"\nrecipient = \"Tom Walker\"\n";
    return text;
}

// Two drives on loop devices (not mounted), the backup tree with the backup's own
// .sha256sum beside it, the testbed, a plan.
struct CustodyRig {
    smk_test::TempDir dir;
    LoopImage master{dir.path(), "MASTER"};
    LoopImage operative{dir.path(), "WELLINGTON"};
    fs::path source = dir.path() / "hsm-backup";
    fs::path plan = dir.path() / "plan.toml";
    fs::path transcript = dir.path() / "smk-ceremony.transcript.jsonl";
    smk_test::Testbed bed{std::initializer_list<const char*>{}};
    std::vector<std::string> asked;  // the drives plug_in asked for, in order

    CustodyRig() {
        fs::create_directories(source / "keys");
        smk_test::spit(source / "keys" / "application-keys.smkwrap", kWrapped);
        smk_test::spit(source / "keys" / "application-keys.smkwrap.sha256sum",
                       smk_test::sha256_hex(kWrapped) + "  application-keys.smkwrap\n");
        smk_test::spit(source / "README.txt", "HSM backup\n");
        bed.add_record_text(kControllerRecord);
        bed.add_record_text(stick_record_of_node(1, kMasterSerial, master.loop()));
        bed.add_record_text(stick_record_of_node(2, kOperativeSerial, operative.loop()));
        smk_test::spit(plan, plan_text(source, master.point(), operative.point()));
    }

    // One-at-a-time options whose operator mounts the drive asked for (checking that
    // no other is mounted) and types `bags` in turn.
    cer::BackupCopiesOptions options(std::vector<std::string> bags) {
        cer::BackupCopiesOptions o;
        o.plan = plan;
        o.one_at_a_time = true;
        o.plug_in = [this](std::string_view request) {
            const bool for_master = request.find("drive MASTER ") != std::string_view::npos;
            asked.push_back(for_master ? "MASTER" : "WELLINGTON");
            CHECK_FALSE(master.mounted());  // one drive in the machine at a time
            CHECK_FALSE(operative.mounted());
            (for_master ? master : operative).mount();
        };
        o.read_bag = [bags = std::move(bags), n = std::size_t{0}](std::string_view) mutable {
            REQUIRE(n < bags.size());
            return bags[n++];
        };
        return o;
    }
};

std::vector<smk::transcript::Line> flow_lines(const fs::path& transcript) {
    return smk::transcript::read_file(transcript);
}

std::string field(const smk::transcript::Fields& fields, const std::string& key) {
    for (const auto& [k, v] : fields) {
        if (k == key) {
            return v;
        }
    }
    return "";
}

std::size_t steps(const fs::path& transcript, const std::string& step) {
    std::size_t n = 0;
    for (const auto& line : flow_lines(transcript)) {
        n += line.step == step ? 1U : 0U;
    }
    return n;
}

// `message` of the smk::Error `run` throws, which must be of `category`.
template <typename Run>
std::string error_of(Run run, smk::ErrorCategory category) {
    try {
        run();
    } catch (const smk::Error& e) {
        CHECK(e.category() == category);
        return e.what();
    }
    FAIL("no error");
    return "";
}

}  // namespace

TEST_CASE("one at a time: each drive plugged in alone then copied verified ejected and bagged") {
    CustodyRig rig;
    // The Master's bag typed in lower case with blanks around it: the same bag.
    auto options = rig.options({"  teb-d00001 ", "TEB-D00002"});
    smk_test::CapturedOutput output;
    cer::backup_copies(options, output);
    INFO("said: " << output.said);
    CHECK(rig.asked == std::vector<std::string>{"MASTER", "WELLINGTON"});
    CHECK_FALSE(rig.master.mounted());  // ejected
    CHECK_FALSE(rig.operative.mounted());
    CHECK(rig.master.read("keys/application-keys.smkwrap") == kWrapped);
    CHECK(rig.operative.read("keys/application-keys.smkwrap") == kWrapped);
    CHECK(rig.operative.read("README.txt") == "HSM backup\n");

    // The transcript: each drive's whole cycle before the next drive is checked.
    std::vector<std::string> cycle;
    std::string master_tree;
    for (const auto& line : flow_lines(rig.transcript)) {
        if (line.step.rfind("drive-", 0) == 0) {
            cycle.push_back(line.step + " " + field(line.items, "drive"));
        }
        if (line.step == "drive-bagged") {
            CHECK(field(line.results, "bag") == "match");
        }
        if (line.step == "drive-verified") {
            CHECK(field(line.results, "checksum_files") == "1 ok");
            CHECK(field(line.items, "facility") == "WELLINGTON");
            master_tree = master_tree.empty() ? field(line.digests, "tree") : master_tree;
            CHECK(field(line.digests, "tree") == master_tree);  // the Operative holds the Master's
        }
        if (line.step == "start") {
            CHECK(field(line.results, "mode") == "one-at-a-time");
        }
    }
    CHECK(cycle == std::vector<std::string>{"drive-checked MASTER", "drive-copied MASTER",
                                            "drive-verified MASTER", "drive-ejected MASTER",
                                            "drive-bagged MASTER", "drive-checked WELLINGTON",
                                            "drive-copied WELLINGTON", "drive-verified WELLINGTON",
                                            "drive-ejected WELLINGTON", "drive-bagged WELLINGTON"});
    std::vector<smk::transcript::Fields> bagged;
    for (const auto& line : flow_lines(rig.transcript)) {
        if (line.step == "drive-bagged") {
            bagged.push_back(line.items);
        }
    }
    REQUIRE(bagged.size() == 2);
    CHECK(bagged[0] == smk::transcript::Fields{{"drive", "MASTER"},
                                               {"bag", "TEB-D00001"},
                                               {"recipient", "Mere Tipene"},
                                               {"facility", "WELLINGTON"}});
    CHECK(bagged[1] == smk::transcript::Fields{{"drive", "WELLINGTON"},
                                               {"bag", "TEB-D00002"},
                                               {"recipient", "Tom Walker"},
                                               {"facility", "WELLINGTON"}});
    CHECK(smk::transcript::verify_file(rig.transcript).ok());
    CHECK(std::find(output.results.begin(), output.results.end(),
                    "WELLINGTON   in bag TEB-D00002 for Tom Walker (WELLINGTON)") !=
          output.results.end());
    CHECK(std::any_of(output.results.begin(), output.results.end(), [](const std::string& l) {
        return contains(l, "WELLINGTON   " + kOperativeSerial) &&
               contains(l, ", 1 checksum file OK, ") &&
               contains(l, ", ejected; planned: in bag TEB-D00002 for Tom Walker at WELLINGTON");
    }));
}

TEST_CASE("one at a time: the tree digest is shown in hex and PGP words") {
    CustodyRig rig;
    auto options = rig.options({"TEB-D00001", "TEB-D00002"});
    smk_test::CapturedOutput output;
    cer::backup_copies(options, output);
    // The source's tree digest, computed here as sha256sum would list the files.
    const std::string manifest =
        smk_test::sha256_hex("HSM backup\n") + "  README.txt\n" + smk_test::sha256_hex(kWrapped) +
        "  keys/application-keys.smkwrap\n" +
        smk_test::sha256_hex(smk_test::sha256_hex(kWrapped) + "  application-keys.smkwrap\n") +
        "  keys/application-keys.smkwrap.sha256sum\n";
    const smk::Sha256 tree = smk::sha256_text(manifest);
    const std::string words = smk::pgp_words(tree);
    INFO("results: " << output.results.size());
    std::string all;
    for (const auto& l : output.results) {
        all += l + "\n";
    }
    INFO(all);
    CHECK(contains(all, "tree SHA-256 " + smk_test::sha256_hex(manifest)));
    CHECK(contains(all, "             tree SHA-256 in PGP words: " + words + "\n"));
    CHECK(contains(all, "every drive holds the tree of SHA-256 " + smk_test::sha256_hex(manifest) +
                            "\n  openssl: " + smk::digest_colon_hex(tree) +
                            "\n  PGP words: " + words + "\n"));
    CHECK(contains(output.said, "  PGP words: " + words + "\n"));  // the source, before copying
    for (const auto& line : flow_lines(rig.transcript)) {
        if (line.step == "drive-verified" || line.step == "source-read") {
            CHECK(field(line.results, "tree_pgp_words") == words);
        }
    }
}

TEST_CASE("one at a time: a bag typed that is not the planned one is refused and recorded") {
    CustodyRig rig;
    auto options = rig.options({"TEB-D00002"});  // WELLINGTON's bag, for the Master
    smk_test::CapturedOutput output;
    const std::string message =
        error_of([&] { cer::backup_copies(options, output); }, smk::ErrorCategory::refused);
    CHECK(contains(message,
                   "drive MASTER: the bag typed, \"TEB-D00002\", is not the plan's bag "
                   "for it (TEB-D00001). Do not seal the drive in that bag."));
    CHECK(contains(message, "the drives after it (1 of them) were not touched"));
    CHECK(rig.asked == std::vector<std::string>{"MASTER"});  // the next drive never asked for
    CHECK(steps(rig.transcript, "drive-bagged") == 0);
    bool recorded = false;
    for (const auto& line : flow_lines(rig.transcript)) {
        if (line.step == "drive-bag-mismatch") {
            recorded = true;
            CHECK(line.items == smk::transcript::Fields{{"drive", "MASTER"},
                                                        {"bag", "TEB-D00001"},
                                                        {"bag_typed", "TEB-D00002"}});
        }
    }
    CHECK(recorded);
    CHECK(rig.operative.read("README.txt").empty());
    CHECK(smk::transcript::verify_file(rig.transcript).ok());
}

TEST_CASE("one at a time: a drive not mounted when the operator says it is writes nothing") {
    CustodyRig rig;
    auto options = rig.options({"TEB-D00001"});
    options.plug_in = [&rig](std::string_view request) {
        if (request.find("drive MASTER ") != std::string_view::npos) {
            rig.master.mount();
        }  // WELLINGTON: Enter pressed before it was mounted
    };
    smk_test::CapturedOutput output;
    const std::string message =
        error_of([&] { cer::backup_copies(options, output); }, smk::ErrorCategory::device);
    CHECK(contains(message, "drive WELLINGTON: "));
    CHECK(contains(message,
                   "Nothing was written to it; the 1 drive(s) before it are done and "
                   "bagged."));
    CHECK(steps(rig.transcript, "drive-bagged") == 1);
    CHECK(rig.operative.read("README.txt").empty());
}

TEST_CASE("one at a time: another drive plugged in for WELLINGTON is refused before any write") {
    CustodyRig rig;
    // The operator picks up the Master again instead of WELLINGTON.
    auto options = rig.options({"TEB-D00001"});
    std::size_t n = 0;
    options.plug_in = [&rig, &n](std::string_view) {
        if (n++ == 1) {
            REQUIRE(sh("mount '" + rig.master.loop() + "' '" + rig.operative.point().string() +
                       "'") == 0);
            return;
        }
        rig.master.mount();
    };
    smk_test::CapturedOutput output;
    const std::string message =
        error_of([&] { cer::backup_copies(options, output); }, smk::ErrorCategory::refused);
    CHECK(contains(message, "drive WELLINGTON: the drive at " + rig.operative.point().string() +
                                " has USB serial " + kMasterSerial));
    CHECK(steps(rig.transcript, "drive-serial-mismatch") == 1);
    CHECK(steps(rig.transcript, "drive-copied") == 1);  // the Master's only
    (void)sh("umount '" + rig.operative.point().string() + "'");
    CHECK(rig.operative.read("README.txt").empty());
}

TEST_CASE("one at a time: a source changed after the Master was made is not copied on") {
    CustodyRig rig;
    auto options = rig.options({"TEB-D00001", "TEB-D00002"});
    auto plug = options.plug_in;
    options.plug_in = [&rig, plug](std::string_view request) {
        if (request.find("drive WELLINGTON ") != std::string_view::npos) {
            smk_test::spit(rig.source / "README.txt", "HSM backup, edited\n");
        }
        plug(request);
    };
    smk_test::CapturedOutput output;
    const std::string message =
        error_of([&] { cer::backup_copies(options, output); }, smk::ErrorCategory::verification);
    CHECK(contains(message, "has changed since the Master Backup Copy was made"));
    CHECK(steps(rig.transcript, "source-changed") == 1);
    CHECK(steps(rig.transcript, "drive-copied") == 1);
    (void)sh("umount '" + rig.operative.point().string() + "'");
    CHECK(rig.operative.read("README.txt").empty());
}

TEST_CASE("backup-copies: a source file that does not match its own .sha256sum is exit 5") {
    // The backup changed after backup-keys wrote its .sha256sum: the copy would be
    // a faithful copy of a damaged backup, so nothing is written.
    const std::string wrong = std::string(64, '0') + "  application-keys.smkwrap\n";
    const std::string missing = smk_test::sha256_hex(kWrapped) + "  no-such-file.smkwrap\n";
    for (const auto& [sum, names] :
         {std::pair{wrong,
                    "keys/application-keys.smkwrap does not match the backup's own "
                    "checksum file keys/application-keys.smkwrap.sha256sum (FAILED"},
          std::pair{missing,
                    "keys/no-such-file.smkwrap does not match the backup's own "
                    "checksum file keys/application-keys.smkwrap.sha256sum (MISSING"},
          std::pair{std::string("not a checksum line\n"),
                    "the backup's own checksum file keys/application-keys.smkwrap.sha256sum "
                    "cannot be read as sha256sum lines"}}) {
        CustodyRig rig;
        rig.master.mount();
        rig.operative.mount();
        smk_test::spit(rig.source / "keys" / "application-keys.smkwrap.sha256sum", sum);
        const auto r =
            smk_test::run_smk({"ceremony", "backup-copies", rig.plan.string(), "--no-eject"});
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 5);
        CHECK(contains(r.err, "backup.source: " + std::string(names)));
        CHECK(contains(r.err, "Nothing was written to any drive"));
        CHECK_FALSE(fs::exists(rig.master.point() / "README.txt"));
        CHECK(steps(rig.transcript, "checksum-failed") == 1);
        CHECK(steps(rig.transcript, "drive-copied") == 0);
    }
}

TEST_CASE("backup-copies: all at once records each drive's custody and shows PGP words") {
    CustodyRig rig;
    rig.master.mount();
    rig.operative.mount();
    const auto r =
        smk_test::run_smk({"ceremony", "backup-copies", rig.plan.string(), "--no-eject"});
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.out, ", 1 checksum file OK, "));
    CHECK(contains(r.out,
                   ", left mounted (--no-eject); planned: in bag TEB-D00002 for Tom "
                   "Walker at WELLINGTON\n"));
    CHECK(contains(r.out, "             tree SHA-256 in PGP words: "));
    CHECK(contains(r.out, "\n  PGP words: "));
    CHECK(steps(rig.transcript, "drive-bagged") == 0);  // no bag typed: not bagged here
    for (const auto& line : flow_lines(rig.transcript)) {
        if (line.step == "drive-verified" && field(line.items, "drive") == "MASTER") {
            CHECK(line.items == smk::transcript::Fields{{"drive", "MASTER"},
                                                        {"facility", "WELLINGTON"},
                                                        {"bag", "TEB-D00001"},
                                                        {"recipient", "Mere Tipene"}});
        }
        if (line.step == "start") {
            CHECK(field(line.results, "mode") == "all-at-once");
        }
    }
}

TEST_CASE("backup-copies --one-at-a-time: the terminal asks for each drive and each bag") {
    // Both drives are mounted before smk asks: the terminal wiring is what is tested.
    CustodyRig rig;
    rig.master.mount();
    rig.operative.mount();
    const auto r =
        smk_test::run_smk_pty({"ceremony", "backup-copies", rig.plan.string(), "--one-at-a-time"},
                              {{"Press Enter when it is mounted: ", "\n"},
                               {"as you read it there: ", "TEB-D00001\n"},
                               {"Press Enter when it is mounted: ", "\n"},
                               {"as you read it there: ", "TEB-D00003\n"}},
                              false);
    INFO("tty: " << r.tty << "\nstderr: " << r.err);
    CHECK(r.exit_code == 7);
    CHECK(contains(r.tty, "Plug in drive MASTER (USB serial " + kMasterSerial +
                              ", for Mere Tipene, WELLINGTON)"));
    CHECK(contains(r.tty, "Plug in drive WELLINGTON"));
    // The plan's bag is not on the screen before the answer: it is read off the bag.
    const std::string before = r.tty.substr(0, r.tty.find("TEB-D00003"));
    CHECK_FALSE(contains(before, "TEB-D00002"));
    CHECK(contains(r.err, "drive WELLINGTON: the bag typed, \"TEB-D00003\""));
    CHECK(contains(r.err, "it was the last drive"));
    CHECK(steps(rig.transcript, "drive-bagged") == 1);
    CHECK(steps(rig.transcript, "drive-bag-mismatch") == 1);
}
