// The journal of a ceremony flow: the transcript writer plus the operator's text.

#include "smk/ceremony/journal.hpp"

#include <fmt/core.h>

#include <utility>

#include "smk/ceremony/provenance.hpp"
#include "smk/digest.hpp"
#include "smk/hex.hpp"

namespace smk::ceremony {

Journal::Journal(std::filesystem::path transcript, bool dry_run, std::string flow, Output& output)
    : m_flow(std::move(flow)), m_path(std::move(transcript)), m_output(output) {
    if (!dry_run) {
        m_writer = std::make_unique<transcript::Writer>(m_path);
    }
}

void Journal::record(std::string step, transcript::Fields items, transcript::Fields results,
                     transcript::Fields digests) {
    if (m_writer && !m_started) {
        // The flow's first line names the tool that ran it.
        const Provenance& tool = provenance();
        results.emplace_back("smk_version", tool.version);
        results.emplace_back("smk_commit", tool.commit);
        digests.emplace_back("smk_binary", tool.binary_sha256);
        m_started = true;
    }
    if (m_writer) {
        m_writer->append(
            {m_flow, std::move(step), std::move(items), std::move(results), std::move(digests)});
    }
}

void Journal::finish(transcript::Fields items, transcript::Fields digests) {
    record("done", std::move(items), {{"result", "ok"}}, std::move(digests));
    print_paper_value();
}

void Journal::print_paper_value() const {
    if (!m_writer) {
        return;
    }
    Sha256 last{};
    (void)decode_public_hex(m_writer->last_hash(), last);
    result(
        fmt::format("transcript {} ends at line {}; write on the paper script the SHA-256 of "
                    "that line:",
                    m_path.string(), m_writer->lines()));
    result("  " + m_writer->last_hash());
    result("  PGP words: " + pgp_words(last));
}

void Journal::say(std::string_view text) const {
    m_output.say(text);
}

void Journal::result(std::string_view line) const {
    m_output.result(line);
}

std::string Journal::path() const {
    return m_path.string();
}

std::filesystem::path transcript_path(const Plan& plan, std::string_view given) {
    return given.empty() ? plan.transcript : std::filesystem::path(given);
}

}  // namespace smk::ceremony
