// smk card list | write | read | verify | wipe: one SLIP-39 share per OpenPGP card.
// Thin callbacks over smk/card.hpp; the PIN comes from a file, an inherited fd
// or a no-echo prompt on /dev/tty, never from argv, and lives in a Secret.

#include "card.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "context.hpp"
#include "io.hpp"
#include "smk/card.hpp"
#include "smk/error.hpp"
#include "smk/share_record.hpp"

namespace smk::cli {
namespace {

constexpr std::size_t kMaxPinBytes = 256;

struct PinOptions {
    std::string file;
    int fd = -1;
    bool last_try = false;
};

struct CardCommand {
    std::string reader;
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

// Owns /dev/tty for a prompt; restores its settings.
class Tty final {
public:
    explicit Tty(std::string_view why) {
        m_fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (m_fd < 0 || ::tcgetattr(m_fd, &m_saved) != 0) {
            if (m_fd >= 0) {
                ::close(m_fd);
            }
            throw Error(ErrorCategory::usage, fmt::format("{} needs a terminal (/dev/tty) and "
                                                          "there is none",
                                                          why));
        }
    }
    ~Tty() {
        ::tcsetattr(m_fd, TCSAFLUSH, &m_saved);
        ::close(m_fd);
    }
    Tty(const Tty&) = delete;
    Tty& operator=(const Tty&) = delete;

    // One line typed after `prompt`, echo off unless `echo`.
    [[nodiscard]] Secret read_line(std::string_view prompt, bool echo) {
        termios mode = m_saved;
        if (!echo) {
            mode.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        }
        mode.c_lflag |= static_cast<tcflag_t>(ICANON);
        ::tcsetattr(m_fd, TCSAFLUSH, &mode);
        write_all(m_fd, prompt);
        Secret line(kMaxPinBytes);
        std::size_t length = 0;
        while (length < line.size()) {
            const ssize_t n = ::read(m_fd, line.data() + length, 1);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0 || line.data()[length] == '\n') {
                break;
            }
            ++length;
        }
        ::tcsetattr(m_fd, TCSANOW, &m_saved);
        if (!echo) {
            write_all(m_fd, "\n");
        }
        line.truncate(length);
        return line;
    }

private:
    int m_fd = -1;
    termios m_saved{};
};

// The first line of `content`, without its terminator.
Secret first_line(Secret content) {
    const std::string_view text = content.text();
    std::size_t end = std::min(text.find('\n'), text.size());
    if (end > 0 && text[end - 1] == '\r') {
        --end;
    }
    content.truncate(end);
    return content;
}

Secret read_pin(const PinOptions& options, const card::ShareStore& store) {
    if (!options.file.empty()) {
        return first_line(read_input(options.file, kMaxPinBytes));
    }
    if (options.fd >= 0) {
        if (::fcntl(options.fd, F_GETFD) < 0) {
            throw Error(ErrorCategory::usage,
                        fmt::format("--pin-fd {}: no such open file descriptor", options.fd));
        }
        return first_line(read_input(fmt::format("/dev/fd/{}", options.fd), kMaxPinBytes));
    }
    Tty tty("asking for the PIN (no --pin-file or --pin-fd given)");
    return tty.read_line(fmt::format("User PIN (PW1) of {}: ", store.label()), false);
}

bool pin_given(const PinOptions& options) noexcept {
    return !options.file.empty() || options.fd >= 0;
}

void add_pin_options(CLI::App& cmd, PinOptions& options) {
    auto* file = cmd.add_option("--pin-file", options.file,
                                "User PIN (PW1): the first line of FILE (never on the command line)");
    auto* fd = cmd.add_option("--pin-fd", options.fd,
                              "User PIN (PW1): the first line read from inherited file descriptor N");
    file->excludes(fd);
    fd->excludes(file);
    cmd.add_flag("--last-try", options.last_try,
                 "Allow VERIFY even when only one PIN try is left (a wrong PIN then blocks it)");
}

void add_reader_option(CLI::App& cmd, CardCommand& options) {
    cmd.add_option("--reader", options.reader, "Reader: the exact name or a unique part of it")
        ->required();
}

// Opens the card, checks the PIN once, and returns the store (in its transaction).
card::ShareStore open_verified(const CardCommand& options) {
    card::ShareStore store(card::find_reader(options.reader));
    const Secret pin = read_pin(options.pin, store);
    store.verify_pin(pin, options.pin.last_try);
    return store;
}

nlohmann::json share_fields(const slip39::ShareInfo& info, unsigned words) {
    return {{"identifier", info.identifier}, {"set", set_letter(info.group_index)},
            {"index", info.member_index + 1}, {"threshold", info.member_threshold},
            {"group_threshold", info.group_threshold}, {"group_count", info.group_count},
            {"value_bytes", info.value_bytes}, {"words", words}};
}

std::string share_text(const slip39::ShareInfo& info) {
    return fmt::format("{} #{} (identifier {}, {} shares of the set needed)",
                       slip39::group_name(info.group_index), info.member_index + 1,
                       info.identifier, info.member_threshold);
}

std::string_view state_name(card::StoredState state) {
    switch (state) {
        case card::StoredState::empty: return "empty";
        case card::StoredState::valid: return "valid";
        case card::StoredState::garbage: return "garbage";
    }
    return "unknown";
}

// One reader for `card list`: never throws for a card problem, records it.
nlohmann::json list_one(const card::ReaderInfo& reader, const CardCommand& options,
                        std::string& text) {
    nlohmann::json entry = {{"reader", reader.name}, {"card_present", reader.card_present}};
    text += fmt::format("reader \"{}\": ", reader.name);
    if (!reader.card_present) {
        text += "no card\n";
        return entry;
    }
    try {
        card::ShareStore store(reader.name);
        const auto tries = store.tries();
        entry["card"] = store.serial();
        entry["pin_tries"] = {{"user", tries.user}, {"reset_code", tries.reset_code},
                              {"admin", tries.admin}};
        entry["private_do_bytes"] = store.capacity();
        text += fmt::format("card {}, user PIN tries left {}, admin PIN tries left {}, ",
                            store.serial(), tries.user, tries.admin);
        if (store.capacity() == 0) {
            entry["share"] = {{"state", "unsupported"}, {"note", "no private DOs"}};
            text += "share: none possible (no private DOs; use a PKCS#11 token)\n";
            return entry;
        }
        if (!pin_given(options.pin)) {
            entry["share"] = {{"state", "unknown"}, {"note", "PIN needed to read"}};
            text += "share: PIN needed to read\n";
            return entry;
        }
        const Secret pin = read_pin(options.pin, store);
        store.verify_pin(pin, options.pin.last_try);
        const auto stored = store.read_share();
        entry["share"] = {{"state", state_name(stored.state)}};
        if (stored.record) {
            entry["share"].update(share_fields(stored.record->info, stored.record->word_count));
            text += fmt::format("share: {}\n", share_text(stored.record->info));
        } else if (stored.state == card::StoredState::empty) {
            text += "share: none (DO 0103 is empty)\n";
        } else {
            entry["share"]["problem"] = stored.problem;
            text += fmt::format("share: NOT VALID ({})\n", stored.problem);
        }
    } catch (const Error& error) {
        entry["error"] = error.what();
        text += fmt::format("{}\n", error.what());
    }
    return entry;
}

void run_list(const CardCommand& options) {
    const auto readers = card::list_readers();
    if (readers.empty()) {
        throw Error(ErrorCategory::device,
                    "no smartcard reader found; connect a reader and try again");
    }
    nlohmann::json entries = nlohmann::json::array();
    std::string text;
    for (const auto& reader : readers) {
        entries.push_back(list_one(reader, options, text));
    }
    print_out(options.json ? entries.dump(2) + "\n" : text);
}

void run_write(const CardCommand& options) {
    // Everything about the share is checked before the card is touched.
    const auto shares = read_mnemonics({options.share_file});
    if (shares.size() != 1) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("{} holds {} mnemonics; a card holds exactly one share",
                                input_name(options.share_file), shares.size()));
    }
    const Secret record = card::encode_share_record(shares[0].mnemonic.text(), shares[0].source);
    const auto decoded = card::decode_share_record(record.bytes(), shares[0].source);
    card::ShareStore store(card::find_reader(options.reader));
    store.require_capacity(record.size());
    const Secret pin = read_pin(options.pin, store);
    store.verify_pin(pin, options.pin.last_try);
    store.write_record(record.bytes(), options.overwrite);
    print_out(fmt::format("wrote {} to {} and read it back: OK\n", share_text(decoded.info),
                          store.label()));
}

void run_read(const CardCommand& options) {
    if (options.out != "-") {
        refuse_existing(options.out);
    }
    card::ShareStore store = open_verified(options);
    const auto stored = store.read_share();
    if (stored.state == card::StoredState::empty) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} holds no share (DO 0103 is empty)", store.label()));
    }
    if (!stored.record) {
        throw Error(ErrorCategory::verification, stored.problem);
    }
    const auto newline = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>("\n"), 1);
    if (options.out == "-") {
        write_all(1, stored.record->mnemonic.bytes());
        write_all(1, newline);
        return;
    }
    write_new_secret_file(options.out, {stored.record->mnemonic.bytes(), newline});
    print_err(fmt::format("smk: wrote {} from {} to {} (mode 0600)\n",
                          share_text(stored.record->info), store.label(), options.out));
}

std::vector<std::string> unmet_expectations(const CardCommand& options,
                                            const slip39::ShareInfo& info) {
    std::vector<std::string> unmet;
    if (options.expect_identifier && *options.expect_identifier != info.identifier) {
        unmet.push_back(fmt::format("identifier is {}, expected {}", info.identifier,
                                    *options.expect_identifier));
    }
    if (!options.expect_set.empty() && options.expect_set != set_letter(info.group_index)) {
        unmet.push_back(fmt::format("set is {}, expected {}", set_letter(info.group_index),
                                    options.expect_set));
    }
    if (options.expect_index && *options.expect_index != info.member_index + 1) {
        unmet.push_back(fmt::format("index is {}, expected {}", info.member_index + 1,
                                    *options.expect_index));
    }
    return unmet;
}

void run_verify(const CardCommand& options) {
    if (!options.expect_set.empty() &&
        (options.expect_set.size() != 1 || options.expect_set[0] < 'A' || options.expect_set[0] > 'P')) {
        throw Error(ErrorCategory::usage, "--expect-set takes a set letter, A to P");
    }
    card::ShareStore store = open_verified(options);
    const auto stored = store.read_share();
    nlohmann::json json = {{"card", store.serial()}, {"reader", store.label()},
                           {"state", state_name(stored.state)}, {"bytes", stored.bytes}};
    std::string failure;
    std::string text;
    if (stored.state == card::StoredState::empty) {
        failure = fmt::format("{} holds no share: DO 0103 is empty", store.label());
        text = fmt::format("{}: EMPTY (DO 0103 holds nothing)\n", store.label());
    } else if (!stored.record) {
        failure = stored.problem;
        json["problem"] = stored.problem;
        text = fmt::format("{}: GARBAGE ({} bytes that are not a valid share record)\n",
                           store.label(), stored.bytes);
    } else {
        json.update(share_fields(stored.record->info, stored.record->word_count));
        json["record_check"] = "ok";
        json["slip39_checksum"] = "ok";
        const auto unmet = unmet_expectations(options, stored.record->info);
        json["expectations_met"] = unmet.empty();
        text = fmt::format("{}: VALID share record: {}; record check OK, SLIP-39 checksum OK\n",
                           store.label(), share_text(stored.record->info));
        if (!unmet.empty()) {
            std::string all;
            for (const auto& one : unmet) {
                all += (all.empty() ? "" : "; ") + one;
            }
            json["unmet"] = unmet;
            failure = fmt::format("the share on {} is not the one expected: {}", store.label(), all);
            text += fmt::format("NOT AS EXPECTED: {}\n", all);
        }
    }
    print_out(options.json ? json.dump(2) + "\n" : text);
    if (!failure.empty()) {
        throw Error(ErrorCategory::verification, failure);
    }
}

void run_wipe(const CardCommand& options) {
    const std::string reader = card::find_reader(options.reader);
    if (!options.yes) {
        Tty tty("confirming the wipe (or give --yes)");
        const Secret answer = tty.read_line(
            fmt::format("Erase the share on the card in \"{}\"? Type 'wipe' to confirm: ", reader),
            true);
        if (answer.text() != "wipe") {
            throw Error(ErrorCategory::refused, "not confirmed; the card was not changed");
        }
    }
    card::ShareStore store(reader);
    const Secret pin = read_pin(options.pin, store);
    store.verify_pin(pin, options.pin.last_try);
    store.wipe();
    print_out(fmt::format("wiped DO 0103 of {}; it reads back empty\n", store.label()));
}

}  // namespace

void register_card(CLI::App& app, Context& /*ctx*/) {
    auto* group = app.add_subcommand("card", "Shares on OpenPGP smartcards (private DO 0103)");
    group->require_subcommand(1);

    auto list = std::make_shared<CardCommand>();
    auto* list_cmd = group->add_subcommand(
        "list", "Readers, cards, PIN tries; with a PIN, the public fields of each card's share");
    add_pin_options(*list_cmd, list->pin);
    list_cmd->add_flag("--json", list->json, "Print JSON");
    list_cmd->callback([list] { run_list(*list); });

    auto write = std::make_shared<CardCommand>();
    auto* write_cmd = group->add_subcommand("write", "Write one share (a mnemonic file) to a card");
    add_reader_option(*write_cmd, *write);
    add_pin_options(*write_cmd, write->pin);
    write_cmd->add_flag("--overwrite", write->overwrite, "Replace data already on the card");
    write_cmd->add_option("SHAREFILE", write->share_file, "File holding one mnemonic ('-': stdin)");
    write_cmd->callback([write] { run_write(*write); });

    auto read = std::make_shared<CardCommand>();
    auto* read_cmd = group->add_subcommand("read", "Read the share (mnemonic) from a card");
    add_reader_option(*read_cmd, *read);
    add_pin_options(*read_cmd, read->pin);
    read_cmd->add_option("--out", read->out, "New file (mode 0600), or '-' for stdout")->required();
    read_cmd->callback([read] { run_read(*read); });

    auto verify = std::make_shared<CardCommand>();
    auto* verify_cmd = group->add_subcommand(
        "verify", "Check the share on a card (record check, SLIP-39 checksum); prints no secret");
    add_reader_option(*verify_cmd, *verify);
    add_pin_options(*verify_cmd, verify->pin);
    verify_cmd->add_option("--expect-identifier", verify->expect_identifier, "Expected identifier");
    verify_cmd->add_option("--expect-set", verify->expect_set, "Expected set letter (A, B, ...)");
    verify_cmd->add_option("--expect-index", verify->expect_index, "Expected share index (1-based)");
    verify_cmd->add_flag("--json", verify->json, "Print JSON");
    verify_cmd->callback([verify] { run_verify(*verify); });

    auto wipe = std::make_shared<CardCommand>();
    auto* wipe_cmd = group->add_subcommand("wipe", "Erase the share on a card");
    add_reader_option(*wipe_cmd, *wipe);
    add_pin_options(*wipe_cmd, wipe->pin);
    wipe_cmd->add_flag("--yes", wipe->yes, "Do not ask for confirmation");
    wipe_cmd->callback([wipe] { run_wipe(*wipe); });
}

}  // namespace smk::cli
