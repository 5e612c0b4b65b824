#pragma once
// Process-wide protections for a program that holds key material.

namespace smk {

// Disable core dumps (RLIMIT_CORE 0) and ptrace/dump (PR_SET_DUMPABLE 0).
// Throws Error(internal) if either cannot be set: the program must not run on.
void disable_core_dumps();

// True when both protections are in force in this process (for tests and --version).
[[nodiscard]] bool core_dumps_disabled() noexcept;

}  // namespace smk
