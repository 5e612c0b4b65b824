#pragma once
// The one writer of files that must never be half-written under their final name:
// the data goes to a temporary name in the destination directory (O_EXCL), is
// made durable, then renamed to its final name and the directory is fsynced. If
// anything fails, or the AtomicFile is destroyed before it was placed, the
// temporary file is removed.
//
// One file on its own: commit() (fsync, rename never replacing, fsync the
// directory). Many files (the copy engine): close_unsynced() each, make the batch
// durable with one syncfs() per drive, then place() each and fsync the directories
// (one fsync per small file costs a device round trip).

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <span>

namespace smk {

class AtomicFile final {
  public:
    enum class Existing {
        refuse,       // Error(refused) at once if final_path exists (smk's own files)
        may_replace,  // place(true) may replace it (the copy engine's updates)
    };

    // The temporary file has `mode` from the start (secret files: 0600, the
    // default). Error(refused) if final_path exists (Existing::refuse), Error(io)
    // naming final_path if the directory is not writable.
    explicit AtomicFile(std::filesystem::path final_path, mode_t mode = 0600,
                        Existing existing = Existing::refuse);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    // Error(io) naming the final path; a full disk says so.
    void write(std::span<const std::uint8_t> bytes);
    // fsync, close, rename into place without replacing, fsync the directory.
    void commit();

    // Batched: close without fsync (set metadata through fd() first). The caller
    // makes the data durable (e.g. syncfs) before place().
    void close_unsynced();
    // Renames the closed, synced file into place: replacing an existing file when
    // `replace` (only with Existing::may_replace), never replacing otherwise
    // (Error(refused) if the name appeared meanwhile). The caller fsyncs the directory.
    void place(bool replace);

    [[nodiscard]] int fd() const noexcept { return m_fd; }  // -1 once closed
    [[nodiscard]] std::uint64_t written() const noexcept { return m_written; }
    [[nodiscard]] const std::filesystem::path& final_path() const noexcept { return m_final; }
    [[nodiscard]] const std::filesystem::path& temp_path() const noexcept { return m_temp; }

  private:
    void close_fd();

    std::filesystem::path m_final;
    std::filesystem::path m_temp;
    int m_fd = -1;
    std::uint64_t m_written = 0;
    bool m_may_replace = false;
    bool m_placed = false;
};

// Error(refused) if `path` exists (without following a final symlink): smk
// never overwrites a file of its own.
void refuse_existing(const std::filesystem::path& path);

// One-shot form of AtomicFile.
void write_new_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                    mode_t mode = 0600);

// Writes all of `bytes` to `fd`, resuming after short writes and EINTR. Returns 0,
// or the errno value of the write that failed.
[[nodiscard]] int write_all_to_fd(int fd, std::span<const std::uint8_t> bytes) noexcept;

// A fresh temporary name beside final_path that fits NAME_MAX:
// ".smk-tmp-XXXXXXXXXXXX-NAME" (12 random hex digits, NAME cut to 200 bytes).
[[nodiscard]] std::filesystem::path temp_name_beside(const std::filesystem::path& final_path);

// Renames `from` to `to` without ever replacing an existing `to`: renameat2
// RENAME_NOREPLACE; link + unlink where the filesystem lacks it; where it has
// neither (exFAT through FUSE), a check that `to` is free, then rename.
// Returns 0, or an errno value (EEXIST when `to` exists).
[[nodiscard]] int rename_no_replace(const std::filesystem::path& from,
                                    const std::filesystem::path& to) noexcept;

// fsync a directory so that a rename or create in it is durable.
void fsync_directory(const std::filesystem::path& dir);

}  // namespace smk
