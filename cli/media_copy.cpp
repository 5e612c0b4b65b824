// smk media copy: the Master and Operative Backup Copies in one pass, verified from
// the device. A thin layer over smk::copy::copy_tree(): options, progress on a
// terminal, the report (smk/copy_report.hpp) and the exit code.

#include "media_copy.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "io.hpp"
#include "smk/copy.hpp"
#include "smk/copy_report.hpp"
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
        const std::string line =
            copy::progress_line(p, std::chrono::duration<double>(now - m_phase_start).count());
        if (!line.empty()) {
            write_all(2, line);
            m_drawn = true;
        }
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

void run_copy(const CopyCommand& cmd) {
    if (cmd.paths.size() < 2) {
        throw Error(ErrorCategory::usage,
                    "give a source and at least one destination: "
                    "smk media copy SRC/ DST/ [DST2/ ...]");
    }
    const std::vector<std::string> destinations(cmd.paths.begin() + 1, cmd.paths.end());
    drive::refuse_wrong_drives(destinations, cmd.serials);
    copy::Options options;
    options.delete_extras = cmd.delete_extras;
    std::shared_ptr<ProgressLine> line;
    if (::isatty(2) == 1) {
        line = std::make_shared<ProgressLine>();
        options.progress = [line](const copy::Progress& p) { (*line)(p); };
    }
    const copy::Report report = [&] {
        // Ctrl-C or SIGTERM stops the copy at its next safe point (smk/interrupt.hpp).
        const InterruptScope interruptible;
        return copy::copy_tree(cmd.paths.front(), destinations, options);
    }();
    line.reset();
    write_all(1, cmd.json ? copy::report_json(report, cmd.delete_extras)
                          : copy::report_text(report, cmd.delete_extras));
    copy::throw_if_read_back_failed(report);
}

}  // namespace

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
