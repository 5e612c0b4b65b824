// The facility key's QR codes (smk/qr_code.hpp) read back by zbarimg (zbar-tools), a
// reader smk did not write: the PNG as written, and the terminal's half-block text
// redrawn here as a PBM image, both decode to the key's words and back to the key.
// zbarimg (0.23.92) reads no inverted code, so the terminal test also shows that the
// glyphs draw the light modules, as the header says.
// No root, no daemon; without zbarimg these tests fail (never skip).

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "smk/error.hpp"
#include "smk/qr_code.hpp"
#include "smk/transport.hpp"
#include "support/error_of.hpp"
#include "support/files.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace transport = smk::transport;

// The payload zbarimg --raw decoded from `image`; it ends its output with one "\n".
std::string zbar_decode(const std::filesystem::path& image) {
    const auto r =
        smk_test::run_process(smk_test::Command({"zbarimg", "--raw", "-q", image.string()}));
    REQUIRE_MESSAGE(r.shell_status() != 127,
                    "zbarimg is missing: scripts/install-deps.sh installs zbar-tools; the QR "
                    "codes are checked with a reader smk did not write");
    REQUIRE_MESSAGE(r.shell_status() == 0,
                    "zbarimg found no QR code in " << image << ": " << r.err);
    std::string out = r.out;
    REQUIRE(!out.empty());
    REQUIRE(out.back() == '\n');
    out.pop_back();
    return out;
}

// One terminal line as its glyphs: (upper module light, lower module light) each.
std::vector<std::pair<bool, bool>> glyphs_of(std::string_view line) {
    std::vector<std::pair<bool, bool>> out;
    while (!line.empty()) {
        if (line.front() == ' ') {
            out.emplace_back(false, false);
            line.remove_prefix(1);
        } else if (line.starts_with("\u2588")) {
            out.emplace_back(true, true);
            line.remove_prefix(3);
        } else if (line.starts_with("\u2580")) {
            out.emplace_back(true, false);
            line.remove_prefix(3);
        } else if (line.starts_with("\u2584")) {
            out.emplace_back(false, true);
            line.remove_prefix(3);
        } else {
            FAIL("not a half-block glyph at: " << line);
        }
    }
    return out;
}

// The terminal text as a plain PBM (P1, 1 = black), `scale` pixels a module. Light is
// what the glyphs draw, so dark modules are black, as on paper.
std::string pbm_of(const std::string& text, std::size_t scale) {
    std::vector<std::vector<bool>> dark_rows;
    std::size_t width = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find('\n', start);
        REQUIRE_MESSAGE(end != std::string::npos, "the last line does not end with \\n");
        const auto glyphs = glyphs_of(std::string_view(text).substr(start, end - start));
        if (width == 0) {
            width = glyphs.size();
        }
        REQUIRE_MESSAGE(glyphs.size() == width, "lines of different widths");
        std::vector<bool> upper;
        std::vector<bool> lower;
        for (const auto& [up, low] : glyphs) {
            upper.push_back(!up);
            lower.push_back(!low);
        }
        dark_rows.push_back(std::move(upper));
        dark_rows.push_back(std::move(lower));
        start = end + 1;
    }
    std::string pbm = "P1\n" + std::to_string(width * scale) + " " +
                      std::to_string(dark_rows.size() * scale) + "\n";
    for (const auto& row : dark_rows) {
        std::string line;
        for (const bool dark : row) {
            line.append(scale, dark ? '1' : '0');
        }
        line += '\n';
        for (std::size_t i = 0; i < scale; ++i) {
            pbm += line;
        }
    }
    return pbm;
}

using smk_test::error_of;

}  // namespace

TEST_CASE("qr code: the facility key's PNG decodes in zbarimg to its words and to the key") {
    const smk_test::TempDir dir("qr");
    const auto key = transport::FacilityKey::generate();
    const std::string words = transport::facility_key_text(key.public_key());
    const auto png = dir / "facility-key.png";
    transport::write_qr_png(words, png);
    CHECK(smk_test::read_file(png).rfind("\x89PNG\r\n", 0) == 0);
    CHECK((std::filesystem::status(png).permissions() & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
           std::filesystem::perms::group_read | std::filesystem::perms::others_read));

    const std::string decoded = zbar_decode(png);
    CHECK(decoded == words);
    CHECK(transport::parse_facility_key_text(decoded, "zbarimg") == key.public_key());
    // Only the PNG: no temporary file left beside it.
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                        std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("qr code: the terminal text is a real QR code of the key with its quiet zone") {
    const smk_test::TempDir dir("qr");
    const auto key = transport::FacilityKey::generate();
    const std::string words = transport::facility_key_text(key.public_key());
    const std::string text = transport::qr_terminal_text(words);

    // Light drawn, dark left blank: the top 2 lines (4 module rows) are all full blocks,
    // and every line starts with 4.
    const std::string full = "\u2588";
    std::string quiet_line;
    const std::size_t first_end = text.find('\n');
    REQUIRE(first_end != std::string::npos);
    const std::size_t width = glyphs_of(std::string_view(text).substr(0, first_end)).size();
    for (std::size_t i = 0; i < width; ++i) {
        quiet_line += full;
    }
    CHECK(text.rfind(quiet_line + "\n" + quiet_line + "\n", 0) == 0);
    CHECK(text.ends_with(quiet_line + "\n" + quiet_line + "\n"));
    std::size_t start = 0;
    while (start < text.size()) {
        CHECK(text.compare(start, 4 * full.size(), full + full + full + full) == 0);
        start = text.find('\n', start) + 1;
    }

    const auto pbm = dir / "terminal.pbm";
    smk_test::write_file(pbm, pbm_of(text, 4));
    const std::string decoded = zbar_decode(pbm);
    CHECK(decoded == words);
    CHECK(transport::parse_facility_key_text(decoded, "zbarimg") == key.public_key());
}

TEST_CASE("qr code: write_qr_png refuses an existing file and leaves it as it was") {
    const smk_test::TempDir dir("qr");
    const auto png = dir / "facility-key.png";
    smk_test::write_file(png, "not mine\n");
    const auto [category, message] = error_of([&] { transport::write_qr_png("smk", png); });
    CHECK(category == smk::ErrorCategory::refused);
    CHECK(smk::exit_code(category) == 7);
    CHECK(message.find(png.string()) != std::string::npos);
    CHECK(message.find("choose another name") != std::string::npos);
    CHECK(smk_test::read_file(png) == "not mine\n");
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                        std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("qr code: a payload longer than a QR code holds is invalid input naming its size") {
    const smk_test::TempDir dir("qr");
    const std::string longest(transport::kMaxQrPayloadBytes, 'a');
    CHECK(!transport::qr_terminal_text(longest).empty());  // version 40 still holds it

    const std::string overlong(5000, 'a');
    for (const auto& [category, message] :
         {error_of([&] { (void)transport::qr_terminal_text(overlong); }),
          error_of([&] { (void)transport::qr_png(overlong); }),
          error_of([&] { transport::write_qr_png(overlong, dir / "big.png"); })}) {
        CHECK(category == smk::ErrorCategory::invalid_input);
        CHECK(message.find("5000 bytes") != std::string::npos);
    }
    CHECK(error_of([&] { (void)transport::qr_png(""); }).first ==
          smk::ErrorCategory::invalid_input);
    CHECK(error_of([&] { (void)transport::qr_png("smk", 0); }).first == smk::ErrorCategory::usage);
    CHECK(std::filesystem::is_empty(dir.path()));  // nothing written for a refused payload
}
