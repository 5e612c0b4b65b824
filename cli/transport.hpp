#pragma once
// The "transport" command group (cli/transport.cpp): sealed share transport,
// docs/FORMAT.md section 10 and docs/TRANSPORT.md.
//   smk transport seal --to FILE --context TEXT [--expect-identifier N] [--expect-set A]
//                      [--out FILE] (SHARE_FILE | --reader R [--pin-file F | --pin-fd N]
//                      [--last-try])
// The facility's side (`smk transport open`) comes with the restore integration.
// Exit codes through smk::Error: 2 usage, 3 invalid input (facility key or share
// file), 5 verification (wrong PIN, empty card, a share not the expected one),
// 6 I/O, 7 refused (--out exists), 8 device.

namespace CLI {
class App;
}

namespace smk::cli {

struct Context;

void register_transport(CLI::App& app, Context& ctx);

}  // namespace smk::cli
