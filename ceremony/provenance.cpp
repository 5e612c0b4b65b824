// The running smk's version, source commit and binary SHA-256 (smk/ceremony/provenance.hpp).

#include "smk/ceremony/provenance.hpp"

#include "smk/digest.hpp"
#include "smk/source_commit.hpp"  // generated at build time (top CMakeLists.txt)

namespace smk::ceremony {

const Provenance& provenance() {
    // /proc/self/exe is the binary this process runs, even if its file was replaced
    // since; read like sha256sum does (the page cache is the executable's source too).
    static const Provenance value = [] {
        Provenance p{SMK_VERSION,
                     SMK_SOURCE_COMMIT,
                     sha256_file("/proc/self/exe", ReadMode::cached).sha256,
                     {}};
        p.binary_sha256 = digest_hex(p.binary_digest);
        return p;
    }();
    return value;
}

}  // namespace smk::ceremony
