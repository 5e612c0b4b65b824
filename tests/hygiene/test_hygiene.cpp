// Memory hygiene: after a split and a combine in this process, neither the master
// secret nor any share (mnemonic text or share value) is left anywhere in writable
// memory (heap, stack, anonymous mappings, .data/.bss); while a Secret lives its
// pages are locked and excluded from core dumps; `smk` runs with core dumps off and
// not dumpable. Negative controls prove the scan finds what it looks for.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "memory_scan.hpp"
#include "smk/random.hpp"
#include "smk/secret.hpp"
#include "smk/slip39.hpp"
#include "support/deterministic_random.hpp"
#include "support/files.hpp"
#include "support/process.hpp"

namespace {

using namespace smk_test;

// The known test secret, stored masked so this file's own data never contains it.
constexpr std::array<std::uint8_t, 32> kMaskedMaster = {
    0x3b, 0x9e, 0x11, 0xc7, 0x80, 0x54, 0xe2, 0x0d, 0x6a, 0xf1, 0x27, 0x99, 0x4c, 0xb3, 0x05, 0xde,
    0x72, 0x18, 0xaf, 0x63, 0xc9, 0x3e, 0x8d, 0x50, 0x1b, 0xe7, 0x94, 0x2a, 0x66, 0xd0, 0x0f, 0xb8};

// Unmasks the test secret straight into guarded memory.
smk::Secret test_master_secret() {
    return unmasked_secret(kMaskedMaster);
}

// Splits the test secret into 2 x 3-of-5, records masked needles for the master
// secret, every mnemonic and every share value, combines three shares of set B,
// checks the result, and lets every Secret go. All in a function of its own so
// its stack frame is gone when the caller scans.
__attribute__((noinline)) std::vector<MaskedNeedle> split_and_combine() {
    smk::crypto_init();
    std::vector<MaskedNeedle> needles;
    std::vector<std::uint8_t> masked_master(kMaskedMaster.begin(), kMaskedMaster.end());
    needles.push_back({"the master secret", masked_master});
    {
        const smk::Secret master = test_master_secret();
        smk_test::DeterministicRandom random(std::array<std::uint8_t, 32>{1, 2, 3});
        smk::slip39::SplitParams params;
        params.groups = {{3, 5}, {3, 5}};
        params.iteration_exponent = 0;
        smk::slip39::SplitResult split = smk::slip39::split(master.bytes(), {}, params, random);
        for (std::size_t g = 0; g < split.mnemonics.size(); ++g) {
            for (std::size_t m = 0; m < split.mnemonics[g].size(); ++m) {
                const std::string name = smk::slip39::group_name(static_cast<unsigned>(g)) +
                                         " share " + std::to_string(m + 1);
                needles.push_back(
                    mask_needle("mnemonic of " + name, split.mnemonics[g][m].bytes()));
                const smk::slip39::Share share =
                    smk::slip39::decode(split.mnemonics[g][m].text(), name);
                needles.push_back(mask_needle("value of " + name, share.value.bytes()));
            }
        }
        std::vector<smk::slip39::NamedMnemonic> chosen;
        for (const std::size_t m : {std::size_t{0}, std::size_t{3}, std::size_t{4}}) {
            chosen.push_back({"set B share " + std::to_string(m + 1),
                              smk::Secret::copy_of(split.mnemonics[1][m].bytes())});
        }
        split.mnemonics.clear();
        const smk::slip39::CombineResult result = smk::slip39::combine(chosen, {});
        REQUIRE(smk::constant_time_equal(result.master_secret.bytes(), master.bytes()));
    }
    return needles;
}

// The smaps block of the mapping that holds `address`.
std::string smaps_entry_for(const void* address) {
    const auto a = reinterpret_cast<std::uintptr_t>(address);
    std::ifstream in("/proc/self/smaps");
    std::string block;
    bool inside = false;
    for (std::string line; std::getline(in, line);) {
        const auto dash = line.find('-');
        const auto space = line.find(' ');
        const bool header = dash != std::string::npos && space != std::string::npos &&
                            dash < space && line.find(':') > space &&
                            line.find_first_not_of("0123456789abcdef") == dash;
        if (header) {
            if (inside) {
                return block;
            }
            const std::uintptr_t lo = std::stoull(line.substr(0, dash), nullptr, 16);
            const std::uintptr_t hi =
                std::stoull(line.substr(dash + 1, space - dash - 1), nullptr, 16);
            inside = lo <= a && a < hi;
            block.clear();
        }
        if (inside) {
            block += line + "\n";
        }
    }
    return inside ? block : std::string{};
}

[[maybe_unused]] long field_kb(const std::string& block, const std::string& field) {
    const auto p = block.find("\n" + field + ":");
    if (p == std::string::npos) {
        return -1;
    }
    return std::stol(block.substr(p + field.size() + 2));
}

}  // namespace

TEST_CASE("after split and combine no secret or share is left in writable memory") {
    const std::vector<MaskedNeedle> needles = split_and_combine();
    REQUIRE(needles.size() == 1 + 2 * 2 * 5);
    const ScanReport report = scan_writable_memory(needles);
    INFO(describe(report));
    CHECK(report.regions_scanned > 3);
    CHECK(report.bytes_scanned > 100000);
    const std::size_t on_stack = hits_on_stack(report);
    CHECK(report.hits.size() == on_stack);  // heap, .data, anonymous maps: never
    // In every build, the unoptimized ones too: there every SIMD intrinsic's value
    // sits in a stack slot, and the SSSE3/AVX2 kernels left the last vector of a
    // share in dead frames until split and combine ended with burn_stack().
    CHECK(on_stack == 0);
}

TEST_CASE("negative control - the scan finds a secret left in a std::vector") {
    smk::crypto_init();
    const smk::Secret master = test_master_secret();
    const std::vector<MaskedNeedle> needles{
        {"the master secret", {kMaskedMaster.begin(), kMaskedMaster.end()}}};
    // A careless copy in ordinary heap memory: the scan must see it, alive or freed.
    auto* careless = new std::vector<std::uint8_t>(master.bytes().begin(), master.bytes().end());
    careless->resize(64);  // move it to a fresh chunk with room after the secret
    const ScanReport alive = scan_writable_memory(needles);
    INFO(describe(alive));
    CHECK(alive.hits.size() >= 2);  // both 16-byte windows of the 32-byte secret
    delete careless;                // freed, not wiped: bytes 16..31 stay behind
    const ScanReport freed = scan_writable_memory(needles);
    INFO(describe(freed));
    CHECK_FALSE(freed.hits.empty());
}

TEST_CASE("negative control - the scan finds a secret left on the stack") {
    smk::crypto_init();
    const std::vector<MaskedNeedle> needles{
        {"the master secret", {kMaskedMaster.begin(), kMaskedMaster.end()}}};
    // volatile: the copy must really be written to the stack, as a careless local is.
    volatile std::uint8_t on_stack[kMaskedMaster.size()] = {};
    for (std::size_t i = 0; i < kMaskedMaster.size(); ++i) {
        on_stack[i] = static_cast<std::uint8_t>(kMaskedMaster[i] ^ kNeedleMask);
    }
    const ScanReport report = scan_writable_memory(needles);
    INFO(describe(report));
    CHECK(on_stack[0] == static_cast<std::uint8_t>(kMaskedMaster[0] ^ kNeedleMask));
    bool on_the_stack = false;
    for (const ScanHit& h : report.hits) {
        on_the_stack = on_the_stack || h.region.find("[stack]") != std::string::npos;
    }
    CHECK(on_the_stack);
    for (std::size_t i = 0; i < kMaskedMaster.size(); ++i) {
        on_stack[i] = 0;
    }
}

TEST_CASE("a live Secret's pages are locked in RAM and left out of core dumps") {
    smk::crypto_init();
    smk::Secret secret(4096);
    secret.data()[0] = 1;
    REQUIRE_FALSE(smk::secret_memory_degraded());
    const std::string entry = smaps_entry_for(secret.data());
    INFO(entry);
    REQUIRE_FALSE(entry.empty());
    const auto flags = entry.find("VmFlags:");
    REQUIRE(flags != std::string::npos);
    const std::string vm_flags = entry.substr(flags, entry.find('\n', flags) - flags);
    CHECK(vm_flags.find(" dd") != std::string::npos);  // MADV_DONTDUMP
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer intercepts mlock() and returns 0 without locking (its shadow
    // memory could not be locked), so the asan stage cannot see the lock. The
    // release build, the ceremony binary, checks it (make check's first stage).
    MESSAGE(
        "ASan build: mlock() is ignored by AddressSanitizer; page locking is "
        "checked by the release build's run of this test");
#else
    CHECK(field_kb(entry, "Locked") >= 4);
    CHECK(vm_flags.find(" lo") != std::string::npos);  // VM_LOCKED
    // And the process as a whole reports locked memory.
    const std::string status = smk_test::read_file_if_exists("/proc/self/status");
    const auto vmlck = status.find("VmLck:");
    REQUIRE(vmlck != std::string::npos);
    CHECK(std::stol(status.substr(vmlck + 6)) >= 4);
#endif
}

namespace {

// Starts `smk share inspect -` as `uid` with stdin a pipe we hold open, so it
// blocks reading (tests/support/process.hpp).
smk_test::Child spawn_blocked_smk(uid_t uid) {
    smk_test::Command command{{SMK_BINARY, "share", "inspect", "-"}};
    command.pipe_fd = 0;
    command.uid = uid;
    return smk_test::Child(command);
}

// Waits until the process has exec'd `comm` (smk, unless told) and is blocked in
// read (/proc/PID/stat shows that name and state S); gives up after a generous 60 s.
bool wait_until_blocked(pid_t pid, const std::string& comm = "smk") {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        const std::string stat =
            smk_test::read_file_if_exists("/proc/" + std::to_string(pid) + "/stat");
        if (stat.find("(" + comm + ")") != std::string::npos &&
            stat.find(") S ") != std::string::npos) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

void stop(smk_test::Child& smk) {
    smk.close_pipe();  // EOF: smk ends by itself; kill in case it does not
    smk.signal(SIGKILL);
    (void)smk.wait();
}

}  // namespace

TEST_CASE("smk runs with a core file size limit of 0") {
    smk_test::Child smk = spawn_blocked_smk(0);
    REQUIRE(wait_until_blocked(smk.pid()));
    const std::string limits =
        smk_test::read_file_if_exists("/proc/" + std::to_string(smk.pid()) + "/limits");
    stop(smk);
    INFO(limits);
    const auto p = limits.find("Max core file size");
    REQUIRE(p != std::string::npos);
    std::istringstream line(limits.substr(p + std::strlen("Max core file size")));
    std::string soft;
    std::string hard;
    line >> soft >> hard;
    CHECK(soft == "0");
    CHECK(hard == "0");
}

TEST_CASE("smk is not dumpable - a process of the same user cannot read its memory") {
    // Run smk as an unprivileged user; a second process of that user may read
    // /proc/PID/environ of a dumpable process of its own, never of one that called
    // PR_SET_DUMPABLE 0. A control with a plain `cat` (dumpable) shows the probe works.
    REQUIRE_MESSAGE(::geteuid() == 0, "this test needs root to run smk as another user");
    constexpr uid_t kNobody = 65534;
    auto probe = [](pid_t target) {
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            if (::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) {
                ::_exit(121);
            }
            const std::string path = "/proc/" + std::to_string(target) + "/environ";
            const int fd = ::open(path.c_str(), O_RDONLY);
            ::_exit(fd >= 0 ? 0 : (errno == EACCES ? 13 : 1));
        }
        int status = 0;
        ::waitpid(child, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    };
    // Control: a dumpable process of the same user is readable.
    smk_test::Command cat_command{{"cat"}};
    cat_command.pipe_fd = 0;
    cat_command.uid = kNobody;
    smk_test::Child cat(cat_command);
    // Probe cat itself, once it runs as nobody, not the forked test process.
    REQUIRE_MESSAGE(wait_until_blocked(cat.pid(), "cat"), "cat did not start as user nobody");
    const int control = probe(cat.pid());
    cat.close_pipe();
    (void)cat.wait();
    CHECK_MESSAGE(control == 0, "the probe could not read a dumpable process: it proves nothing");

    smk_test::Child smk = spawn_blocked_smk(kNobody);
    REQUIRE_MESSAGE(wait_until_blocked(smk.pid()),
                    "smk did not start as user nobody (can it read " SMK_BINARY "?)");
    const int smk_probe = probe(smk.pid());
    stop(smk);
    CHECK_MESSAGE(smk_probe == 13, "a process of the same user could read smk's /proc entries");
}
