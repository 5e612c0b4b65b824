#include "smk/digest.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cstring>

#include "file_hash.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"

namespace smk {

FileDigest sha256_file(const std::filesystem::path& file, ReadMode mode) {
    media::OpenResult opened = media::open_for_reading(AT_FDCWD, file.c_str(), mode, false);
    if (!opened.fd.valid()) {
        throw Error(ErrorCategory::io,
                    "cannot open " + file.string() + ": " + std::strerror(opened.error));
    }
    struct stat st {};
    if (::fstat(opened.fd.get(), &st) != 0) {
        throw Error(ErrorCategory::io,
                    "cannot stat " + file.string() + ": " + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        throw Error(ErrorCategory::invalid_input,
                    file.string() + " is not a regular file; smk hashes regular files only");
    }
    return media::hash_open_file(opened.fd.get(), opened.mode, file.string());
}

FileDigest sha256_file_as_written(const std::filesystem::path& file, std::string_view written_hex) {
    FileDigest on_device = sha256_file(file, ReadMode::direct);
    if (digest_hex(on_device.sha256) != written_hex) {
        throw Error(ErrorCategory::verification,
                    file.string() + " read back from the device has SHA-256 " +
                        digest_hex(on_device.sha256) + ", not the " + std::string(written_hex) +
                        " written: do not use it; check the drive and write it again");
    }
    return on_device;
}

std::string digest_hex(const Sha256& digest) {
    return to_hex(digest);
}

std::string digest_colon_hex(const Sha256& digest) {
    const std::string hex = to_hex(digest);
    std::string out;
    out.reserve(digest.size() * 3);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        if (i != 0) {
            out.push_back(':');
        }
        out.append(hex, i, 2);
    }
    return out;
}

std::string openssl_dgst_line(const Sha256& digest, std::string_view name) {
    std::string line = "SHA2-256(";
    line.append(name);
    line.append(")= ");
    line.append(digest_colon_hex(digest));
    return line;
}

}  // namespace smk
