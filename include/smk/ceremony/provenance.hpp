#pragma once
// Which smk ran a flow: its version, the source commit it was built from and the
// SHA-256 of the running binary, so that a transcript names the exact tool (the
// auditor compares the binary's SHA-256 with `sha256sum $(command -v smk)` and the
// commit with the source). The journal puts them in each flow's first line;
// `smk version` prints them.

#include <string>

#include "smk/sha256.hpp"

namespace smk::ceremony {

struct Provenance {
    std::string version;        // "0.1.0"
    std::string commit;         // git commit, "+dirty" when built from a changed tree
    Sha256 binary_digest{};     // of /proc/self/exe
    std::string binary_sha256;  // the same, lower-case hex
};

// Computed once per process (the binary does not change while it runs).
// Error(io) if the running binary cannot be read.
[[nodiscard]] const Provenance& provenance();

}  // namespace smk::ceremony
