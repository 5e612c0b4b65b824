#include "vpcd_link.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace smk::cardsim {

VpcdLink::~VpcdLink() {
    close();
}

void VpcdLink::close() noexcept {
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
}

bool VpcdLink::connect(const std::string& host, std::uint16_t port, std::string& why) {
    close();
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    const int gai = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
    if (gai != 0) {
        why = ::gai_strerror(gai);
        return false;
    }
    for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
        const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            why = std::strerror(errno);
            continue;
        }
        if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            const int one = 1;
            (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            m_fd = fd;
            break;
        }
        why = std::strerror(errno);
        ::close(fd);
    }
    ::freeaddrinfo(found);
    return m_fd >= 0;
}

bool VpcdLink::read_exact(std::uint8_t* out, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
        // vpcd sends a frame's 2-byte length and its payload in two writes
        // without TCP_NODELAY: Nagle holds the payload until the length is
        // acknowledged, and a delayed ACK waits 40 ms, once per APDU (measured:
        // 43 ms per APDU, 0.5 s per card write). Quick ACKs end the wait; Linux
        // clears the flag as it goes, so it is set before every read.
        const int one = 1;
        (void)::setsockopt(m_fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
        const ssize_t r = ::recv(m_fd, out + got, n - got, 0);
        if (r <= 0) {
            close();  // EOF, error or a signal: the caller decides whether to reconnect
            return false;
        }
        got += static_cast<std::size_t>(r);
    }
    return true;
}

std::optional<Secret> VpcdLink::receive() {
    if (m_fd < 0) {
        return std::nullopt;
    }
    std::array<std::uint8_t, 2> header{};
    if (!read_exact(header.data(), header.size())) {
        return std::nullopt;
    }
    const std::size_t len = (std::size_t{header[0]} << 8) | header[1];
    Secret payload(len);
    if (len > 0 && !read_exact(payload.data(), len)) {
        return std::nullopt;
    }
    return payload;
}

bool VpcdLink::send(std::span<const std::uint8_t> payload) {
    if (m_fd < 0 || payload.size() > 0xFFFF) {
        return false;
    }
    Secret frame(payload.size() + 2);
    frame.data()[0] = static_cast<std::uint8_t>(payload.size() >> 8);
    frame.data()[1] = static_cast<std::uint8_t>(payload.size() & 0xFF);
    std::memcpy(frame.data() + 2, payload.data(), payload.size());
    std::size_t sent = 0;
    while (sent < frame.size()) {
        const ssize_t n = ::send(m_fd, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            close();
            return false;
        }
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace smk::cardsim
