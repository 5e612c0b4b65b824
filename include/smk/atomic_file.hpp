#pragma once
// Creating files that must never be half-written or overwrite something:
// the data goes to a temporary name in the destination directory (O_EXCL, the
// final mode from the start), is fsynced, then renamed to its final name without
// replacing anything (rename_no_replace below), and the directory is fsynced. If
// anything fails, or the AtomicFile is destroyed before commit(), the temporary
// file is removed.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <span>

namespace smk {

class AtomicFile final {
  public:
    // Throws Error(refused) if final_path exists, Error(io) if the directory is
    // not writable. Secret files use mode 0600 (the default).
    explicit AtomicFile(std::filesystem::path final_path, mode_t mode = 0600);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    void write(std::span<const std::uint8_t> bytes);
    // fsync, rename into place without replacing, fsync the directory.
    void commit();

    [[nodiscard]] const std::filesystem::path& final_path() const noexcept { return m_final; }
    [[nodiscard]] const std::filesystem::path& temp_path() const noexcept { return m_temp; }

  private:
    std::filesystem::path m_final;
    std::filesystem::path m_temp;
    int m_fd = -1;
    bool m_committed = false;
};

// One-shot form of AtomicFile.
void write_new_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                    mode_t mode = 0600);

// Renames `from` to `to` without ever replacing an existing `to`: renameat2
// RENAME_NOREPLACE; link + unlink where the filesystem lacks it; where it has
// neither (exFAT through FUSE), a check that `to` is free, then rename.
// Returns 0, or an errno value (EEXIST when `to` exists).
[[nodiscard]] int rename_no_replace(const std::filesystem::path& from,
                                    const std::filesystem::path& to) noexcept;

// fsync a directory so that a rename or create in it is durable.
void fsync_directory(const std::filesystem::path& dir);

}  // namespace smk
