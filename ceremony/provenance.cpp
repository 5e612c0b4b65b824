// The running smk's version, source commit and binary SHA-256 (provenance.hpp).

#include "provenance.hpp"

#include "smk/digest.hpp"
#include "smk/source_commit.hpp"  // generated at build time (top CMakeLists.txt)

namespace smk::ceremony {

const Provenance& provenance() {
    // /proc/self/exe is the binary this process runs, even if its file was replaced
    // since; read like sha256sum does (the page cache is the executable's source too).
    static const Provenance value{
        SMK_VERSION, SMK_SOURCE_COMMIT,
        digest_hex(sha256_file("/proc/self/exe", ReadMode::cached).sha256)};
    return value;
}

}  // namespace smk::ceremony
