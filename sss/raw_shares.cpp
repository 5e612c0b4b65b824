// Raw split: stream a file into n share files (format: raw_format.hpp), holding
// only a few chunk-sized Secret buffers however large the file is.
//
// Per chunk of the payload P = R || file || tag: draw t-1 coefficient chunks from
// the ChaCha20 coefficient stream, then for each x evaluate
//   y = P + a_1 x + a_2 x^2 + ... + a_{t-1} x^{t-1}
// with gf256::mul_add (the powers of x are public), hash y and append it to the
// share file. Every secret (file bytes, R, tag, coefficients, share values) sits
// in a Secret; the share files are AtomicFiles committed only when all are complete.

#include "smk/raw_shares.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include "gf256.hpp"
#include "raw_crypto.hpp"
#include "raw_format.hpp"
#include "raw_io.hpp"
#include "raw_parallel.hpp"
#include "smk/atomic_file.hpp"
#include "smk/error.hpp"
#include "smk/secret.hpp"

namespace smk::raw {
namespace {

namespace fs = std::filesystem;

void validate_counts(unsigned threshold, unsigned count) {
    if (count < 2 || count > kMaxShares) {
        throw Error(ErrorCategory::usage,
                    "the number of shares must be 2..255, not " + std::to_string(count));
    }
    if (threshold < 2 || threshold > count) {
        throw Error(ErrorCategory::usage,
                    "the threshold must be 2.." + std::to_string(count) +
                        " (the number of "
                        "shares), not " +
                        std::to_string(threshold) +
                        (threshold == 1 ? "; a 1-of-n share would hold the file in clear" : ""));
    }
}

// Unless dismissed, removes the share files a failed split already moved into
// place, and the output directory if this split created it (and it is empty).
class SplitRollback final {
  public:
    SplitRollback(fs::path dir, bool created_dir) : m_dir(std::move(dir)), m_created(created_dir) {}
    ~SplitRollback() {
        if (m_dismissed) {
            return;
        }
        std::error_code ec;
        for (const fs::path& p : m_committed) {
            fs::remove(p, ec);
        }
        if (m_created) {
            fs::remove(m_dir, ec);  // only if empty
        } else if (!m_committed.empty()) {
            try {
                fsync_directory(m_dir);
            } catch (const Error&) {  // best effort; the removal itself succeeded
            }
        }
    }
    SplitRollback(const SplitRollback&) = delete;
    SplitRollback& operator=(const SplitRollback&) = delete;

    void committed(const fs::path& p) { m_committed.push_back(p); }
    void dismiss() noexcept { m_dismissed = true; }

  private:
    fs::path m_dir;
    bool m_created;
    bool m_dismissed = false;
    std::vector<fs::path> m_committed;
};

// Produces the payload P = R || file || tag in order. Secret throughout.
class PayloadSource final {
  public:
    PayloadSource(InputFile& file, const Secret& key, HmacSha256& mac, std::uint64_t secret_bytes)
        : m_file(file), m_key(key), m_mac(mac), m_secret_bytes(secret_bytes) {}

    // Fills all of `out` with the next payload bytes (the caller never asks past the end).
    void next(std::span<std::uint8_t> out) {
        constexpr std::uint64_t kKey = format::kKeyBytes;
        std::size_t done = 0;
        while (done < out.size()) {
            const std::span<std::uint8_t> rest = out.subspan(done);
            std::size_t n = 0;
            if (m_pos < kKey) {
                n = static_cast<std::size_t>(std::min<std::uint64_t>(rest.size(), kKey - m_pos));
                std::memcpy(rest.data(), m_key.data() + m_pos, n);
            } else if (m_pos < kKey + m_secret_bytes) {
                n = static_cast<std::size_t>(
                    std::min<std::uint64_t>(rest.size(), kKey + m_secret_bytes - m_pos));
                if (m_file.read_full(rest.first(n)) != n) {
                    changed("is shorter than when smk started");
                }
                m_mac.update(rest.first(n));
            } else {
                if (m_tag.empty()) {
                    expect_end_of_file();
                    m_tag = m_mac.final();
                }
                const auto offset = static_cast<std::size_t>(m_pos - kKey - m_secret_bytes);
                n = std::min(rest.size(), m_tag.size() - offset);
                std::memcpy(rest.data(), m_tag.data() + offset, n);
            }
            done += n;
            m_pos += n;
        }
    }

  private:
    [[noreturn]] void changed(const std::string& how) const {
        throw Error(ErrorCategory::io, "secret file " + m_file.path().string() +
                                           " changed while smk read it (it " + how +
                                           "); nothing was written. Run again on a file no "
                                           "one is writing to.");
    }

    void expect_end_of_file() {
        std::array<std::uint8_t, 1> probe{};
        const std::size_t extra = m_file.read_full(probe);
        secure_zero(probe);
        if (extra != 0) {
            changed("grew");
        }
    }

    InputFile& m_file;
    const Secret& m_key;
    HmacSha256& m_mac;
    std::uint64_t m_secret_bytes;
    std::uint64_t m_pos = 0;
    Secret m_tag;
};

// Creates out_dir (0700) if it does not exist; returns whether it did.
bool prepare_out_dir(const fs::path& out_dir) {
    std::error_code ec;
    const fs::file_status st = fs::status(out_dir, ec);
    if (st.type() == fs::file_type::not_found) {
        if (!fs::create_directory(out_dir, ec) || ec) {
            throw Error(ErrorCategory::io,
                        "cannot create output directory " + out_dir.string() + ": " + ec.message());
        }
        fs::permissions(out_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
        return true;
    }
    if (st.type() != fs::file_type::directory) {
        throw Error(ErrorCategory::usage, out_dir.string() + " is not a directory");
    }
    return false;
}

}  // namespace

SplitSummary split_file(const fs::path& secret_file, const fs::path& out_dir, unsigned threshold,
                        unsigned count, RandomSource& random) {
    validate_counts(threshold, count);
    crypto_init();
    InputFile input(secret_file);
    if (!input.regular()) {
        throw Error(ErrorCategory::usage, secret_file.string() +
                                              " is not a regular file; a raw split needs a file "
                                              "whose size is known before it starts");
    }
    const std::uint64_t secret_bytes = input.size();
    if (secret_bytes > format::kMaxSecretBytes) {
        throw Error(ErrorCategory::invalid_input, secret_file.string() + " is too large");
    }

    std::string base = secret_file.filename().string();
    if (base.empty()) {
        base = "secret";
    }
    std::vector<fs::path> paths;
    for (unsigned x = 1; x <= count; ++x) {
        paths.push_back(out_dir / format::share_file_name(base, x, count));
    }
    const bool created_dir = prepare_out_dir(out_dir);
    SplitRollback rollback(out_dir, created_dir);
    for (const fs::path& p : paths) {  // refuse before writing anything
        std::error_code ec;
        if (fs::symlink_status(p, ec).type() != fs::file_type::not_found) {
            throw Error(ErrorCategory::refused,
                        p.string() +
                            " already exists; smk never overwrites a share. Move it "
                            "away or choose another output directory. Nothing was "
                            "written.");
        }
    }

    SplitSummary summary;
    summary.secret_bytes = secret_bytes;
    summary.threshold = threshold;
    random.fill(summary.identifier);
    Secret key(format::kKeyBytes);
    random.fill(key.bytes());
    Secret stream_key(CoefficientStream::kKeyBytes);
    random.fill(stream_key.bytes());
    const CoefficientStream coefficients(std::move(stream_key));
    HmacSha256 mac(key.bytes());
    mac.update(format::tag_prefix(summary.identifier, secret_bytes));
    PayloadSource payload(input, key, mac, secret_bytes);

    // Public: the powers x^j, j = 1..t-1, of every x.
    const std::size_t degree = threshold - 1;
    std::vector<std::uint8_t> powers(count * degree);
    for (unsigned x = 1; x <= count; ++x) {
        std::uint8_t power = 1;
        for (std::size_t j = 0; j < degree; ++j) {
            power = gf256::mul(power, static_cast<std::uint8_t>(x));
            powers[(x - 1) * degree + j] = power;
        }
    }

    std::vector<std::unique_ptr<AtomicFile>> files;
    std::vector<Sha256Stream> hashes;
    for (unsigned x = 1; x <= count; ++x) {
        const format::HeaderBytes header =
            format::encode_header({threshold, count, x, summary.identifier, secret_bytes});
        files.push_back(std::make_unique<AtomicFile>(paths[x - 1], 0600));
        files.back()->write(header);
        hashes.emplace_back().update(header);
    }

    // Two halves per step (raw_parallel.hpp): the payload and the low coefficients
    // here while the helper draws the high ones; then shares 1..half here while the
    // helper does the rest. Each half writes only its own buffers, files and hashes.
    const std::size_t chunk = format::chunk_bytes(threshold + 2);
    Secret block(chunk);
    Secret coefficient_block(degree * chunk);
    Secret value_here(chunk);
    Secret value_there(chunk);
    const std::size_t low_coefficients = degree / 2;
    const unsigned low_shares = (count + 1) / 2;
    ForkJoin fork_join;
    std::uint64_t remaining = format::payload_bytes(secret_bytes);
    for (std::uint64_t step = 0; remaining > 0; ++step) {
        const auto len = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, remaining));
        const std::span<const std::uint8_t> p = block.bytes().first(len);
        const std::span<std::uint8_t> a = coefficient_block.bytes().first(degree * len);
        const auto draw = [&](std::size_t from, std::size_t to) {
            for (std::size_t j = from; j < to; ++j) {
                coefficients.fill(a.subspan(j * len, len), step, static_cast<std::uint32_t>(j));
            }
        };
        fork_join.run(
            [&] {
                payload.next(block.bytes().first(len));
                draw(0, low_coefficients);
            },
            [&] { draw(low_coefficients, degree); });

        // y = P + sum_j a_j x^j for x in [from, to], hashed and appended to its file.
        const auto evaluate = [&](unsigned from, unsigned to, Secret& value) {
            const std::span<std::uint8_t> y = value.bytes().first(len);
            for (unsigned x = from; x <= to; ++x) {
                std::memcpy(y.data(), p.data(), len);
                for (std::size_t j = 0; j < degree; ++j) {
                    gf256::mul_add(y, a.subspan(j * len, len), powers[(x - 1) * degree + j]);
                }
                hashes[x - 1].update(y);
                files[x - 1]->write(y);
            }
        };
        fork_join.run([&] { evaluate(1, low_shares, value_here); },
                      [&] { evaluate(low_shares + 1, count, value_there); });
        remaining -= len;
    }

    for (std::size_t i = 0; i < files.size(); ++i) {
        files[i]->write(hashes[i].finish());
    }
    // Commit (fsync, rename, directory fsync) in two halves so that the device
    // flushes two files at once; the rollback learns of every file that made it.
    std::vector<std::uint8_t> committed(count, 0);
    const auto commit = [&](unsigned from, unsigned to) {
        for (unsigned x = from; x <= to; ++x) {
            files[x - 1]->commit();
            committed[x - 1] = 1;
        }
    };
    try {
        fork_join.run([&] { commit(1, low_shares); }, [&] { commit(low_shares + 1, count); });
    } catch (...) {
        for (std::size_t i = 0; i < paths.size(); ++i) {
            if (committed[i] != 0) {
                rollback.committed(paths[i]);
            }
        }
        throw;
    }
    rollback.dismiss();
    summary.share_files = std::move(paths);
    return summary;
}

}  // namespace smk::raw
