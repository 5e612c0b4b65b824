#pragma once
// The "card" command group: shares on OpenPGP smartcards (private DO 0103) or
// PKCS#11 tokens (a data object); cli/card.cpp, cli/card_list.cpp for `card list`,
// cli/card_attest.cpp for the authentication key, cli/card_pin.cpp for the PINs.
//   smk card list [--reader R [--pin-file F | --pin-fd N] [--last-try]] [--json]
//                 (a PIN goes only to the card named; with --pkcs11-module, --token)
//   smk card write  --reader R (--pin-file F | --pin-fd N) [--overwrite] [--last-try]
//                   [SHAREFILE | -]
//   smk card read   --reader R (--pin-file F | --pin-fd N) [--last-try] --out FILE|-
//   smk card verify --reader R (--pin-file F | --pin-fd N) [--last-try]
//                   [--expect-identifier N] [--expect-set A] [--expect-index I] [--json]
//   smk card wipe   --reader R (--pin-file F | --pin-fd N) [--last-try] [--yes]
//   smk card change-pin --reader R [--admin] [--pin-file F | --pin-fd N]
//                   [--new-pin-file F | --new-pin-fd N] [--last-try] [--json]
//                   (OpenPGP cards only; without a new-PIN option it is typed twice)
// Instead of --reader R (write, read, verify, wipe): --pkcs11-module SO --token LABEL.
// Without --pin-file/--pin-fd the PIN is asked on /dev/tty without echo.
// Exit codes through smk::Error: 2 usage, 3 invalid input (also a new PIN
// breaking the rules), 5 verification (wrong PIN, read-back, expectations, empty
// or garbled DO), 7 refused, 8 device.

#include <optional>
#include <string>

#include "pin.hpp"

namespace CLI {
class App;
}

namespace smk::cli {

struct Context;

// Adds the "card" subcommand. Each command's options are owned by its callback.
void register_card(CLI::App& app, Context& ctx);

// The options of one card command.
struct CardCommand {
    std::string reader;
    std::string pkcs11_module;
    std::string token;
    PinOptions pin;
    bool json = false;
    bool overwrite = false;
    bool yes = false;
    std::string share_file = "-";
    std::string out;
    std::optional<unsigned> expect_identifier;
    std::string expect_set;
    std::optional<unsigned> expect_index;
};

// `card list` (cli/card_list.cpp).
void run_card_list(const CardCommand& options);

// `card keygen`, `card public-key` and `card attest` under `group` (cli/card_attest.cpp):
//   smk card keygen --reader R [--admin-pin-file F | --admin-pin-fd N] [--last-try]
//                   [--overwrite-key] --public-key-out FILE|- [--json]
//   smk card public-key --reader R --out FILE|-
//   smk card attest --reader R (--pin-file F | --pin-fd N) [--last-try] --public-key PEM
//                   [--context TEXT] [--challenge HEX64]
//                   [--message-out FILE --signature-out FILE] [--json]
void register_card_keys(CLI::App& group);

// `card change-pin` under `group` (cli/card_pin.cpp).
void register_card_pin(CLI::App& group);

}  // namespace smk::cli
