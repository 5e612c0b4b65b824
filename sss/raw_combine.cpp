// Raw combine: check every share's header, size and identity up front, then
// stream all shares in step: interpolate the first `threshold` at 0 into the
// output's temporary file, check that any further share lies on the same
// polynomial, hash every share, and only when every checksum and the payload's
// HMAC verify give the output its final name.

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "raw_crypto.hpp"
#include "raw_format.hpp"
#include "raw_io.hpp"
#include "raw_parallel.hpp"
#include "smk/atomic_file.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/raw_shares.hpp"
#include "smk/secret.hpp"
#include "smk/shamir.hpp"

namespace smk::raw {
namespace {

namespace fs = std::filesystem;

struct ShareInput {
    InputFile file;
    format::Header header;
    Sha256Stream hash;
    std::string name;  // how errors name the share: its path as given
};

[[noreturn]] void bad_share(const std::string& message) {
    throw Error(ErrorCategory::invalid_input, message);
}

ShareInput open_share(const fs::path& path) {
    const std::string name = path.string();
    InputFile file(path);
    if (!file.regular()) {
        bad_share(name + " is not a regular file; give the share files themselves");
    }
    const std::uint64_t min_size = format::share_file_bytes(0);
    format::HeaderBytes header_bytes{};
    if (file.size() < format::kHeaderBytes || file.read_full(header_bytes) != header_bytes.size()) {
        bad_share("share file " + name + " is truncated or not a share (" +
                  std::to_string(file.size()) + " bytes; a raw share has at least " +
                  std::to_string(min_size) + "); use another share");
    }
    const format::Header header = format::decode_header(header_bytes, "share file " + name);
    const std::uint64_t expected = format::share_file_bytes(header.secret_bytes);
    if (file.size() < expected) {
        bad_share("share file " + name + " is truncated (" + std::to_string(file.size()) + " of " +
                  std::to_string(expected) + " bytes); use another share");
    }
    if (file.size() > expected) {
        bad_share("share file " + name + " is damaged: it has " +
                  std::to_string(file.size() - expected) +
                  " bytes more than its header says; use another share");
    }
    Sha256Stream hash;
    hash.update(header_bytes);
    return {std::move(file), header, std::move(hash), name};
}

// Every share must come from the split of the first, with its own x.
void check_one_split(const std::vector<ShareInput>& shares) {
    const ShareInput& first = shares.front();
    for (std::size_t i = 1; i < shares.size(); ++i) {
        const ShareInput& s = shares[i];
        if (s.header.identifier != first.header.identifier) {
            bad_share("share file " + s.name + " belongs to another split (identifier " +
                      to_hex(s.header.identifier) + ", while " + first.name + " has " +
                      to_hex(first.header.identifier) + "); give shares of one split only");
        }
        if (s.header.threshold != first.header.threshold || s.header.count != first.header.count ||
            s.header.secret_bytes != first.header.secret_bytes) {
            bad_share("share files " + first.name + " and " + s.name +
                      " have the same split identifier but disagree about the threshold, "
                      "count or length; one of them is damaged. Use other shares");
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (shares[j].header.x == s.header.x) {
                bad_share("two shares with x=" + std::to_string(s.header.x) + ": " +
                          shares[j].name + " and " + s.name + "; give each share once");
            }
        }
    }
}

// Consumes the recovered payload P = R || file || tag: R keys the HMAC, the file
// goes to the output's temporary file and into the HMAC, the tag is kept.
class PayloadSink final {
  public:
    PayloadSink(AtomicFile& out, const format::Header& header)
        : m_out(out), m_header(header), m_key(format::kKeyBytes), m_tag(format::kTagBytes) {}

    void consume(std::span<const std::uint8_t> bytes) {
        constexpr std::uint64_t kKey = format::kKeyBytes;
        const std::uint64_t file_end = kKey + m_header.secret_bytes;
        std::size_t done = 0;
        while (done < bytes.size()) {
            const std::span<const std::uint8_t> rest = bytes.subspan(done);
            std::size_t n = 0;
            if (m_pos < kKey) {
                n = static_cast<std::size_t>(std::min<std::uint64_t>(rest.size(), kKey - m_pos));
                std::memcpy(m_key.data() + m_pos, rest.data(), n);
                if (m_pos + n == kKey) {
                    m_mac.emplace(m_key.bytes());
                    m_mac->update(format::tag_prefix(m_header.identifier, m_header.secret_bytes));
                }
            } else if (m_pos < file_end) {
                n = static_cast<std::size_t>(
                    std::min<std::uint64_t>(rest.size(), file_end - m_pos));
                m_mac->update(rest.first(n));
                m_out.write(rest.first(n));
            } else {
                const auto offset = static_cast<std::size_t>(m_pos - file_end);
                n = std::min(rest.size(), m_tag.size() - offset);
                std::memcpy(m_tag.data() + offset, rest.data(), n);
            }
            done += n;
            m_pos += n;
        }
    }

    // After the whole payload: whether the tag matches (compared in constant time).
    [[nodiscard]] bool authentic() {
        if (!m_mac || m_pos != format::payload_bytes(m_header.secret_bytes)) {
            throw Error(ErrorCategory::internal, "raw combine ended before the payload did");
        }
        const Secret expected = m_mac->final();
        return constant_time_equal(expected.bytes(), m_tag.bytes());
    }

  private:
    AtomicFile& m_out;
    format::Header m_header;
    Secret m_key;
    Secret m_tag;
    std::optional<HmacSha256> m_mac;
    std::uint64_t m_pos = 0;
};

std::string list(const std::vector<ShareInput>& shares, std::size_t from, std::size_t to) {
    std::string out;
    for (std::size_t i = from; i < to; ++i) {
        out += (i == from ? "" : ", ") + shares[i].name;
    }
    return out;
}

}  // namespace

CombineSummary combine_files(std::span<const fs::path> share_files, const fs::path& out_file) {
    crypto_init();
    if (share_files.empty()) {
        throw Error(ErrorCategory::usage, "no share files given");
    }
    if (share_files.size() > kMaxShares) {
        throw Error(ErrorCategory::usage,
                    "more than 255 share files given; a raw split has at "
                    "most 255 shares");
    }
    std::vector<ShareInput> shares;
    shares.reserve(share_files.size());
    for (const fs::path& p : share_files) {
        shares.push_back(open_share(p));
    }
    check_one_split(shares);
    const format::Header& header = shares.front().header;
    const std::size_t threshold = header.threshold;
    if (shares.size() < threshold) {
        throw Error(ErrorCategory::insufficient,
                    "need " + std::to_string(threshold) + " shares, got " +
                        std::to_string(shares.size()) + " (split " + to_hex(header.identifier) +
                        ", " + std::to_string(threshold) + " of " + std::to_string(header.count) +
                        "); add shares of this split");
    }

    AtomicFile out(out_file, 0600);  // refuses an existing file before any work
    PayloadSink sink(out, header);
    const std::size_t chunk = format::chunk_bytes(shares.size() + 2);
    std::vector<Secret> values;  // this chunk of every share
    for (std::size_t i = 0; i < shares.size(); ++i) {
        values.emplace_back(chunk);
    }
    Secret recovered(chunk);
    Secret expected(chunk);  // an extra share's value as the used shares predict it
    // Public: which extra share is off. Not vector<bool>: the helper writes it.
    std::vector<std::uint8_t> disagrees(shares.size(), 0);
    std::vector<shamir::Point> points(threshold);

    // Two halves per step (raw_parallel.hpp): each thread reads and hashes half of
    // the shares; then the result is recovered and written here while the helper
    // checks the extra shares. Each half writes only its own buffers and hashes.
    ForkJoin fork_join;
    const std::size_t low_shares = (shares.size() + 1) / 2;
    std::uint64_t remaining = format::payload_bytes(header.secret_bytes);
    while (remaining > 0) {
        const auto len = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, remaining));
        const auto read = [&](std::size_t from, std::size_t to) {
            for (std::size_t i = from; i < to; ++i) {
                const std::span<std::uint8_t> v = values[i].bytes().first(len);
                if (shares[i].file.read_full(v) != len) {
                    bad_share("share file " + shares[i].name +
                              " is truncated (it shrank while smk read it); use another share");
                }
                shares[i].hash.update(v);
            }
        };
        fork_join.run([&] { read(0, low_shares); }, [&] { read(low_shares, shares.size()); });
        for (std::size_t i = 0; i < threshold; ++i) {
            points[i] = {static_cast<std::uint8_t>(shares[i].header.x),
                         values[i].bytes().first(len)};
        }
        fork_join.run(
            [&] {
                shamir::interpolate(points, 0, recovered.bytes().first(len));
                sink.consume(recovered.bytes().first(len));
            },
            [&] {
                for (std::size_t i = threshold; i < shares.size(); ++i) {
                    shamir::interpolate(points, static_cast<std::uint8_t>(shares[i].header.x),
                                        expected.bytes().first(len));
                    if (!constant_time_equal(expected.bytes().first(len),
                                             values[i].bytes().first(len))) {
                        disagrees[i] = 1;
                    }
                }
            });
        remaining -= len;
    }

    std::vector<std::string> corrupted;
    for (ShareInput& s : shares) {
        Digest trailer{};
        if (s.file.read_full(trailer) != trailer.size()) {
            bad_share("share file " + s.name +
                      " is truncated (it shrank while smk read it); "
                      "use another share");
        }
        if (s.hash.finish() != trailer) {
            corrupted.push_back(s.name);
        }
    }
    if (corrupted.size() == 1) {
        bad_share("share file " + corrupted.front() +
                  " is corrupted (checksum mismatch); use another share. Nothing was written.");
    }
    if (!corrupted.empty()) {
        std::string names;
        for (const std::string& n : corrupted) {
            names += (names.empty() ? "" : ", ") + n;
        }
        bad_share("share files " + names +
                  " are corrupted (checksum mismatch); use other shares. Nothing was written.");
    }
    if (!sink.authentic()) {
        throw Error(ErrorCategory::verification,
                    "the shares " + list(shares, 0, threshold) +
                        " do not combine to the file that was split (authentication failed), "
                        "although each share's own checksum is correct: one of them was "
                        "altered with its checksum recomputed, or they come from different "
                        "splits. Nothing was written; try another set of shares.");
    }
    for (std::size_t i = threshold; i < shares.size(); ++i) {
        if (disagrees[i] != 0) {
            throw Error(ErrorCategory::verification,
                        "share file " + shares[i].name + " does not agree with the shares used (" +
                            list(shares, 0, threshold) +
                            ", which authenticate): it was altered after the split. Nothing "
                            "was written; leave it out and run again.");
        }
    }
    out.commit();

    CombineSummary summary;
    summary.identifier = header.identifier;
    summary.secret_bytes = header.secret_bytes;
    summary.threshold = header.threshold;
    summary.count = header.count;
    for (std::size_t i = 0; i < shares.size(); ++i) {
        (i < threshold ? summary.shares_used : summary.shares_checked)
            .push_back(shares[i].file.path());
    }
    return summary;
}

}  // namespace smk::raw
