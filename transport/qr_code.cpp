// QR codes of public text: libqrencode makes the modules, this file draws them as
// terminal half blocks or, through cairo, as a PNG. Both forms are read back by
// zbarimg in tests/transport/test_qr_code.cpp.

#include "smk/qr_code.hpp"

#include <cairo.h>
#include <fmt/core.h>
#include <qrencode.h>

#include <cerrno>
#include <memory>

#include "smk/atomic_file.hpp"
#include "smk/error.hpp"

namespace smk::transport {
namespace {

// ISO/IEC 18004 asks for at least 4 light modules around the symbol.
constexpr int kQuietModules = 4;
constexpr unsigned kMaxModulePixels = 64;

struct QrFree {
    void operator()(QRcode* code) const noexcept { QRcode_free(code); }
};
struct SurfaceFree {
    void operator()(cairo_surface_t* surface) const noexcept { cairo_surface_destroy(surface); }
};
struct CairoFree {
    void operator()(cairo_t* cr) const noexcept { cairo_destroy(cr); }
};
using QrPtr = std::unique_ptr<QRcode, QrFree>;

QrPtr encode(std::string_view payload) {
    if (payload.empty()) {
        throw Error(ErrorCategory::invalid_input,
                    "cannot make a QR code of nothing: the text is empty");
    }
    // Checked here first: libqrencode takes the size as an int, and its ERANGE says less.
    if (payload.size() > kMaxQrPayloadBytes) {
        throw Error(ErrorCategory::invalid_input,
                    fmt::format("cannot make a QR code of {} bytes: one holds at most {} bytes "
                                "(8-bit mode, error correction level M)",
                                payload.size(), kMaxQrPayloadBytes));
    }
    errno = 0;
    QrPtr code(QRcode_encodeData(static_cast<int>(payload.size()),
                                 reinterpret_cast<const unsigned char*>(payload.data()), 0,
                                 QR_ECLEVEL_M));
    if (!code) {
        const int err = errno;
        if (err == ERANGE) {
            throw Error(ErrorCategory::invalid_input,
                        fmt::format("cannot make a QR code of {} bytes: libqrencode says it is "
                                    "too long for level M",
                                    payload.size()));
        }
        throw Error(ErrorCategory::internal,
                    fmt::format("libqrencode failed on {} bytes (errno {})", payload.size(), err));
    }
    return code;
}

// Module (x, y) of the symbol with its quiet zone: (0, 0) is the quiet zone's corner;
// outside the symbol everything is light.
bool dark(const QRcode& code, int x, int y) {
    x -= kQuietModules;
    y -= kQuietModules;
    if (x < 0 || y < 0 || x >= code.width || y >= code.width) {
        return false;
    }
    // Bit 0 of each byte is the module's colour; the other bits say what it is part of.
    return (code.data[static_cast<std::size_t>(y * code.width + x)] & 1U) != 0;
}

cairo_status_t append_png(void* closure, const unsigned char* data, unsigned int length) {
    auto* out = static_cast<std::vector<std::uint8_t>*>(closure);
    out->insert(out->end(), data, data + length);
    return CAIRO_STATUS_SUCCESS;
}

}  // namespace

std::string qr_terminal_text(std::string_view payload) {
    const QrPtr code = encode(payload);
    const int size = code->width + 2 * kQuietModules;
    std::string out;
    // The symbol's width is odd, so the last line's lower half is one more light row.
    for (int y = 0; y < size; y += 2) {
        for (int x = 0; x < size; ++x) {
            const bool top_light = !dark(*code, x, y);
            const bool bottom_light = y + 1 >= size || !dark(*code, x, y + 1);
            if (top_light && bottom_light) {
                out += "\u2588";  // █
            } else if (top_light) {
                out += "\u2580";  // ▀
            } else if (bottom_light) {
                out += "\u2584";  // ▄
            } else {
                out += ' ';
            }
        }
        out += '\n';
    }
    return out;
}

std::vector<std::uint8_t> qr_png(std::string_view payload, unsigned module_pixels) {
    if (module_pixels == 0 || module_pixels > kMaxModulePixels) {
        throw Error(ErrorCategory::usage, fmt::format("a QR module of {} pixels: choose 1 to {}",
                                                      module_pixels, kMaxModulePixels));
    }
    const QrPtr code = encode(payload);
    const int modules = code->width + 2 * kQuietModules;
    const int scale = static_cast<int>(module_pixels);
    const std::unique_ptr<cairo_surface_t, SurfaceFree> surface(
        cairo_image_surface_create(CAIRO_FORMAT_RGB24, modules * scale, modules * scale));
    if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
        throw Error(ErrorCategory::internal,
                    fmt::format("cairo cannot make a {0}x{0} image: {1}", modules * scale,
                                cairo_status_to_string(cairo_surface_status(surface.get()))));
    }
    const std::unique_ptr<cairo_t, CairoFree> cr(cairo_create(surface.get()));
    // Whole-pixel squares: no antialiasing, so edges stay sharp for a reader.
    cairo_set_antialias(cr.get(), CAIRO_ANTIALIAS_NONE);
    cairo_set_source_rgb(cr.get(), 1, 1, 1);
    cairo_paint(cr.get());
    cairo_set_source_rgb(cr.get(), 0, 0, 0);
    for (int y = 0; y < modules; ++y) {
        for (int x = 0; x < modules; ++x) {
            if (dark(*code, x, y)) {
                cairo_rectangle(cr.get(), x * scale, y * scale, scale, scale);
            }
        }
    }
    cairo_fill(cr.get());
    if (cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS) {
        throw Error(ErrorCategory::internal,
                    fmt::format("cairo cannot draw the QR code: {}",
                                cairo_status_to_string(cairo_status(cr.get()))));
    }
    std::vector<std::uint8_t> png;
    const cairo_status_t status =
        cairo_surface_write_to_png_stream(surface.get(), append_png, &png);
    if (status != CAIRO_STATUS_SUCCESS) {
        throw Error(ErrorCategory::internal,
                    fmt::format("cairo cannot encode the QR code as PNG: {}",
                                cairo_status_to_string(status)));
    }
    return png;
}

void write_qr_png(std::string_view payload, const std::filesystem::path& out) {
    // Refuse before any work, and make the PNG before the temporary file exists, so a
    // payload that does not fit leaves nothing behind.
    refuse_existing(out);
    const std::vector<std::uint8_t> png = qr_png(payload);
    AtomicFile file(out, 0644);  // a public key: anyone may read it
    file.write(png);
    file.commit();
}

}  // namespace smk::transport
