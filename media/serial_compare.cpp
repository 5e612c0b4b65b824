// The serial check: what is written on the paper against the drive's USB iSerial.
// The comparison is exact after normalising; the alignment and the look-alike
// notes only explain a mismatch to the person holding the paper.

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "smk/drive.hpp"

namespace smk::drive {
namespace {

constexpr char kGap = '_';

char upper(char c) noexcept {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

std::string shown(char c) {
    if (c == 0) {
        return "nothing";
    }
    if (c >= 0x21 && c <= 0x7e) {
        return std::string(1, c);
    }
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(static_cast<unsigned char>(c)));
    return buf;
}

// Where the strings differ, column by column, as shown to a person: for equal
// lengths position by position (a substituted character stays in its column);
// otherwise a minimal edit alignment, so that one missing character does not make
// every later column "differ". Gaps are '\0' until compare_serials() draws them.
void align(SerialComparison& cmp) {
    const std::string& a = cmp.paper;
    const std::string& b = cmp.drive;
    if (a.size() == b.size()) {
        cmp.paper_aligned = a;
        cmp.drive_aligned = b;
        return;
    }
    const std::size_t n = a.size();
    const std::size_t m = b.size();
    // cost[i][j]: edits to turn a[i..] into b[j..]; serials are short (<= 255 chars).
    std::vector<std::vector<std::size_t>> cost(n + 1, std::vector<std::size_t>(m + 1, 0));
    for (std::size_t i = n + 1; i-- > 0;) {
        for (std::size_t j = m + 1; j-- > 0;) {
            if (i == n) {
                cost[i][j] = m - j;
            } else if (j == m) {
                cost[i][j] = n - i;
            } else {
                const std::size_t diag = cost[i + 1][j + 1] + (a[i] == b[j] ? 0 : 1);
                cost[i][j] = std::min({diag, cost[i + 1][j] + 1, cost[i][j + 1] + 1});
            }
        }
    }
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && cost[i][j] == cost[i + 1][j + 1] + (a[i] == b[j] ? 0 : 1)) {
            cmp.paper_aligned.push_back(a[i++]);
            cmp.drive_aligned.push_back(b[j++]);
        } else if (i < n && cost[i][j] == cost[i + 1][j] + 1) {
            cmp.paper_aligned.push_back(a[i++]);
            cmp.drive_aligned.push_back('\0');
        } else {
            cmp.paper_aligned.push_back('\0');
            cmp.drive_aligned.push_back(b[j++]);
        }
    }
}

}  // namespace

std::string normalise_paper_serial(std::string_view written) {
    std::string out;
    out.reserve(written.size());
    for (const char c : written) {
        if (c == ' ' || c == '\t' || c == '-' || c == '\n' || c == '\r') {
            continue;
        }
        out.push_back(upper(c));
    }
    return out;
}

std::string normalise_drive_serial(std::string_view reported) {
    std::string out;
    out.reserve(reported.size());
    for (const char c : reported) {
        out.push_back(upper(c));
    }
    return out;
}

bool is_look_alike(char a, char b) noexcept {
    constexpr std::string_view kPairs[] = {"O0", "I1", "S5", "B8", "Z2"};
    const char x = upper(a);
    const char y = upper(b);
    for (const std::string_view pair : kPairs) {
        if ((x == pair[0] && y == pair[1]) || (x == pair[1] && y == pair[0])) {
            return true;
        }
    }
    return false;
}

bool SerialComparison::only_look_alikes() const noexcept {
    return !match && !differences.empty() &&
           std::all_of(differences.begin(), differences.end(),
                       [](const SerialDifference& d) { return d.look_alike; });
}

std::vector<std::string> SerialComparison::explanations() const {
    std::vector<std::string> out;
    for (const SerialDifference& d : differences) {
        const std::string at = " at position " + std::to_string(d.position);
        if (d.paper == 0) {
            out.push_back("the paper serial lacks the drive's " + shown(d.drive) + at);
        } else if (d.drive == 0) {
            out.push_back("the paper serial has an extra " + shown(d.paper) + at +
                          " (the drive has nothing there)");
        } else if (d.look_alike) {
            out.push_back("the paper serial has " + shown(d.paper) + " where the drive has " +
                          shown(d.drive) + at + ": a look-alike; check the paper");
        } else {
            out.push_back("the paper serial has " + shown(d.paper) + " where the drive has " +
                          shown(d.drive) + at);
        }
    }
    if (!match && drive.find_first_of(" \t-") != std::string::npos) {
        out.push_back(
            "the drive's serial itself holds spaces or dashes, which smk removes from "
            "the paper serial: compare the two by eye and report it");
    }
    return out;
}

SerialComparison compare_serials(std::string_view paper_written, std::string_view drive_serial) {
    SerialComparison cmp;
    cmp.paper = normalise_paper_serial(paper_written);
    cmp.drive = normalise_drive_serial(drive_serial);
    cmp.match = cmp.paper == cmp.drive;
    align(cmp);
    cmp.carets.assign(cmp.paper_aligned.size(), ' ');
    for (std::size_t k = 0; k < cmp.paper_aligned.size(); ++k) {
        const char p = cmp.paper_aligned[k];
        const char d = cmp.drive_aligned[k];
        if (p == d) {
            continue;
        }
        cmp.carets[k] = '^';
        SerialDifference diff;
        diff.position = k + 1;
        diff.paper = p;
        diff.drive = d;
        diff.look_alike = p != 0 && d != 0 && is_look_alike(p, d);
        cmp.differences.push_back(diff);
    }
    std::replace(cmp.paper_aligned.begin(), cmp.paper_aligned.end(), '\0', kGap);
    std::replace(cmp.drive_aligned.begin(), cmp.drive_aligned.end(), '\0', kGap);
    while (!cmp.carets.empty() && cmp.carets.back() == ' ') {
        cmp.carets.pop_back();
    }
    return cmp;
}

}  // namespace smk::drive
