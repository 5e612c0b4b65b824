#pragma once
// The "media" command group: manifests and digests for backup drives.
//   smk media manifest DIR [--out F] [--json]
//   smk media verify DIR [--manifest F]... [--strict] [--json]
//   smk media digest FILE [--json]
// Exit codes through smk::Error: 5 a file FAILED or is MISSING (or, with --strict,
// an extra file), 3 a malformed manifest, 6 I/O, 7 the --out file exists.

namespace CLI {
class App;
}

namespace smk::cli {

struct Context;

// Adds the "media" subcommand to app. Options live in the callbacks that use them,
// so the group needs nothing from Context; the second form fits main()'s table.
void register_media(CLI::App& app);
void register_media(CLI::App& app, Context& ctx);

}  // namespace smk::cli
