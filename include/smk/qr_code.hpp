#pragma once
// QR codes of public text (the facility key's words, smk/transport.hpp), so a holder
// can take the key with a phone or check it with a reader smk did not write
// (`zbarimg --raw -q facility-key.png`). libqrencode, 8-bit mode, error correction
// level M, the smallest version that holds the payload; a 4-module quiet zone.
// Never for secrets: the payload ends up on screen and on disk.
//
// Errors (smk::Error): invalid_input for an empty payload or one too long for a QR
// code (the size named); usage for a bad module size; refused for an existing PNG
// file; io when writing it fails.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace smk::transport {

// The most bytes a QR code holds in 8-bit mode at level M (version 40).
inline constexpr std::size_t kMaxQrPayloadBytes = 2331;

// The QR code as UTF-8 text, two module rows per line ('█', '▀', '▄', ' '). As
// `qrencode -t UTF8` does, the glyphs draw the light modules and the dark ones are
// left to the background, so it reads on the usual light-on-dark terminal. Every
// line has the same width and ends with "\n".
[[nodiscard]] std::string qr_terminal_text(std::string_view payload);

// The QR code as PNG bytes: black on white, `module_pixels` (1 to 64) per module.
[[nodiscard]] std::vector<std::uint8_t> qr_png(std::string_view payload,
                                               unsigned module_pixels = 8);

// qr_png written to a new file `out` (mode 0644): Error(refused) if it exists; temp,
// fsync, rename, fsync of the directory (smk/atomic_file.hpp); nothing left on failure.
void write_qr_png(std::string_view payload, const std::filesystem::path& out);

}  // namespace smk::transport
