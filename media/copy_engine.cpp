// copy_tree(): plan and refuse first, then one pass over the source fanned out to
// every destination, then every written file read back from the device.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "copy_plan.hpp"
#include "copy_source.hpp"
#include "copy_write.hpp"
#include "file_hash.hpp"
#include "link_check.hpp"
#include "report_text.hpp"
#include "smk/atomic_file.hpp"
#include "smk/copy.hpp"
#include "smk/error.hpp"
#include "smk/interrupt.hpp"

namespace smk::copy {
namespace {

namespace fs = std::filesystem;
using detail::Action;
using detail::DestPlan;
using detail::Kind;
using detail::SourceEntry;
using detail::SourceTree;

// The directory holding `path` ("." for a bare name).
fs::path parent_of(const fs::path& path) {
    const fs::path parent = path.parent_path();
    return parent.empty() ? fs::path(".") : parent;
}

// "dst/" -> "dst", so that parent_path() means the parent.
fs::path without_trailing_slash(const fs::path& path) {
    const fs::path normal = path.lexically_normal();
    if (!normal.has_filename() && normal.has_relative_path()) {
        return normal.parent_path();
    }
    return normal;
}

// How a written file is read back (and a same-size, same-mtime copy is hashed).
// Every written file is on the drive before it is read back (one syncfs() per
// destination per batch), so its pages in the cache are clean and DONTNEED drops
// them; read_all() then confirms with mincore() that no page of the file stayed in
// the cache, and reads O_DIRECT any file for which that cannot be confirmed (pages
// mapped by another process, a kernel that hides residency, no mmap). The buffered
// read that follows has to come from the device, with the kernel's readahead: on
// the VM disk measured for bench/media.sh that is several times the throughput of
// synchronous 1 MiB O_DIRECT reads for large files, and the same per small file.
// The page-cache trap tests (a copy corrupted behind the filesystem on a loop-mounted
// ext4 image, caught by the read-back) hold for this mode as for O_DIRECT.
constexpr ReadMode kReadBackMode = ReadMode::drop_cache;

// Enough to keep a disk's or three USB drives' queues busy; each holds a 1 MiB buffer.
constexpr std::size_t kVerifyThreads = 8;

// Sealed files wait for one syncfs per destination: at most this many, or this many
// bytes (so that a failure loses little work and the drive's cache stays bounded).
constexpr std::size_t kBatchFiles = 512;
// What an interrupted copy tells the operator (the copy stops between chunks).
constexpr std::string_view kRunAgain =
    "stopped between chunks; no file under its final name is partial and the temporary "
    "files were removed. Run the same command again to complete and verify the copy";
constexpr std::uint64_t kBatchBytes = std::uint64_t{256} << 20;

// Whether an Error(io) says the drive is full. core's AtomicFile, which writes and
// places the files, keeps the errno only in its message ("...: No space left on
// device"); copy_write.cpp does the same. tests/media asserts the explanation that
// this detection adds, so a change of those messages shows there.
bool drive_full(const Error& e) {
    if (e.category() != ErrorCategory::io) {
        return false;
    }
    const std::string_view message = e.what();
    return message.find(std::strerror(ENOSPC)) != std::string_view::npos ||
           message.find(std::strerror(EDQUOT)) != std::string_view::npos;
}

// The most bytes of old copies that one batch keeps on destination d beside their
// new copies, for the batches from source entry `first` on, as the engine forms them
// (a same-size same-mtime file that turns out to differ is not foreseen here).
std::uint64_t worst_batch_old_bytes(const SourceTree& tree, const std::vector<DestPlan>& plans,
                                    std::size_t first, std::size_t d) {
    std::size_t files = 0;
    std::uint64_t bytes = 0;
    std::uint64_t old_bytes = 0;
    std::uint64_t worst = 0;
    for (std::size_t i = first; i < tree.entries.size(); ++i) {
        if (tree.entries[i].kind != Kind::file) {
            continue;
        }
        for (std::size_t e = 0; e < plans.size(); ++e) {
            const Action action = plans[e].actions[i];
            if (action != Action::create && action != Action::update) {
                continue;
            }
            ++files;
            bytes += static_cast<std::uint64_t>(tree.entries[i].st.st_size);
            if (e == d && action == Action::update) {
                old_bytes += plans[e].replaced_sizes[i];
            }
        }
        worst = std::max(worst, old_bytes);
        if (files >= kBatchFiles || bytes >= kBatchBytes) {
            files = 0;
            bytes = 0;
            old_bytes = 0;
        }
    }
    return worst;
}

struct WrittenFile {
    std::size_t dest = 0;
    std::string rel;
    Sha256 sha256{};
    std::uint64_t size = 0;
};

class Engine final {
  public:
    Engine(SourceTree tree, std::vector<DestPlan> plans, const Options& options)
        : m_tree(std::move(tree)),
          m_plans(std::move(plans)),
          m_options(options),
          m_dirty(m_plans.size()),
          m_current_old(m_plans.size(), 0) {
        m_report.source = m_tree.root;
        m_report.files = m_tree.files;
        m_report.bytes = m_tree.bytes;
        m_report.skipped_special = m_tree.special;
        for (std::size_t d = 0; d < m_plans.size(); ++d) {
            m_policies.push_back({::geteuid() == 0, m_plans[d].fat_like});
            DestinationReport dest;
            dest.root = m_plans[d].root;
            dest.extra = m_plans[d].extra;
            m_report.destinations.push_back(std::move(dest));
        }
    }

    Report run() {
        for (std::size_t d = 0; d < m_plans.size(); ++d) {
            prepare(d);
        }
        m_progress = {Phase::copying, 0, m_tree.bytes, 0, m_tree.files, {}};
        notify();
        for (std::size_t i = 0; i < m_tree.entries.size(); ++i) {
            if (m_tree.entries[i].kind == Kind::file) {
                copy_file(i);
            }
        }
        place_pending();
        for (std::size_t d = 0; d < m_plans.size(); ++d) {
            finish(d);
        }
        verify();
        m_progress.phase = Phase::done;
        notify();
        return std::move(m_report);
    }

  private:
    void notify() {
        if (m_options.progress) {
            m_options.progress(m_progress);
        }
    }

    // Removes destination d's entry `rel` (a tree, for an extra directory), names it in
    // `removed` and marks its directory for the closing fsync.
    void remove_entry(std::size_t d, const std::string& rel, const std::string& what,
                      std::vector<std::string>& removed) {
        const fs::path path = m_plans[d].root / rel;
        std::error_code ec;
        fs::remove_all(path, ec);
        if (ec) {
            throw Error(ErrorCategory::io,
                        "cannot delete " + what + " " + path.string() + ": " + ec.message());
        }
        removed.push_back(rel);
        m_dirty[d].insert(parent_of(path));
    }

    // Leftover temporaries and extras (removed first, which frees room), the root,
    // directories and links.
    void prepare(std::size_t d) {
        const DestPlan& plan = m_plans[d];
        DestinationReport& dest = m_report.destinations[d];
        // A copy killed mid-file leaves its temporary: never a final name, never the
        // user's (AtomicFile's pattern), so the rerun removes it without a flag.
        for (const std::string& rel : plan.leftovers) {
            remove_entry(d, rel, "the leftover temporary file", dest.leftovers_removed);
        }
        if (m_options.delete_extras) {
            for (const std::string& rel : plan.extra) {
                remove_entry(d, rel, "the extra entry", dest.deleted);
            }
        }
        if (!plan.root_exists) {
            if (m_tree.into_subdirectory) {
                detail::make_directory(parent_of(plan.root));
            }
            detail::make_directory(plan.root);
            m_dirty[d].insert(parent_of(plan.root));
        }
        for (std::size_t i = 0; i < m_tree.entries.size(); ++i) {
            const SourceEntry& entry = m_tree.entries[i];
            const fs::path path = detail::join(plan.root, entry.rel);
            const Action action = plan.actions[i];
            if (entry.kind == Kind::directory && action == Action::create) {
                detail::make_directory(path);
                ++dest.directories;
                m_dirty[d].insert(path.parent_path());
            } else if (entry.kind == Kind::symlink && action != Action::keep) {
                detail::place_symlink(path, entry.link_target, entry.st, m_policies[d]);
                ++dest.symlinks;
                m_dirty[d].insert(path.parent_path());
            }
        }
    }

    // Reads the source file once into every destination that needs it; the rare
    // destination whose same-size, same-mtime copy hashes differently gets a second
    // read, which must hash the same.
    void copy_file(std::size_t index) {
        const SourceEntry& entry = m_tree.entries[index];
        const fs::path source = detail::join(m_tree.base, entry.rel);
        if (m_pending.empty()) {
            m_batch_first = index;
        }
        std::vector<std::unique_ptr<AtomicFile>> writers(m_plans.size());
        for (std::size_t d = 0; d < m_plans.size(); ++d) {
            const Action action = m_plans[d].actions[index];
            if (action == Action::create || action == Action::update) {
                m_current_old[d] = m_plans[d].replaced_sizes[index];
                at_destination(d, [&] {
                    writers[d] =
                        detail::new_destination_file(detail::join(m_plans[d].root, entry.rel));
                });
            }
        }
        m_progress.current = entry.rel;
        const std::uint64_t start = m_progress.bytes_done;
        const detail::SourceRead first = read_into(source, entry.st, writers);
        std::vector<std::unique_ptr<AtomicFile>> rewriters(m_plans.size());
        bool second_read = false;
        for (std::size_t d = 0; d < m_plans.size(); ++d) {
            if (m_plans[d].actions[index] != Action::compare) {
                continue;
            }
            const fs::path path = detail::join(m_plans[d].root, entry.rel);
            const FileDigest on_drive = sha256_file(path, kReadBackMode);
            if (on_drive.sha256 == first.sha256) {
                detail::set_metadata_in_place(path, first.st, m_policies[d]);
                ++m_report.destinations[d].unchanged_verified;
            } else {
                m_current_old[d] = m_plans[d].replaced_sizes[index];
                at_destination(d, [&] { rewriters[d] = detail::new_destination_file(path); });
                second_read = true;
            }
        }
        if (second_read) {
            m_progress.bytes_total += static_cast<std::uint64_t>(entry.st.st_size);
            const detail::SourceRead again = read_into(source, first.st, rewriters);
            if (again.sha256 != first.sha256) {
                throw Error(ErrorCategory::io,
                            "source file " + source.string() +
                                " changed while it was being copied (a second read hashed "
                                "differently); run again.");
            }
        }
        for (std::size_t d = 0; d < m_plans.size(); ++d) {
            const bool rewrite = rewriters[d] != nullptr;
            std::unique_ptr<AtomicFile> writer =
                rewrite ? std::move(rewriters[d]) : std::move(writers[d]);
            if (!writer) {
                continue;
            }
            const Action action = m_plans[d].actions[index];
            at_destination(d, [&] { detail::seal(*writer, first.st, m_policies[d]); });
            DestinationReport& dest = m_report.destinations[d];
            dest.bytes_written += writer->written();
            if (rewrite) {
                ++dest.rewritten;
            } else if (action == Action::create) {
                ++dest.copied;
            } else {
                ++dest.updated;
            }
            m_dirty[d].insert(writer->final_path().parent_path());
            m_written.push_back({d, entry.rel, first.sha256, writer->written()});
            m_pending_bytes += writer->written();
            m_pending.push_back({d, action != Action::create, m_current_old[d], std::move(writer)});
            m_current_old[d] = 0;
        }
        if (m_pending.size() >= kBatchFiles || m_pending_bytes >= kBatchBytes) {
            place_pending();
        }
        m_progress.bytes_done =
            start + static_cast<std::uint64_t>(entry.st.st_size) * (second_read ? 2U : 1U);
        ++m_progress.files_done;
        notify();
    }

    // The sealed files reach their drives (one syncfs per destination), then take
    // their final names; a crash before the rename leaves only temporary names.
    void place_pending() {
        std::vector<bool> touched(m_plans.size(), false);
        for (const Pending& p : m_pending) {
            touched[p.dest] = true;
        }
        for (std::size_t d = 0; d < m_plans.size(); ++d) {
            if (touched[d]) {
                at_destination(d, [&] { detail::sync_filesystem(m_plans[d].root); });
            }
        }
        for (Pending& p : m_pending) {
            at_destination(p.dest, [&] { p.writer->place(p.replace); });
        }
        m_pending.clear();
        m_pending_bytes = 0;
    }

    // Runs one step of writing to destination d; a full drive's error gains why the
    // batches need room there, how much, what is left and what to do.
    template <typename Step>
    void at_destination(std::size_t d, const Step& step) {
        try {
            step();
        } catch (const Error& e) {
            if (!drive_full(e)) {
                throw;
            }
            throw Error(ErrorCategory::io, std::string(e.what()) + full_drive_note(d));
        }
    }

    std::string full_drive_note(std::size_t d) const {
        // What the batch held when the drive filled (same-size files found to differ
        // included), and what the batches from this one on will hold.
        std::uint64_t held = m_current_old[d];
        for (const Pending& p : m_pending) {
            if (p.dest == d && p.replace) {
                held += p.replaced_size;
            }
        }
        const std::uint64_t needed =
            std::max(held, worst_batch_old_bytes(m_tree, m_plans, m_batch_first, d));
        const std::string root = m_plans[d].root.string();
        const std::string rest =
            " Nothing under a final name is half-written: files placed before are complete, "
            "the files of this batch are as they were (old copies kept, new files not there "
            "yet), and its temporary files were removed.";
        if (needed == 0) {
            return fmt::format(
                ". {} is too small for this copy: no file of the batch waiting there under "
                "a temporary name replaces an older copy, so the batch took no room beyond "
                "the finished copy.{} Free space on {} (or use a larger drive), then run the "
                "same command again.",
                root, rest, root);
        }
        return fmt::format(
            ". {} filled up while a batch of new copies waited there under temporary names: "
            "smk media copy syncs files in batches (up to {} files or {}) before it renames "
            "any, and until then each file it replaces keeps its old copy on the drive, so "
            "this update needs {} more free space on {} than the finished copy takes (rsync "
            "-aW, one file at a time, needs room for the largest one it replaces).{} Free at least "
            "{} on "
            "{} beyond what the copy adds (delete files the drive no longer needs), then run "
            "the same command again.",
            root, kBatchFiles, media_report::human_bytes(static_cast<double>(kBatchBytes)),
            media_report::human_bytes(static_cast<double>(needed)), root, rest,
            media_report::human_bytes(static_cast<double>(needed)), root);
    }

    detail::SourceRead read_into(const fs::path& source, const struct stat& expected,
                                 std::vector<std::unique_ptr<AtomicFile>>& writers) {
        return detail::read_source_file(source, expected, [&](std::span<const std::uint8_t> chunk) {
            // A safe point: unwinding removes this file's temporary copies.
            throw_if_interrupted(kRunAgain);
            for (std::size_t d = 0; d < writers.size(); ++d) {
                if (writers[d]) {
                    at_destination(d, [&] { writers[d]->write(chunk); });
                }
            }
            m_progress.bytes_done += chunk.size();
            notify();
        });
    }

    // Directory metadata, deepest first (writing into a directory changes its mtime),
    // then every directory that changed is fsynced.
    void finish(std::size_t d) {
        const DestPlan& plan = m_plans[d];
        for (std::size_t i = m_tree.entries.size(); i-- > 0;) {
            const SourceEntry& entry = m_tree.entries[i];
            if (entry.kind == Kind::directory) {
                detail::set_metadata_in_place(detail::join(plan.root, entry.rel), entry.st,
                                              m_policies[d]);
                m_dirty[d].insert(detail::join(plan.root, entry.rel));
            }
        }
        for (const fs::path& dir : m_dirty[d]) {
            fsync_directory(dir);
        }
    }

    // Read-backs run on a few threads: each small file costs a device round trip
    // (O_DIRECT has no readahead), and separate drives work in parallel.
    void verify() {
        m_progress = {Phase::verifying, 0, 0, 0, m_written.size(), {}};
        for (const WrittenFile& file : m_written) {
            m_progress.bytes_total += file.size;
        }
        notify();
        std::vector<char> matches(m_written.size(), 0);
        std::atomic<std::size_t> next{0};
        std::mutex lock;
        std::exception_ptr failure;
        const auto worker = [&] {
            try {
                for (std::size_t i = next++; i < m_written.size(); i = next++) {
                    throw_if_interrupted(kRunAgain);
                    const WrittenFile& file = m_written[i];
                    const fs::path path =
                        detail::join(m_report.destinations[file.dest].root, file.rel);
                    matches[i] =
                        read_back_matches(path, file.sha256,
                                          [&](std::size_t bytes) {
                                              const std::lock_guard<std::mutex> guard(lock);
                                              m_progress.bytes_done += bytes;
                                              m_progress.current = file.rel;
                                              notify();
                                          })
                            ? 1
                            : 0;
                    const std::lock_guard<std::mutex> guard(lock);
                    ++m_progress.files_done;
                }
            } catch (...) {
                const std::lock_guard<std::mutex> guard(lock);
                if (!failure) {
                    failure = std::current_exception();
                }
                next = m_written.size();  // the others stop at their next file
            }
        };
        const std::size_t count = std::min(kVerifyThreads, m_written.size());
        std::vector<std::thread> threads;
        for (std::size_t t = 1; t < count; ++t) {
            threads.emplace_back(worker);
        }
        worker();
        for (std::thread& t : threads) {
            t.join();
        }
        if (failure) {
            std::rethrow_exception(failure);
        }
        for (std::size_t i = 0; i < m_written.size(); ++i) {
            DestinationReport& dest = m_report.destinations[m_written[i].dest];
            ++dest.files_verified;
            if (matches[i] == 0) {
                dest.verify_failed.push_back(m_written[i].rel);
            }
        }
        for (std::size_t d = 0; d < m_plans.size(); ++d) {
            verify_links(m_report.destinations[d]);
        }
        notify();
    }

    // Every link of the source, made now or kept from before, as the destination
    // holds it: a symbolic link (not followed) with the source's target.
    void verify_links(DestinationReport& dest) const {
        const media::UniqueFd dirfd(::open(dest.root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        const int open_error = dirfd.valid() ? 0 : errno;
        for (const SourceEntry& entry : m_tree.entries) {
            if (entry.kind != Kind::symlink) {
                continue;
            }
            ++dest.links_verified;
            media::LinkCheck check;
            if (dirfd.valid()) {
                check =
                    media::check_link(dirfd.get(), entry.rel, entry.link_target, "the source has");
            } else {
                check.verdict = media::LinkVerdict::unreadable;
                check.detail =
                    "cannot open " + dest.root.string() + ": " + std::strerror(open_error);
            }
            if (check.verdict != media::LinkVerdict::ok) {
                dest.verify_failed.push_back(entry.rel);
                dest.links_failed.push_back({entry.rel, entry.link_target,
                                             std::move(check.actual_target),
                                             std::move(check.detail)});
            }
        }
    }

    // The file as the drive holds it (see kReadBackMode).
    static bool read_back_matches(const fs::path& path, const Sha256& expected,
                                  const std::function<void(std::size_t)>& on_chunk) {
        media::OpenResult opened =
            media::open_for_reading(AT_FDCWD, path.c_str(), kReadBackMode, false);
        if (!opened.fd.valid()) {
            return false;  // gone or unreadable: the copy is not what was written
        }
        Sha256Stream sha;
        try {
            (void)media::read_all(opened.fd.get(), opened.mode, path.string(),
                                  [&](std::span<const std::uint8_t> chunk) {
                                      sha.update(chunk);
                                      on_chunk(chunk.size());
                                  });
        } catch (const Error& e) {
            if (e.category() != ErrorCategory::io) {
                throw;
            }
            return false;  // a read error on the drive is a failed verification
        }
        return sha.finish() == expected;
    }

    SourceTree m_tree;
    std::vector<DestPlan> m_plans;
    const Options& m_options;
    std::vector<std::set<fs::path>> m_dirty;
    std::vector<detail::MetadataPolicy> m_policies;
    std::vector<WrittenFile> m_written;
    struct Pending {
        std::size_t dest = 0;
        bool replace = false;
        std::uint64_t replaced_size = 0;  // the old copy it replaces, until placed
        std::unique_ptr<AtomicFile> writer;
    };
    std::vector<Pending> m_pending;
    std::uint64_t m_pending_bytes = 0;
    std::size_t m_batch_first = 0;             // the source entry that began the batch
    std::vector<std::uint64_t> m_current_old;  // per destination: the file being written
                                               // replaces an old copy this large
    Progress m_progress;
    Report m_report;
};

}  // namespace

bool Report::verified_ok() const noexcept {
    return std::all_of(destinations.begin(), destinations.end(),
                       [](const DestinationReport& d) { return d.verified_ok(); });
}

Report copy_tree(std::string_view source, const std::vector<std::string>& destinations,
                 const Options& options) {
    if (destinations.empty()) {
        throw Error(ErrorCategory::usage, "no destination given; name at least one directory");
    }
    SourceTree tree = detail::walk_source(source);
    std::vector<fs::path> targets;
    for (const std::string& dst : destinations) {
        if (dst.empty()) {
            throw Error(ErrorCategory::usage, "an empty destination was given");
        }
        targets.push_back(detail::target_root(tree, without_trailing_slash(dst)));
    }
    detail::refuse_overlaps(tree, targets);
    Progress checking;
    checking.files_total = tree.files;
    checking.bytes_total = tree.bytes;
    if (options.progress) {
        options.progress(checking);
    }
    std::vector<DestPlan> plans;
    for (const fs::path& target : targets) {
        plans.push_back(detail::plan_destination(tree, target));
    }
    Engine engine(std::move(tree), std::move(plans), options);
    return engine.run();
}

}  // namespace smk::copy
