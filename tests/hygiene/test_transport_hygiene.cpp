// Memory hygiene of the sealed share transport (issue 15, docs/FORMAT.md section 10):
// after a facility key is made, two shares are sealed to it and opened, and every
// object is gone, neither the facility's private key nor any share (mnemonic text,
// share value, card share record) is left anywhere in writable memory. The private
// key is found without any hook by facility_key_finder.hpp, which is itself checked
// (it finds a live key, exactly; nothing for a key nobody holds; nothing once the key
// is gone). Negative controls prove the scan finds a careless copy of the key. The
// cycle makes no write system call and creates no file.

#include <doctest/doctest.h>
#include <sodium.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "facility_key_access.hpp"  // the negative control and the finder's exactness check
#include "facility_key_finder.hpp"
#include "memory_scan.hpp"
#include "smk/secret.hpp"
#include "smk/share_record.hpp"
#include "smk/slip39.hpp"
#include "smk/transport.hpp"
#include "support/deterministic_random.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace smk_test;
namespace transport = smk::transport;

constexpr std::string_view kContext = "hygiene test restore 2024-01";

// Another known secret than test_hygiene.cpp's (and another seed below), so a leak of
// that test is never counted against this one. Stored masked.
constexpr std::array<std::uint8_t, 32> kMaskedSecret = {
    0xc4, 0x17, 0x6e, 0x92, 0x3d, 0xa8, 0x51, 0xfb, 0x0e, 0x87, 0x2c, 0xd5, 0x69, 0x40, 0xbe, 0x13,
    0xe1, 0x7a, 0x35, 0x9c, 0x48, 0xf6, 0x02, 0xab, 0x5d, 0x83, 0x1f, 0xc0, 0x74, 0x29, 0x96, 0x3b};

smk::Secret test_secret() {
    return unmasked_secret(kMaskedSecret);
}

struct TransportRun {
    std::vector<MaskedNeedle> needles;
    transport::PublicKey public_key{};
    bool finder_found = false;
    bool finder_exact = false;  // the finder's bytes are the key's own
    std::size_t pages_read = 0;
};

// Makes a facility key, finds its private key with the finder, splits the test secret
// into 2 x 2-of-3, seals set A share 2 and set B share 3 to the key, opens both and
// checks them; records masked needles for the private key, each sealed share's
// mnemonic, value and card record (the sealed plaintext), and the secret. Every object
// goes when the inner scope ends; the caller scans after this frame is gone.
__attribute__((noinline)) TransportRun seal_and_open_two_shares() {
    smk::crypto_init();
    TransportRun run;
    run.needles.push_back({"the split secret", {kMaskedSecret.begin(), kMaskedSecret.end()}});
    {
        const transport::FacilityKey key = transport::FacilityKey::generate();
        run.public_key = key.public_key();
        PrivateKeySearch search = search_x25519_private_key(key.public_key());
        run.pages_read = search.pages_read;
        if (search.key) {
            run.finder_found = true;
            run.finder_exact =
                mask_needle("", transport::FacilityKeyAccess::private_key(key)).masked ==
                search.key->masked;
            run.needles.push_back(std::move(*search.key));
        }

        const smk::Secret secret = test_secret();
        smk_test::DeterministicRandom random(std::array<std::uint8_t, 32>{15, 4, 2});
        smk::slip39::SplitParams params;
        params.groups = {{2, 3}, {2, 3}};
        params.iteration_exponent = 0;
        smk::slip39::SplitResult split = smk::slip39::split(secret.bytes(), {}, params, random);
        for (const auto& [group, member] : {std::pair{0U, 1U}, std::pair{1U, 2U}}) {
            const smk::Secret& mnemonic = split.mnemonics[group][member];
            const std::string name =
                smk::slip39::group_name(group) + " share " + std::to_string(member + 1);
            run.needles.push_back(mask_needle("mnemonic of " + name, mnemonic.bytes()));
            {
                const smk::slip39::Share share = smk::slip39::decode(mnemonic.text(), name);
                run.needles.push_back(mask_needle("value of " + name, share.value.bytes()));
                const smk::Secret record = smk::card::encode_share_record(mnemonic.text(), name);
                run.needles.push_back(mask_needle("card record of " + name, record.bytes()));
            }
            const transport::SealedShare sealed = transport::seal_share(
                mnemonic, name, key.public_key(), kContext, {split.identifier, group});
            const transport::OpenedShare opened = transport::open_sealed(
                sealed.bytes, key, kContext, "sealed " + name, {split.identifier, group});
            REQUIRE(smk::constant_time_equal(opened.mnemonic.bytes(), mnemonic.bytes()));
            REQUIRE(opened.info.group_index == group);
            REQUIRE(opened.info.member_index == member);
        }
        split.mnemonics.clear();
    }
    return run;
}

// A field of /proc/self/io ("syscw", "wchar"), or -1.
long long io_counter(const std::string& field) {
    const std::string io = smk_test::read_file_if_exists("/proc/self/io");
    const auto p = io.find(field + ": ");
    return p == std::string::npos ? -1 : std::stoll(io.substr(p + field.size() + 2));
}

// Sets an environment variable for the scope, then puts the old value back.
class ScopedEnv final {
  public:
    ScopedEnv(const char* name, const std::string& value) : m_name(name) {
        const char* old = std::getenv(name);
        if (old != nullptr) {
            m_old = old;
        }
        ::setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (m_old) {
            ::setenv(m_name, m_old->c_str(), 1);
        } else {
            ::unsetenv(m_name);
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

  private:
    const char* m_name;
    std::optional<std::string> m_old;
};

}  // namespace

TEST_CASE("after sealing and opening two shares no facility key or share is left in memory") {
    const TransportRun run = seal_and_open_two_shares();
    // The finder's positive control: without it a clean scan would prove nothing.
    REQUIRE_MESSAGE(run.finder_found,
                    "find_x25519_private_key did not find a live FacilityKey's private key in "
                        << run.pages_read
                        << " page ends: the finder is broken (has sodium_malloc's placement "
                           "changed?) and this test would prove nothing");
    CHECK_MESSAGE(run.finder_exact,
                  "the finder's match is not the key's own bytes (a clamped copy at a page end?)");
    REQUIRE(run.needles.size() == 2 + 2 * 3);
    // The key's pages are unmapped now: no page end holds it.
    CHECK_FALSE(find_x25519_private_key(run.public_key).has_value());
    const ScanReport report = scan_writable_memory(run.needles);
    INFO(describe(report));
    CHECK(report.regions_scanned > 3);
    CHECK(report.bytes_scanned > 100000);
    const std::size_t on_stack = hits_on_stack(report);
    CHECK(report.hits.size() == on_stack);  // heap, .data, anonymous maps: never
    CHECK(on_stack == 0);
}

TEST_CASE("negative control - the scan finds the facility key in its Secret and in a std::vector") {
    const transport::FacilityKey key = transport::FacilityKey::generate();
    const std::span<const std::uint8_t> own = transport::FacilityKeyAccess::private_key(key);
    const std::vector<MaskedNeedle> needles{mask_needle("the facility private key", own)};
    // A careless copy in ordinary heap memory, unmasked from the needle.
    auto* careless = new std::vector<std::uint8_t>(needles[0].masked.size());
    for (std::size_t i = 0; i < careless->size(); ++i) {
        (*careless)[i] = static_cast<std::uint8_t>(needles[0].masked[i] ^ kNeedleMask);
    }
    const ScanReport report = scan_writable_memory(needles);
    INFO(describe(report));
    bool in_secret = false;
    bool in_vector = false;
    for (const ScanHit& h : report.hits) {
        in_secret = in_secret || h.address == reinterpret_cast<std::uintptr_t>(own.data());
        in_vector = in_vector || h.address == reinterpret_cast<std::uintptr_t>(careless->data());
    }
    CHECK_MESSAGE(in_secret, "the scan does not read the live key's sodium_malloc page");
    CHECK_MESSAGE(in_vector, "the scan missed a plain copy of the key on the heap");
    sodium_memzero(careless->data(), careless->size());
    delete careless;
}

TEST_CASE("negative control - the finder finds no private key for a public key nobody holds") {
    // A live facility key sits at a page end meanwhile: the finder must not take it
    // (or anything else) for the private key of another public key.
    const transport::FacilityKey key = transport::FacilityKey::generate();
    transport::PublicKey nobody{};
    randombytes_buf(nobody.data(), nobody.size());
    REQUIRE(nobody != key.public_key());
    const PrivateKeySearch none = search_x25519_private_key(nobody);
    CHECK_FALSE(none.key.has_value());
    CHECK(none.regions > 3);
    CHECK(none.pages_read > 50);  // it did look: the pages of the heap, stack and .data
    CHECK(none.pages_tried > 10);
    MESSAGE("the finder read " << none.pages_read << " page ends in " << none.regions
                               << " regions and tried the " << none.pages_tried << " not all zero");
    CHECK(find_x25519_private_key(key.public_key()).has_value());
}

TEST_CASE("sealing and opening a share makes no write system call and creates no file") {
    // /proc/self/io counts this process's write-family system calls (write, pwrite,
    // writev...) and bytes: both stay unchanged across the cycle, so the transport
    // writes nothing anywhere, disk included. TMPDIR, HOME and the working directory
    // point to an empty directory meanwhile and it stays empty (a file created without
    // a write). No assertion inside the cycle: doctest writes only when one fails.
    smk::crypto_init();
    const smk::Secret secret = test_secret();
    smk_test::DeterministicRandom random(std::array<std::uint8_t, 32>{15, 4, 3});
    smk::slip39::SplitParams params;
    params.groups = {{2, 3}, {2, 3}};
    params.iteration_exponent = 0;
    const smk::slip39::SplitResult split = smk::slip39::split(secret.bytes(), {}, params, random);

    const TempDir dir("hygiene-transport");
    const std::filesystem::path cwd = std::filesystem::current_path();
    bool opened_same = false;
    long long writes_before = 0;
    long long writes_after = 0;
    long long bytes_before = 0;
    long long bytes_after = 0;
    {
        const ScopedEnv tmpdir("TMPDIR", dir.path().native());
        const ScopedEnv home("HOME", dir.path().native());
        std::filesystem::current_path(dir.path());
        writes_before = io_counter("syscw");
        bytes_before = io_counter("wchar");
        {
            const transport::FacilityKey key = transport::FacilityKey::generate();
            const transport::SealedShare sealed = transport::seal_share(
                split.mnemonics[1][0], "set B share 1", key.public_key(), kContext);
            const transport::OpenedShare opened =
                transport::open_sealed(sealed.bytes, key, kContext, "sealed set B share 1");
            opened_same =
                smk::constant_time_equal(opened.mnemonic.bytes(), split.mnemonics[1][0].bytes());
        }
        writes_after = io_counter("syscw");
        bytes_after = io_counter("wchar");
        std::filesystem::current_path(cwd);
    }
    CHECK(opened_same);
    CHECK(std::filesystem::is_empty(dir.path()));
    REQUIRE_MESSAGE(writes_before >= 0, "/proc/self/io is missing (no task I/O accounting)");
#if defined(__SANITIZE_ADDRESS__)
    // The sanitizer build also has UBSan, whose vptr check probes whether memory is
    // readable by write(2)-ing 16 bytes of it to a pipe of its own (strace shows them):
    // the process's write count is not the transport's there. The release build, the
    // ceremony binary, checks it.
    MESSAGE("sanitizer build: " << writes_after - writes_before
                                << " write calls, UBSan's own memory probes; the write count "
                                   "is checked by the release build's run of this test");
    static_cast<void>(bytes_after - bytes_before);
#else
    CHECK(writes_after == writes_before);
    CHECK(bytes_after == bytes_before);
#endif
}
