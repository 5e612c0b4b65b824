#include "apdu.hpp"

#include <algorithm>

namespace smk::cardsim {

std::optional<CommandApdu> parse_command(std::span<const std::uint8_t> bytes) noexcept {
    if (bytes.size() < 4) {
        return std::nullopt;
    }
    CommandApdu apdu;
    apdu.cla = bytes[0];
    apdu.ins = bytes[1];
    apdu.p1 = bytes[2];
    apdu.p2 = bytes[3];
    const std::size_t n = bytes.size();
    if (n == 4) {
        return apdu;  // case 1
    }
    if (n == 5) {  // case 2 short
        apdu.ne = bytes[4] == 0 ? 256 : bytes[4];
        return apdu;
    }
    if (bytes[4] != 0) {  // short Lc
        const std::size_t lc = bytes[4];
        if (n == 5 + lc) {
            apdu.data = bytes.subspan(5, lc);
            return apdu;
        }
        if (n == 6 + lc) {
            apdu.data = bytes.subspan(5, lc);
            apdu.ne = bytes[n - 1] == 0 ? 256 : bytes[n - 1];
            return apdu;
        }
        return std::nullopt;
    }
    // Extended: 00 followed by two length bytes.
    apdu.extended = true;
    if (n < 7) {
        return std::nullopt;
    }
    const std::size_t first = (std::size_t{bytes[5]} << 8) | bytes[6];
    if (n == 7) {  // case 2 extended
        apdu.ne = first == 0 ? 65536 : first;
        return apdu;
    }
    if (first == 0) {
        return std::nullopt;
    }
    if (n == 7 + first) {
        apdu.data = bytes.subspan(7, first);
        return apdu;
    }
    if (n == 9 + first) {
        apdu.data = bytes.subspan(7, first);
        const std::size_t le = (std::size_t{bytes[n - 2]} << 8) | bytes[n - 1];
        apdu.ne = le == 0 ? 65536 : le;
        return apdu;
    }
    return std::nullopt;
}

Response status_only(std::uint16_t status) {
    Response r;
    r.sw = status;
    return r;
}

Response ok_with(std::span<const std::uint8_t> data) {
    Response r;
    r.data = Secret::copy_of(data);
    r.sw = sw::ok;
    return r;
}

void append_tlv(std::vector<std::uint8_t>& out, std::uint16_t tag,
                std::span<const std::uint8_t> value) {
    if (tag > 0xFF) {
        out.push_back(static_cast<std::uint8_t>(tag >> 8));
    }
    out.push_back(static_cast<std::uint8_t>(tag & 0xFF));
    const std::size_t len = value.size();
    if (len < 0x80) {
        out.push_back(static_cast<std::uint8_t>(len));
    } else if (len <= 0xFF) {
        out.push_back(0x81);
        out.push_back(static_cast<std::uint8_t>(len));
    } else {
        out.push_back(0x82);
        out.push_back(static_cast<std::uint8_t>(len >> 8));
        out.push_back(static_cast<std::uint8_t>(len & 0xFF));
    }
    out.insert(out.end(), value.begin(), value.end());
}

}  // namespace smk::cardsim
