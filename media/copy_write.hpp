#pragma once
// Internal to the copy engine: putting one file, link or directory's metadata on a
// destination without a partial file ever carrying a final name.

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace smk::copy::detail {

// What of the source's metadata a destination keeps.
struct MetadataPolicy {
    bool owner = false;            // root only: chown to the source's uid/gid
    bool tolerate_errors = false;  // FAT/exFAT: mode and owner cannot be kept
};

// One destination file under a temporary name (".smk-tmp-XXXXXXXXXXXX-NAME", O_EXCL,
// mode 0600) in its final directory. The destructor removes the temporary file unless
// place() succeeded.
class TempFileWriter final {
  public:
    explicit TempFileWriter(std::filesystem::path final_path);
    ~TempFileWriter();
    TempFileWriter(const TempFileWriter&) = delete;
    TempFileWriter& operator=(const TempFileWriter&) = delete;

    // Error(io) naming the final path (a full disk says so).
    void write(std::span<const std::uint8_t> bytes);
    // Sets owner, mode and mtime from `source` and closes the file, without fsync:
    // the engine syncs a batch of sealed files with one syncfs() per destination
    // before placing any of them (one fsync per small file costs a device round trip).
    void seal(const struct stat& source, const MetadataPolicy& policy);
    // Renames the sealed, synced file into place: replacing an older copy when
    // `replace`, never replacing otherwise. The caller makes the rename durable.
    void place(bool replace);

    [[nodiscard]] const std::filesystem::path& final_path() const noexcept { return m_final; }
    [[nodiscard]] std::uint64_t written() const noexcept { return m_written; }

  private:
    std::filesystem::path m_final;
    std::filesystem::path m_temp;
    int m_fd = -1;
    std::uint64_t m_written = 0;
    bool m_committed = false;
};

// syncfs() of the filesystem holding `dir`: every written byte and inode on that
// drive reaches it. Error(io) naming dir (a write-back error shows here).
void sync_filesystem(const std::filesystem::path& dir);

// A temporary name beside final_path that fits NAME_MAX.
[[nodiscard]] std::filesystem::path temp_name_for(const std::filesystem::path& final_path);

// A symbolic link to `target` at `path`: created under a temporary name, then renamed
// over whatever is there (never a directory: the plan refused that).
void place_symlink(const std::filesystem::path& path, const std::string& target,
                   const struct stat& source, const MetadataPolicy& policy);

// A directory at `path` (mode 0700 until set_directory_metadata). Error(io) naming it.
void make_directory(const std::filesystem::path& path);

// Owner, mode and mtime of an existing directory (set after everything in it was
// written) or regular file (kept after its content was verified), in place.
void set_metadata_in_place(const std::filesystem::path& path, const struct stat& source,
                           const MetadataPolicy& policy);

}  // namespace smk::copy::detail
