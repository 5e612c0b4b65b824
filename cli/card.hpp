#pragma once
// The "card" command group: shares on OpenPGP smartcards (private DO 0103).
//   smk card list [--pin-file F | --pin-fd N] [--last-try] [--json]
//   smk card write  --reader R (--pin-file F | --pin-fd N) [--overwrite] [--last-try] [SHAREFILE |
//   -] smk card read   --reader R (--pin-file F | --pin-fd N) [--last-try] --out FILE|- smk card
//   verify --reader R (--pin-file F | --pin-fd N) [--last-try]
//                   [--expect-identifier N] [--expect-set A] [--expect-index I] [--json]
//   smk card wipe   --reader R (--pin-file F | --pin-fd N) [--last-try] [--yes]
// Without --pin-file/--pin-fd the PIN is asked on /dev/tty without echo.
// Exit codes through smk::Error: 2 usage, 3 invalid input, 5 verification (wrong
// PIN, read-back, expectations, empty or garbled DO), 7 refused, 8 device.

namespace CLI {
class App;
}

namespace smk::cli {

struct Context;

// Adds the "card" subcommand. Each command's options are owned by its callback.
void register_card(CLI::App& app, Context& ctx);

}  // namespace smk::cli
