// The report of `smk media copy`: text, JSON, the read-back failure and the
// terminal progress line (include/smk/copy_report.hpp).

#include "smk/copy_report.hpp"

#include <fmt/core.h>

#include <nlohmann/json.hpp>
#include <string>

#include "report_text.hpp"
#include "smk/error.hpp"

namespace smk::copy {

using media_report::human_bytes;
using media_report::one_line;

std::string report_json(const Report& report, bool delete_extras) {
    nlohmann::json dests = nlohmann::json::array();
    for (const DestinationReport& d : report.destinations) {
        nlohmann::json links_failed = nlohmann::json::array();
        for (const LinkMismatch& l : d.links_failed) {
            links_failed.push_back({{"name", l.name},
                                    {"expected_target", l.expected_target},
                                    {"actual_target", l.actual_target},
                                    {"detail", l.detail}});
        }
        dests.push_back({{"path", d.root.string()},
                         {"files_copied", d.copied},
                         {"files_updated", d.updated},
                         {"unchanged_verified", d.unchanged_verified},
                         {"rewritten", d.rewritten},
                         {"symlinks", d.symlinks},
                         {"directories_created", d.directories},
                         {"extra", d.extra},
                         {"deleted", d.deleted},
                         {"leftovers_removed", d.leftovers_removed},
                         {"bytes_written", d.bytes_written},
                         {"files_verified", d.files_verified},
                         {"links_verified", d.links_verified},
                         {"verified", d.verified_ok() ? "OK" : "FAILED"},
                         {"verify_failed", d.verify_failed},
                         {"links_failed", links_failed}});
    }
    return media_report::json_text({{"source", report.source.string()},
                                    {"files", report.files},
                                    {"bytes", report.bytes},
                                    {"skipped_special", report.skipped_special},
                                    {"delete", delete_extras},
                                    {"destinations", dests},
                                    {"ok", report.verified_ok()}});
}

std::string report_text(const Report& report, bool delete_extras) {
    std::string text = fmt::format("source {}: {} files, {}\n", report.source.string(),
                                   report.files, human_bytes(static_cast<double>(report.bytes)));
    for (const std::string& s : report.skipped_special) {
        text += "  note: not a file, link or directory, not copied: " + one_line(s) + "\n";
    }
    for (const DestinationReport& d : report.destinations) {
        text += fmt::format(
            "{}: {} copied, {} updated, {} unchanged (verified by hash), {} rewritten "
            "(same size and mtime, different content), {} links, {} written\n",
            d.root.string(), d.copied, d.updated, d.unchanged_verified, d.rewritten, d.symlinks,
            human_bytes(static_cast<double>(d.bytes_written)));
        for (const std::string& e : d.leftovers_removed) {
            text += "  removed: " + one_line(e) + " (a temporary file an interrupted copy left)\n";
        }
        for (const std::string& e : d.extra) {
            text += "  extra: " + one_line(e) + (delete_extras ? " (deleted)\n" : "\n");
        }
        if (!d.extra.empty() && !delete_extras) {
            text += fmt::format("  {} extra entries kept; --delete removes them\n", d.extra.size());
        }
        const std::size_t files_failed = d.verify_failed.size() - d.links_failed.size();
        for (std::size_t f = 0; f < files_failed; ++f) {
            text += "  FAILED: " + one_line(d.verify_failed[f]) + "\n";
        }
        for (const LinkMismatch& l : d.links_failed) {
            text += "  FAILED: " + one_line(l.name) + " (" + l.detail + ")\n";
        }
        text += fmt::format("  read back from the device: {} ({} of {} files)\n",
                            files_failed == 0 ? "OK" : "FAILED", d.files_verified - files_failed,
                            d.files_verified);
        if (d.links_verified > 0) {
            text += fmt::format("  symbolic links: {} ({} of {} with the source's target)\n",
                                d.links_failed.empty() ? "OK" : "FAILED",
                                d.links_verified - d.links_failed.size(), d.links_verified);
        }
    }
    return text;
}

void throw_if_read_back_failed(const Report& report) {
    if (report.verified_ok()) {
        return;
    }
    std::string failed;
    for (const DestinationReport& d : report.destinations) {
        if (!d.verified_ok()) {
            failed += (failed.empty() ? "" : ", ") + d.root.string();
        }
    }
    throw Error(ErrorCategory::verification,
                "read-back from the device FAILED on " + failed +
                    "; do not use that drive: run again (it rewrites what differs) or "
                    "replace the drive");
}

std::string progress_line(const Progress& p, double seconds) {
    if (p.phase == Phase::checking || p.phase == Phase::done) {
        return {};
    }
    const double rate = seconds > 0.0 ? static_cast<double>(p.bytes_done) / seconds : 0.0;
    std::string eta = "--:--";
    if (rate > 0.0 && p.bytes_total >= p.bytes_done) {
        const auto left =
            static_cast<long>(static_cast<double>(p.bytes_total - p.bytes_done) / rate);
        eta = fmt::format("{}:{:02}", left / 60, left % 60);
    }
    return fmt::format("\r{} {} / {}  {}/{} files  {}/s  ETA {}\033[K",
                       p.phase == Phase::copying ? "copying  " : "verifying",
                       human_bytes(static_cast<double>(p.bytes_done)),
                       human_bytes(static_cast<double>(p.bytes_total)), p.files_done, p.files_total,
                       human_bytes(rate), eta);
}

}  // namespace smk::copy
