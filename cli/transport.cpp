// smk transport seal: the holder's side of sealed share transport. Reads the
// holder's share (a share file, or their card with the PIN from a file, a
// descriptor or the no-echo prompt), checks it and seals it to the facility's
// public key (smk/transport.hpp). Prints the facility key's fingerprint in PGP
// words, to be compared aloud with the facility, and the sealed share's words.

#include "transport.hpp"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

#include "io.hpp"
#include "pin.hpp"
#include "smk/card.hpp"
#include "smk/error.hpp"
#include "smk/hex.hpp"
#include "smk/pgp_words.hpp"
#include "smk/qr_code.hpp"
#include "smk/sha256.hpp"
#include "smk/share_report.hpp"
#include "smk/text_file.hpp"
#include "smk/transport.hpp"

namespace smk::cli {
namespace {

constexpr std::size_t kMaxKeyFileBytes = 4096;

struct SealOptions {
    std::string to;
    std::string context;
    std::optional<unsigned> expect_identifier;
    std::string expect_set;
    std::string out;
    std::string qr_png;
    std::string share_file;
    std::string reader;
    PinOptions pin;
};

transport::Expectations expectations(const SealOptions& options) {
    transport::Expectations expect;
    if (options.expect_identifier) {
        if (*options.expect_identifier > 0x7FFF) {
            throw Error(ErrorCategory::usage, "--expect-identifier takes 0 to 32767");
        }
        expect.identifier = static_cast<std::uint16_t>(*options.expect_identifier);
    }
    if (!options.expect_set.empty()) {
        const char letter = options.expect_set[0];
        if (options.expect_set.size() != 1 || letter < 'A' || letter > 'P') {
            throw Error(ErrorCategory::usage, "--expect-set takes a set letter, A to P");
        }
        expect.group = static_cast<unsigned>(letter - 'A');
    }
    return expect;
}

struct HolderShare {
    std::string source;
    Secret mnemonic;
};

HolderShare share_from_file(const std::string& file) {
    auto shares = read_mnemonics({file});
    if (shares.size() != 1) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("{} holds {} mnemonics; a sealed share carries exactly one",
                                input_name(file), shares.size()));
    }
    return {shares[0].source, std::move(shares[0].mnemonic)};
}

HolderShare share_from_card(const SealOptions& options) {
    card::ShareStore store(card::find_reader(options.reader));
    store.refuse_last_try(options.pin.last_try);
    const Secret pin = read_pin(options.pin, store.name());
    store.unlock(pin, options.pin.last_try);
    auto stored = store.read_share();
    if (stored.state == card::StoredState::empty) {
        throw Error(ErrorCategory::verification,
                    fmt::format("{} holds no share ({})", store.name(), store.empty_text()));
    }
    if (!stored.record) {
        throw Error(ErrorCategory::verification, stored.problem);
    }
    return {store.name(), std::move(stored.record->mnemonic)};
}

void run_seal(const SealOptions& options) {
    if (options.share_file.empty() == options.reader.empty()) {
        throw Error(ErrorCategory::usage,
                    "say where the share is: a SHARE_FILE (or - for stdin), or --reader NAME "
                    "for the holder's card");
    }
    // Everything but the share is checked before the share is read.
    transport::check_context(options.context);
    const auto expect = expectations(options);
    const transport::PublicKey to = transport::parse_facility_key_text(
        read_text_file(options.to, "facility key", kMaxKeyFileBytes), options.to);
    if (!options.out.empty()) {
        refuse_existing(options.out);
    }
    if (!options.qr_png.empty()) {
        if (options.qr_png == options.out) {
            throw Error(ErrorCategory::usage, "--qr-png and --out name the same file");
        }
        refuse_existing(options.qr_png);
    }
    const HolderShare share =
        options.reader.empty() ? share_from_file(options.share_file) : share_from_card(options);
    const auto sealed =
        transport::seal_share(share.mnemonic, share.source, to, options.context, expect);
    const std::string text = transport::sealed_share_text(sealed.bytes);
    const std::string summary = fmt::format(
        "sealed {} from {}\n"
        "for the ceremony context \"{}\" ({} words), to the facility key with the fingerprint\n"
        "  {}\n"
        "Read these 8 words aloud to the facility: they must be the words it shows.\n"
        "SHA-256 of the sealed share (the facility's transcript records it): {}\n",
        card::share_text(sealed.info), share.source, options.context,
        sealed.bytes.size() + transport::kTextCheckBytes, pgp_words(transport::key_fingerprint(to)),
        to_hex(sha256_bytes(sealed.bytes)));
    // The QR code holds the same text as the words: a reader (zbarimg) gives back
    // what the facility can paste.
    const std::string qr_line =
        options.qr_png.empty()
            ? std::string()
            : fmt::format("wrote the sealed share's QR code to {}\n", options.qr_png);
    if (!options.qr_png.empty()) {
        transport::write_qr_png(text, options.qr_png);
    }
    if (options.out.empty()) {
        print_err(summary + qr_line);
        print_out(text);
        return;
    }
    AtomicFile file(options.out, 0644);
    file.write({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    file.commit();
    print_out(summary + qr_line + fmt::format("wrote the sealed share to {}\n", options.out));
}

}  // namespace

void register_transport(CLI::App& app, Context& /*ctx*/) {
    auto* group = app.add_subcommand(
        "transport",
        "Sealed share transport: a holder who cannot travel seals their share to "
        "the restoring facility's key");
    group->require_subcommand(1);

    auto seal = std::make_shared<SealOptions>();
    auto* cmd = group->add_subcommand(
        "seal", "Seal your share (a share file or your card) to the facility's public key");
    cmd->add_option("--to", seal->to,
                    "The facility's public key: a file with its words (smk-facility-key-v1) "
                    "or with 64 hex digits")
        ->required();
    cmd->add_option("--context", seal->context,
                    "The ceremony context the facility gave (one line, 1 to 200 bytes)")
        ->required();
    cmd->add_option("--expect-identifier", seal->expect_identifier,
                    "Refuse a share of another identifier");
    cmd->add_option("--expect-set", seal->expect_set, "Refuse a share of another set (A, B, ...)");
    cmd->add_option("--out", seal->out,
                    "Write the sealed share's words to FILE (never replaced) instead of stdout");
    cmd->add_option("--qr-png", seal->qr_png,
                    "Also write the sealed share's words as a QR code to FILE (PNG, never "
                    "replaced), to show on a video call or send");
    auto* file = cmd->add_option("SHARE_FILE", seal->share_file,
                                 "The share: a file with one mnemonic, or - for stdin");
    auto* reader = cmd->add_option("--reader", seal->reader,
                                   "Read the share from the card in this reader (exact name or "
                                   "a unique part)");
    file->excludes(reader);
    add_pin_options(*cmd, seal->pin);
    cmd->callback([seal] { run_seal(*seal); });
}

}  // namespace smk::cli
