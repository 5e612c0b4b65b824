// The Journal of a ceremony flow: the transcript writer plus the operator's text.

#include <fmt/core.h>

#include "ceremony_flows.hpp"
#include "io.hpp"
#include "smk/digest.hpp"

namespace smk::cli {

Journal::Journal(const ceremony::Plan& plan, const CeremonyOptions& options, std::string flow)
    : m_flow(std::move(flow)),
      m_path(options.transcript.empty() ? plan.transcript
                                        : std::filesystem::path(options.transcript)) {
    if (!options.dry_run) {
        m_writer = std::make_unique<transcript::Writer>(m_path);
    }
}

void Journal::record(std::string step, transcript::Fields items, transcript::Fields results,
                     transcript::Fields digests) {
    if (m_writer) {
        m_writer->append(
            {m_flow, std::move(step), std::move(items), std::move(results), std::move(digests)});
    }
}

void Journal::say(std::string_view text) const {
    print_err(text);
}

void Journal::result(std::string_view line) const {
    print_out(line);
    print_out("\n");
}

std::string Journal::path() const {
    return m_path.string();
}

std::string sha256_text_hex(std::string_view text) {
    return digest_hex(sha256_text(text));
}

CardSessionOptions card_session_options(const ceremony::Plan& plan,
                                        const CeremonyOptions& options) {
    CardSessionOptions session;
    session.pin = options.card_pin;
    if (session.pin.file.empty() && session.pin.fd < 0 && !plan.card_pin_file.empty()) {
        session.pin.file = plan.card_pin_file.string();
    }
    session.timeout = std::chrono::seconds(options.card_timeout_s);
    session.mode = options.batch         ? CardMode::batch
                   : options.interactive ? CardMode::interactive
                                         : CardMode::automatic;
    return session;
}

}  // namespace smk::cli
