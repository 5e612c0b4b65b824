// smk-cardsim: an OpenPGP card 3.4 on pcscd's vpcd virtual reader, for tests
// and ceremony rehearsals (docs/CARDSIM.md). It connects to vpcd, reconnects
// whenever pcscd drops it, and keeps the card's state in one file. For power
// cut drills it can lose its power at the Nth command APDU and exit.
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "card_state.hpp"
#include "openpgp_card.hpp"
#include "profiles.hpp"
#include "smk/error.hpp"
#include "smk/process_hardening.hpp"
#include "smk/random.hpp"
#include "vpcd_link.hpp"

namespace {

volatile std::sig_atomic_t g_stop = 0;

extern "C" void on_signal(int /*signo*/) {
    g_stop = 1;
}

void install_signal_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: a blocked recv() returns so the loop can end
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
}

struct Options {
    std::uint16_t port = 35963;
    std::string host = "127.0.0.1";
    std::string state_file;
    std::string serial;
    std::string profile = "generic";
    bool no_private_dos = false;
    std::uint16_t private_do_size = 255;  // used only when given (--private-do-size)
    bool private_do_size_given = false;
    bool no_verify_reset = false;       // VERIFY P1=FF refused, as on a 2.x card
    bool verify_reset_ignored = false;  // VERIFY P1 not read, as on Gnuk before 1.2
    unsigned put_data_delay_ms = 0;     // a slow EEPROM: fault drills hit a write in flight
    // Power cut drills: the Nth command APDU since start (0: never) is carried
    // out but not answered (after), or not carried out at all (before); then
    // the card is out of the reader and smk-cardsim exits.
    std::uint64_t power_cut_after_apdu = 0;
    std::uint64_t power_cut_before_apdu = 0;
    bool quiet = false;
};

std::string serial_text(const std::array<std::uint8_t, 4>& s) {
    return fmt::format("{:02X}{:02X}{:02X}{:02X}", s[0], s[1], s[2], s[3]);
}

smk::cardsim::CardState load_or_create(const Options& opt,
                                       const smk::cardsim::CardProfile& profile) {
    auto loaded = smk::cardsim::load_state(opt.state_file);
    if (loaded) {
        if (!opt.serial.empty() && smk::cardsim::parse_serial(opt.serial) != loaded->serial) {
            throw smk::Error(
                smk::ErrorCategory::refused,
                fmt::format("state file {} belongs to card {} but --serial {} was given; "
                            "drop --serial or use another state file",
                            opt.state_file, serial_text(loaded->serial), opt.serial));
        }
        return std::move(*loaded);
    }
    std::array<std::uint8_t, 4> serial{};
    if (!opt.serial.empty()) {
        serial = smk::cardsim::parse_serial(opt.serial);
    } else {
        smk::system_random().fill(serial);
    }
    auto state = smk::cardsim::CardState::factory(serial);
    state.pw1_valid_multiple = profile.pw1_valid_multiple;
    smk::cardsim::save_state(opt.state_file, state);
    return state;
}

// The profile's factory configuration with --no-private-dos and
// --private-do-size applied on top.
smk::cardsim::CardConfig card_config(const Options& opt, const smk::cardsim::CardProfile& profile) {
    smk::cardsim::CardConfig config = smk::cardsim::factory_config(profile);
    if (opt.private_do_size_given) {
        if (!profile.c0_layout_v3) {
            // Bytes 7-8 of this card's C0 (OpenPGP 2.x layout) are the maximum
            // command length: there is no private DO size to set.
            throw smk::Error(smk::ErrorCategory::usage,
                             fmt::format("--private-do-size does not apply to --profile {}: that "
                                         "card has no private DOs (its C0 has the OpenPGP 2.x "
                                         "layout); drop --private-do-size or choose another "
                                         "profile",
                                         profile.name));
        }
        config.private_dos = true;
        config.private_do_size = opt.private_do_size;
    }
    if (opt.no_private_dos) {
        config.private_dos = false;
    }
    config.verify_reset = !opt.no_verify_reset;
    config.verify_reset_ignored = opt.verify_reset_ignored;
    return config;
}

void log_line(const Options& opt, const std::string& text) {
    if (!opt.quiet) {
        std::fprintf(stderr, "smk-cardsim[%u]: %s\n", static_cast<unsigned>(opt.port),
                     text.c_str());
    }
}

const char* control_name(smk::cardsim::VpcdControl code) {
    switch (code) {
        case smk::cardsim::VpcdControl::power_off:
            return "power off";
        case smk::cardsim::VpcdControl::power_on:
            return "power on";
        case smk::cardsim::VpcdControl::reset:
            return "reset";
        default:
            return "control";
    }
}

// Whether the command APDU numbered `count` (from 1) meets the power cut
// `at`, and if so logs it as the card's last words.
bool power_cut_at(const Options& opt, std::uint64_t count, std::uint64_t at,
                  std::span<const std::uint8_t> cmd, std::string_view what) {
    if (at == 0 || count != at) {
        return false;
    }
    log_line(opt, fmt::format("{:02X} {:02X} {:02X} {:02X} ({} bytes): power cut at APDU {}: {}, "
                              "no answer; the card is out of the reader",
                              cmd[0], cmd[1], cmd[2], cmd[3], cmd.size() - 4, count, what));
    return true;
}

// Serves the card until a signal, or a power cut (--power-cut-*-apdu): true then.
bool serve(const Options& opt, smk::cardsim::OpenPgpCard& card) {
    smk::cardsim::VpcdLink link;
    std::string last_error;
    std::uint64_t apdus = 0;  // command APDUs received since start, on every connection
    while (g_stop == 0) {
        std::string why;
        if (!link.connect(opt.host, opt.port, why)) {
            if (why != last_error) {
                log_line(opt, fmt::format("vpcd at {}:{} not reachable ({}); retrying", opt.host,
                                          opt.port, why));
                last_error = why;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            continue;
        }
        last_error.clear();
        log_line(opt, fmt::format("card inserted into vpcd at {}:{}", opt.host, opt.port));
        card.power_event();
        while (g_stop == 0) {
            auto message = link.receive();
            if (!message) {
                break;
            }
            if (message->size() == 1) {
                const auto code = static_cast<smk::cardsim::VpcdControl>(message->data()[0]);
                if (code == smk::cardsim::VpcdControl::atr) {
                    const auto atr = card.atr();
                    if (!link.send(atr)) {
                        break;
                    }
                } else {
                    // Logged so a test can tell a reset from the reader (a
                    // host's SCARD_RESET_CARD) from the PIN state a command cleared.
                    log_line(opt,
                             fmt::format("vpcd {}: PIN verification cleared", control_name(code)));
                    card.power_event();  // power on, off or reset
                }
                continue;
            }
            if (message->size() < 4) {
                continue;  // not an APDU; vpcd never sends these
            }
            const auto cmd = message->bytes();
            ++apdus;
            if (power_cut_at(opt, apdus, opt.power_cut_before_apdu, cmd, "not carried out")) {
                link.close();  // vpcd reports the card removed
                return true;
            }
            if (opt.put_data_delay_ms > 0 && cmd[1] == 0xDA) {
                // Logged before the wait, so a drill knows the write is in flight.
                log_line(opt, fmt::format("{:02X} {:02X} {:02X} {:02X} ({} bytes): PUT DATA held "
                                          "for {} ms (--put-data-delay-ms)",
                                          cmd[0], cmd[1], cmd[2], cmd[3], cmd.size() - 4,
                                          opt.put_data_delay_ms));
                std::this_thread::sleep_for(std::chrono::milliseconds(opt.put_data_delay_ms));
            }
            const smk::Secret answer = card.process(cmd);
            if (power_cut_at(opt, apdus, opt.power_cut_after_apdu, cmd,
                             "carried out (its effect saved)")) {
                link.close();
                return true;
            }
            const std::size_t n = answer.size();
            // Header and status only: the data may be a PIN or a share.
            log_line(opt, fmt::format(
                              "{:02X} {:02X} {:02X} {:02X} ({} bytes) -> {:02X}{:02X} ({} bytes)",
                              cmd[0], cmd[1], cmd[2], cmd[3], cmd.size() - 4, answer.data()[n - 2],
                              answer.data()[n - 1], n - 2));
            if (!link.send(answer.bytes())) {
                break;
            }
        }
        link.close();
        card.power_event();
        if (g_stop == 0) {
            log_line(opt, "connection to vpcd lost; reconnecting");
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "smk-cardsim: an OpenPGP card 3.4 emulator on pcscd's vpcd virtual reader (see "
        "docs/CARDSIM.md)"};
    Options opt;
    app.add_option("--port", opt.port,
                   "vpcd TCP port of the reader slot (vpcd: CHANNELID and CHANNELID+1)")
        ->required();
    app.add_option("--state", opt.state_file,
                   "card state file (created as a factory-new card if absent)")
        ->required();
    app.add_option("--serial", opt.serial,
                   "card serial, 8 hex digits (default: random for a new state file)");
    app.add_option("--host", opt.host, "host where vpcd listens")->capture_default_str();
    std::vector<std::string> profile_names;
    for (const auto& profile : smk::cardsim::all_profiles()) {
        profile_names.emplace_back(profile.name);
    }
    app.add_option("--profile", opt.profile,
                   "which real card to answer as (ATR, AID manufacturer, C0, C4, 0103 rule; "
                   "docs/CARDSIM.md)")
        ->check(CLI::IsMember(profile_names))
        ->capture_default_str();
    app.add_flag("--no-private-dos", opt.no_private_dos,
                 "announce no private-use DOs (like Gnuk 1.x); 0101-0104 answer 6A88");
    app.add_option("--private-do-size", opt.private_do_size,
                   "maximum private DO length (C0 bytes 7-8; default: the profile's, 255 for "
                   "generic)")
        ->check(CLI::Range(1, 0x1000));
    app.add_flag("--no-verify-reset", opt.no_verify_reset,
                 "answer VERIFY with P1=FF (reset a PIN's status) with 6A86 and keep the PIN "
                 "verified, as an OpenPGP 2.x card does");
    app.add_flag("--verify-reset-ignored", opt.verify_reset_ignored,
                 "read no P1 in VERIFY, as Gnuk before 1.2: P1=FF without data is a status query "
                 "(9000 while the PIN is verified), and the PIN stays verified");
    app.add_option(
           "--put-data-delay-ms", opt.put_data_delay_ms,
           "hold every PUT DATA this long before executing it (a slow card, for fault drills)")
        ->check(CLI::Range(0U, 60000U))
        ->capture_default_str();
    auto* cut_after =
        app.add_option("--power-cut-after-apdu", opt.power_cut_after_apdu,
                       "power cut drill: carry out the Nth command APDU since start (its effect "
                       "saved, as the card commits it), send no answer, leave the reader and "
                       "exit; start again with the same --state to insert the card again")
            ->check(CLI::PositiveNumber);
    app.add_option("--power-cut-before-apdu", opt.power_cut_before_apdu,
                   "power cut drill: the Nth command APDU since start is lost (not carried out, "
                   "no answer); leave the reader and exit, as --power-cut-after-apdu")
        ->check(CLI::PositiveNumber)
        ->excludes(cut_after);
    app.add_flag("--quiet", opt.quiet, "do not log connections and APDU headers to stderr");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : smk::exit_code(smk::ErrorCategory::usage);
    }
    opt.private_do_size_given = app.count("--private-do-size") > 0;
    try {
        smk::disable_core_dumps();
        if (!opt.serial.empty()) {
            (void)smk::cardsim::parse_serial(opt.serial);
        }
        install_signal_handlers();
        const smk::cardsim::CardProfile* profile = smk::cardsim::find_profile(opt.profile);
        if (profile == nullptr) {  // CLI11 checked the name; this is a programming error
            throw smk::Error(smk::ErrorCategory::internal, "unknown profile " + opt.profile);
        }
        const smk::cardsim::CardConfig config = card_config(opt, *profile);
        smk::cardsim::CardState state = load_or_create(opt, *profile);
        log_line(opt, fmt::format("card {} (state {}, profile {}{})", serial_text(state.serial),
                                  opt.state_file, profile->name,
                                  opt.no_verify_reset ? ", VERIFY P1=FF refused" : ""));
        smk::cardsim::OpenPgpCard card(config, std::move(state), opt.state_file);
        if (serve(opt, card)) {
            log_line(opt, "power cut: stopped; the state file holds what the card committed");
        } else {
            log_line(opt, "stopped");
        }
        return 0;
    } catch (const smk::Error& e) {
        std::fprintf(stderr, "smk-cardsim: %s error: %s\n",
                     std::string(smk::category_name(e.category())).c_str(), e.what());
        return smk::exit_code(e.category());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "smk-cardsim: internal error: %s\n", e.what());
        return smk::exit_code(smk::ErrorCategory::internal);
    }
}
