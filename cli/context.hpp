#pragma once
// The options of every command, owned by main() and filled in by CLI11. Each
// command group registers its subcommands and a thin callback that reads these
// options and calls the libraries. Nothing here is secret: secrets are never
// taken from argv, only from files, stdin or the terminal.

#include <string>
#include <vector>

#include "pin.hpp"

namespace CLI {
class App;
}

namespace smk::cli {

// Where a passphrase comes from: a file (first line) or a no-echo prompt on
// /dev/tty. Neither given means no passphrase.
struct PassphraseOptions {
    std::string file;
    bool ask = false;
};

// --to-cards / --from-cards: shares go to or come from OpenPGP cards, one card
// at a time (smk/ceremony/card_session.hpp).
struct CardFlowOptions {
    bool enabled = false;
    PinOptions pin;
    bool overwrite = false;          // split: replace a share already on a card
    unsigned timeout_seconds = 600;  // each wait for a card to be inserted or removed
    bool interactive = false;        // prompt and wait even when stdin is not a terminal
};

struct SplitOptions {
    std::string format = "slip39";  // slip39 | raw
    std::string secret_file;        // empty: generate a fresh 32-byte SMK
    std::string secret_format = "hex";
    unsigned group_threshold = 1;
    std::vector<std::string> groups;  // "T/N"; empty: the default 2 x 5-of-7
    unsigned iteration_exponent = 1;
    PassphraseOptions passphrase;
    std::string out_dir;
    bool to_stdout = false;
    bool json = false;
    CardFlowOptions cards;  // --to-cards
};

struct CombineOptions {
    std::string format = "slip39";
    std::vector<std::string> inputs;  // empty or "-": stdin
    std::string out;                  // FILE, or "-" for hex on stdout
    std::string secret_format = "hex";
    std::string expect_kcv;
    PassphraseOptions passphrase;
    bool json = false;
    CardFlowOptions cards;  // --from-cards
};

struct InspectOptions {
    std::string input = "-";
    bool json = false;
};

struct VerifySetOptions {
    std::vector<std::string> inputs;
    std::string expect_kcv;
    unsigned count = 0;  // --count: the set's number of cards (0: not given)
    PassphraseOptions passphrase;
    bool json = false;
};

struct Context {
    SplitOptions split;
    CombineOptions combine;
    InspectOptions inspect;
    VerifySetOptions verify_set;
};

// One per command group (cli/<group>.cpp); main() calls each from its table.
void register_split(CLI::App& app, Context& ctx);
void register_combine(CLI::App& app, Context& ctx);
void register_share(CLI::App& app, Context& ctx);

}  // namespace smk::cli
