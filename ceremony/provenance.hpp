#pragma once
// Which smk ran a flow: its version, the source commit it was built from and the
// SHA-256 of the running binary, so that a transcript names the exact tool (the
// auditor compares the binary's SHA-256 with `sha256sum $(command -v smk)` and the
// commit with the source). The journal puts them in each flow's first line.

#include <string>

namespace smk::ceremony {

struct Provenance {
    std::string version;        // "0.1.0"
    std::string commit;         // git commit, "+dirty" when built from a changed tree
    std::string binary_sha256;  // of /proc/self/exe, lower-case hex
};

// Computed once per process (the binary does not change while it runs).
// Error(io) if the running binary cannot be read.
[[nodiscard]] const Provenance& provenance();

}  // namespace smk::ceremony
