// The printed record as a PDF (include/smk/ceremony/transcript_print.hpp): the
// pages of record_pages() on A4 in DejaVu Sans Mono through cairo's PDF surface
// and its toy text API (fontconfig finds the font: fonts-dejavu-core).
//
// Same pages, same bytes: cairo 1.16 writes the current time as the PDF's
// CreationDate unless one is set, so it is set from the transcript (its last
// line's time). cairo 1.16 writes a set date without the "D:" prefix
// ("(20261130010203Z)"); pdfinfo and pdftotext read it all the same.

#include <cairo-ft.h>
#include <cairo-pdf.h>
#include <cairo.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "smk/ceremony/transcript_print.hpp"
#include "smk/error.hpp"

namespace smk::transcript {
namespace {

constexpr double kPageWidth = 595.28;  // A4 in points
constexpr double kPageHeight = 841.89;
constexpr double kFontSize = 7.5;  // DejaVu Sans Mono: 0.602 em a character, 110 in 497 pt
constexpr double kMarginLeft = 49.0;
constexpr double kMarginTop = 36.0;
constexpr double kLeading = (kPageHeight - 2 * kMarginTop) / static_cast<double>(kPageRows);
constexpr const char* kFont = "DejaVu Sans Mono";
constexpr const char* kEpoch = "1970-01-01T00:00:00Z";

cairo_status_t append_bytes(void* closure, const unsigned char* data, unsigned int length) {
    auto* out = static_cast<std::vector<std::uint8_t>*>(closure);
    out->insert(out->end(), data, data + length);
    return CAIRO_STATUS_SUCCESS;
}

// "YYYY-MM-DDTHH:MM:SSZ" exactly, as the transcript writes it.
bool is_utc_time(const std::string& text) {
    static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
    if (text.size() != kShape.size()) {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool digit = text[i] >= '0' && text[i] <= '9';
        if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) {
            return false;
        }
    }
    return true;
}

struct SurfaceFree {
    void operator()(cairo_surface_t* surface) const noexcept { cairo_surface_destroy(surface); }
};
struct ContextFree {
    void operator()(cairo_t* cr) const noexcept { cairo_destroy(cr); }
};

void require_ok(cairo_status_t status, const char* what) {
    if (status != CAIRO_STATUS_SUCCESS) {
        throw Error(ErrorCategory::internal,
                    std::string("cairo failed to ") + what +
                        " the transcript record PDF: " + cairo_status_to_string(status));
    }
}

// The family of the font fontconfig actually chose ("" if it is not a FreeType font).
std::string chosen_family(cairo_t* cr) {
    cairo_scaled_font_t* scaled = cairo_get_scaled_font(cr);
    if (cairo_scaled_font_get_type(scaled) != CAIRO_FONT_TYPE_FT) {
        return {};
    }
    FT_Face face = cairo_ft_scaled_font_lock_face(scaled);
    std::string family = (face != nullptr && face->family_name != nullptr) ? face->family_name : "";
    cairo_ft_scaled_font_unlock_face(scaled);
    return family;
}

// The layout needs DejaVu Sans Mono itself (whose kPageColumns characters fit the
// page): fontconfig falls back to any font it has when it is missing, and another
// monospace font would give other bytes on another machine.
void require_monospace(cairo_t* cr) {
    cairo_text_extents_t narrow{};
    cairo_text_extents_t wide{};
    cairo_text_extents(cr, "i", &narrow);
    cairo_text_extents(cr, "W", &wide);
    if (chosen_family(cr) != kFont || narrow.x_advance != wide.x_advance ||
        wide.x_advance * static_cast<double>(kPageColumns) > kPageWidth - 2 * kMarginLeft) {
        throw Error(ErrorCategory::io,
                    std::string("the transcript record PDF needs the monospace font ") + kFont +
                        " (Debian package fonts-dejavu-core), which fontconfig does not find; "
                        "install it, or print the record as text (--out NAME.txt). Nothing was "
                        "written.");
    }
}

}  // namespace

std::vector<std::uint8_t> record_pdf(const std::vector<Page>& pages,
                                     const std::string& creation_date) {
    std::vector<std::uint8_t> bytes;
    const std::unique_ptr<cairo_surface_t, SurfaceFree> surface(
        cairo_pdf_surface_create_for_stream(append_bytes, &bytes, kPageWidth, kPageHeight));
    require_ok(cairo_surface_status(surface.get()), "create");
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATE_DATE,
                                   is_utc_time(creation_date) ? creation_date.c_str() : kEpoch);
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE,
                                   "smk transcript record");
    {
        const std::unique_ptr<cairo_t, ContextFree> cr(cairo_create(surface.get()));
        cairo_select_font_face(cr.get(), kFont, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
        cairo_set_font_size(cr.get(), kFontSize);
        require_monospace(cr.get());
        cairo_set_source_rgb(cr.get(), 0, 0, 0);
        for (const auto& page : pages) {
            for (std::size_t row = 0; row < page.size(); ++row) {
                if (page[row].empty()) {
                    continue;
                }
                cairo_move_to(cr.get(), kMarginLeft,
                              kMarginTop + kLeading * static_cast<double>(row + 1));
                cairo_show_text(cr.get(), page[row].c_str());
            }
            cairo_show_page(cr.get());
        }
        require_ok(cairo_status(cr.get()), "draw");
    }
    cairo_surface_finish(surface.get());
    require_ok(cairo_surface_status(surface.get()), "finish");
    return bytes;
}

}  // namespace smk::transcript
