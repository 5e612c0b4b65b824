// smk media copy: the Master and Operative Backup Copies in one pass, verified from
// the device. A thin layer over smk::copy::copy_tree(): options, progress on a
// terminal, the text and JSON reports, and the exit code.

#include "media_copy.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "io.hpp"
#include "json_text.hpp"
#include "smk/copy.hpp"
#include "smk/drive.hpp"
#include "smk/error.hpp"
#include "smk/interrupt.hpp"

namespace smk::cli {
namespace {

struct CopyCommand {
    std::vector<std::string> paths;    // SRC DST [DST...]
    std::vector<std::string> serials;  // paper serials, one per DST, in order
    bool delete_extras = false;
    bool json = false;
};

// A name on one line: '\', newline and CR escaped as sha256sum does (leading '\').
std::string one_line(std::string_view name) {
    if (name.find_first_of("\\\n\r") == std::string_view::npos) {
        return std::string(name);
    }
    std::string out = "\\";
    for (const char c : name) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string human_bytes(double bytes) {
    constexpr std::array<const char*, 5> kUnits = {"B", "KiB", "MiB", "GiB", "TiB"};
    std::size_t unit = 0;
    while (bytes >= 1024.0 && unit + 1 < kUnits.size()) {
        bytes /= 1024.0;
        ++unit;
    }
    return unit == 0 ? fmt::format("{:.0f} B", bytes)
                     : fmt::format("{:.1f} {}", bytes, kUnits[unit]);
}

// One status line on a terminal's stderr, redrawn at most 5 times a second.
class ProgressLine final {
  public:
    void operator()(const copy::Progress& p) {
        const auto now = std::chrono::steady_clock::now();
        if (p.phase != m_phase) {
            finish_line();
            m_phase = p.phase;
            m_phase_start = now;
        } else if (now - m_last < std::chrono::milliseconds(200)) {
            return;
        }
        m_last = now;
        if (p.phase == copy::Phase::checking || p.phase == copy::Phase::done) {
            return;
        }
        const double seconds = std::chrono::duration<double>(now - m_phase_start).count();
        const double rate = seconds > 0.0 ? static_cast<double>(p.bytes_done) / seconds : 0.0;
        std::string eta = "--:--";
        if (rate > 0.0 && p.bytes_total >= p.bytes_done) {
            const auto left =
                static_cast<long>(static_cast<double>(p.bytes_total - p.bytes_done) / rate);
            eta = fmt::format("{}:{:02}", left / 60, left % 60);
        }
        const std::string line =
            fmt::format("\r{} {} / {}  {}/{} files  {}/s  ETA {}\033[K",
                        p.phase == copy::Phase::copying ? "copying  " : "verifying",
                        human_bytes(static_cast<double>(p.bytes_done)),
                        human_bytes(static_cast<double>(p.bytes_total)), p.files_done,
                        p.files_total, human_bytes(rate), eta);
        write_all(2, line);
        m_drawn = true;
    }
    ~ProgressLine() { finish_line(); }
    ProgressLine() = default;
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;

  private:
    void finish_line() noexcept {
        if (m_drawn) {
            // Best effort: a destructor must not throw over a lost newline.
            if (::write(2, "\n", 1) < 0) {
                m_drawn = false;
            }
            m_drawn = false;
        }
    }
    copy::Phase m_phase = copy::Phase::checking;
    std::chrono::steady_clock::time_point m_phase_start = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point m_last{};
    bool m_drawn = false;
};

nlohmann::json json_of(const copy::Report& report, bool delete_extras) {
    nlohmann::json dests = nlohmann::json::array();
    for (const copy::DestinationReport& d : report.destinations) {
        dests.push_back({{"path", d.root.string()},
                         {"files_copied", d.copied},
                         {"files_updated", d.updated},
                         {"unchanged_verified", d.unchanged_verified},
                         {"rewritten", d.rewritten},
                         {"symlinks", d.symlinks},
                         {"directories_created", d.directories},
                         {"extra", d.extra},
                         {"deleted", d.deleted},
                         {"bytes_written", d.bytes_written},
                         {"files_verified", d.files_verified},
                         {"verified", d.verified_ok() ? "OK" : "FAILED"},
                         {"verify_failed", d.verify_failed}});
    }
    return {{"source", report.source.string()},
            {"files", report.files},
            {"bytes", report.bytes},
            {"skipped_special", report.skipped_special},
            {"delete", delete_extras},
            {"destinations", dests},
            {"ok", report.verified_ok()}};
}

std::string text_of(const copy::Report& report, bool delete_extras) {
    std::string text = fmt::format("source {}: {} files, {}\n", report.source.string(),
                                   report.files, human_bytes(static_cast<double>(report.bytes)));
    for (const std::string& s : report.skipped_special) {
        text += "  note: not a file, link or directory, not copied: " + one_line(s) + "\n";
    }
    for (const copy::DestinationReport& d : report.destinations) {
        text += fmt::format(
            "{}: {} copied, {} updated, {} unchanged (verified by hash), {} rewritten "
            "(same size and mtime, different content), {} links, {} written\n",
            d.root.string(), d.copied, d.updated, d.unchanged_verified, d.rewritten, d.symlinks,
            human_bytes(static_cast<double>(d.bytes_written)));
        for (const std::string& e : d.extra) {
            text += "  extra: " + one_line(e) + (delete_extras ? " (deleted)\n" : "\n");
        }
        if (!d.extra.empty() && !delete_extras) {
            text += fmt::format("  {} extra entries kept; --delete removes them\n", d.extra.size());
        }
        for (const std::string& f : d.verify_failed) {
            text += "  FAILED: " + one_line(f) + "\n";
        }
        text += fmt::format("  read back from the device: {} ({} of {} files)\n",
                            d.verified_ok() ? "OK" : "FAILED",
                            d.files_verified - d.verify_failed.size(), d.files_verified);
    }
    return text;
}

#ifdef SMK_MEDIA_TEST_HOOKS
std::function<void(const copy::Progress&)> g_progress_test_hook;
#endif

// The deepest existing directory of `dst` (a destination may not exist yet; the
// drive that will hold it is the one holding its nearest existing ancestor).
std::filesystem::path existing_part(const std::string& dst) {
    std::filesystem::path path = std::filesystem::absolute(dst).lexically_normal();
    std::error_code ec;
    while (!std::filesystem::exists(path, ec) && path.has_relative_path()) {
        path = path.parent_path();
    }
    return path;
}

// --serial: every destination must lie on the USB drive whose iSerial is the one on
// the paper, checked for all of them before anything is written anywhere.
void refuse_wrong_drives(const std::vector<std::string>& destinations,
                         const std::vector<std::string>& serials) {
    if (serials.empty()) {
        return;
    }
    if (serials.size() != destinations.size()) {
        throw Error(ErrorCategory::usage,
                    fmt::format("{} --serial given for {} destinations; give one --serial per "
                                "destination, in the same order",
                                serials.size(), destinations.size()));
    }
    for (std::size_t i = 0; i < destinations.size(); ++i) {
        if (drive::normalise_paper_serial(serials[i]).empty()) {
            throw Error(ErrorCategory::usage, "--serial \"" + serials[i] + "\" holds no serial");
        }
    }
    for (std::size_t i = 0; i < destinations.size(); ++i) {
        const std::string& dst = destinations[i];
        drive::UsbDrive usb;
        try {
            usb = drive::usb_drive_for_path(existing_part(dst));
        } catch (const Error& e) {
            throw Error(ErrorCategory::refused,
                        "destination " + dst + " cannot be checked against --serial " + serials[i] +
                            ": " + e.what() + "; nothing was written");
        }
        const drive::SerialComparison cmp = drive::compare_serials(serials[i], usb.serial);
        if (cmp.match) {
            continue;
        }
        std::string message = "destination " + dst + " is on the USB drive with serial " +
                              usb.serial + ", not the one on the paper; nothing was written\n" +
                              "  paper: " + cmp.paper_aligned + "\n" +
                              "  drive: " + cmp.drive_aligned + "\n" + "         " + cmp.carets;
        for (const std::string& e : cmp.explanations()) {
            message += "\n  " + e;
        }
        if (cmp.only_look_alikes()) {
            message +=
                "\n  only look-alike characters differ: check the paper, and if it is "
                "misread, correct it; smk never accepts a look-alike";
        }
        throw Error(ErrorCategory::refused, message);
    }
}

void run_copy(const CopyCommand& cmd) {
    if (cmd.paths.size() < 2) {
        throw Error(ErrorCategory::usage,
                    "give a source and at least one destination: "
                    "smk media copy SRC/ DST/ [DST2/ ...]");
    }
    const std::vector<std::string> destinations(cmd.paths.begin() + 1, cmd.paths.end());
    refuse_wrong_drives(destinations, cmd.serials);
    copy::Options options;
    options.delete_extras = cmd.delete_extras;
    std::shared_ptr<ProgressLine> line;
    if (::isatty(2) == 1) {
        line = std::make_shared<ProgressLine>();
        options.progress = [line](const copy::Progress& p) { (*line)(p); };
    }
#ifdef SMK_MEDIA_TEST_HOOKS
    if (g_progress_test_hook) {
        options.progress = [line, hook = g_progress_test_hook](const copy::Progress& p) {
            if (line) {
                (*line)(p);
            }
            hook(p);
        };
    }
#endif
    const copy::Report report = [&] {
        // Ctrl-C or SIGTERM stops the copy at its next safe point (smk/interrupt.hpp).
        const InterruptScope interruptible;
        return copy::copy_tree(cmd.paths.front(), destinations, options);
    }();
    line.reset();
    if (cmd.json) {
        write_all(1, json_text(json_of(report, cmd.delete_extras)));
    } else {
        write_all(1, text_of(report, cmd.delete_extras));
    }
    if (!report.verified_ok()) {
        std::string failed;
        for (const copy::DestinationReport& d : report.destinations) {
            if (!d.verified_ok()) {
                failed += (failed.empty() ? "" : ", ") + d.root.string();
            }
        }
        throw Error(ErrorCategory::verification,
                    "read-back from the device FAILED on " + failed +
                        "; do not use that drive: run again (it rewrites what differs) or "
                        "replace the drive");
    }
}

}  // namespace

#ifdef SMK_MEDIA_TEST_HOOKS
std::function<void(const copy::Progress&)>& media_copy_progress_test_hook() {
    return g_progress_test_hook;
}
#endif

void add_media_copy_command(CLI::App& media) {
    auto cmd = std::make_shared<CopyCommand>();
    auto* copy_cmd = media.add_subcommand(
        "copy",
        "Copy SRC to every DST in one pass (rsync -avW semantics: 'SRC/' copies its contents, "
        "'SRC' the directory itself), compare same-size same-mtime files by hash, and read "
        "every written file back from the device");
    copy_cmd->add_option("paths", cmd->paths, "SRC DST [DST2 ...]")->required();
    copy_cmd
        ->add_option("--serial", cmd->serials,
                     "The USB serial (iSerial) written on the paper for a destination drive; "
                     "one per DST, in the order of the DSTs. A destination on another drive, "
                     "or not on a USB drive, is refused before anything is written")
        ->allow_extra_args(false);
    copy_cmd->add_flag("--delete", cmd->delete_extras,
                       "Remove entries on a destination that the source does not have "
                       "(without it they are only reported)");
    copy_cmd->add_flag("--json", cmd->json, "Print the result as JSON");
    copy_cmd->callback([cmd] { run_copy(*cmd); });
}

}  // namespace smk::cli
