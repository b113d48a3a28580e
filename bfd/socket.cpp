#include "socket.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/ip/v6_only.hpp>
#include <cerrno>
#include <cstring>

namespace vigil::bfd {

namespace ip = boost::asio::ip;

namespace {

std::string errno_text(const char* what) {
    return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

RxSocket::RxSocket(ip::udp::socket s, Handler h) : socket_(std::move(s)), handler_(std::move(h)) {}

RxSocket::~RxSocket() {
    *alive_ = false;
}

std::expected<std::unique_ptr<RxSocket>, std::string> RxSocket::open(boost::asio::io_context& io,
                                                                     bool ipv6, std::uint16_t port,
                                                                     Handler handler) {
    boost::system::error_code ec;
    ip::udp::socket s(io);
    s.open(ipv6 ? ip::udp::v6() : ip::udp::v4(), ec);
    if (ec) return std::unexpected("socket: " + ec.message());
    const int one = 1;
    if (ipv6) {
        s.set_option(ip::v6_only(true), ec);
        if (::setsockopt(s.native_handle(), IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one) < 0)
            return std::unexpected(errno_text("IPV6_RECVHOPLIMIT"));
    } else if (::setsockopt(s.native_handle(), IPPROTO_IP, IP_RECVTTL, &one, sizeof one) < 0) {
        return std::unexpected(errno_text("IP_RECVTTL"));
    }
    s.bind(
        ip::udp::endpoint(
            ipv6 ? ip::address(ip::address_v6::any()) : ip::address(ip::address_v4::any()), port),
        ec);
    if (ec) return std::unexpected("bind to port " + std::to_string(port) + ": " + ec.message());
    s.non_blocking(true, ec);
    auto r = std::make_unique<RxSocket>(std::move(s), std::move(handler));
    r->wait();
    return r;
}

void RxSocket::wait() {
    socket_.async_wait(ip::udp::socket::wait_read,
                       [this, alive = std::weak_ptr<bool>(alive_)](boost::system::error_code ec) {
                           if (ec || alive.expired()) return;
                           drain();
                           if (!alive.expired()) wait();
                       });
}

void RxSocket::drain() {
    const std::weak_ptr<bool> alive = alive_;
    // Bounded: a flood cannot keep the loop in one handler.
    for (int i = 0; i < 256; ++i) {
        sockaddr_storage from{};
        iovec iov{buffer_.data(), buffer_.size()};
        alignas(cmsghdr) std::array<char, 128> control{};
        msghdr msg{};
        msg.msg_name = &from;
        msg.msg_namelen = sizeof from;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.data();
        msg.msg_controllen = control.size();
        const ssize_t n = ::recvmsg(socket_.native_handle(), &msg, MSG_DONTWAIT);
        if (n < 0) return;
        Datagram d;
        d.bytes = std::span<const std::uint8_t>(buffer_.data(), static_cast<std::size_t>(n));
        if (from.ss_family == AF_INET) {
            const auto* a = reinterpret_cast<const sockaddr_in*>(&from);
            d.source = ip::address_v4(ntohl(a->sin_addr.s_addr));
        } else if (from.ss_family == AF_INET6) {
            const auto* a = reinterpret_cast<const sockaddr_in6*>(&from);
            ip::address_v6::bytes_type b;
            std::memcpy(b.data(), &a->sin6_addr, 16);
            auto v6 = ip::address_v6(b, a->sin6_scope_id);
            d.source = v6.is_v4_mapped() ? ip::address(ip::make_address_v4(ip::v4_mapped, v6))
                                         : ip::address(v6);
        } else {
            continue;
        }
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            int v = -1;
            if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
                (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
                std::memcpy(&v, CMSG_DATA(c), sizeof v);
                d.ttl = v;
            }
        }
        handler_(d);
        if (alive.expired()) return;
    }
}

std::expected<TxSocket, std::string> TxSocket::open(boost::asio::io_context& io,
                                                    const Address& neighbor,
                                                    const std::optional<Address>& source,
                                                    std::uint8_t ttl, std::uint64_t seed) {
    boost::system::error_code ec;
    ip::udp::socket s(io);
    const bool v6 = neighbor.is_v6();
    s.open(v6 ? ip::udp::v6() : ip::udp::v4(), ec);
    if (ec) return std::unexpected("socket: " + ec.message());
    const int t = ttl;
    if (v6) {
        if (::setsockopt(s.native_handle(), IPPROTO_IPV6, IPV6_UNICAST_HOPS, &t, sizeof t) < 0)
            return std::unexpected(errno_text("IPV6_UNICAST_HOPS"));
    } else if (::setsockopt(s.native_handle(), IPPROTO_IP, IP_TTL, &t, sizeof t) < 0) {
        return std::unexpected(errno_text("IP_TTL"));
    }
    s.non_blocking(true, ec);
    const ip::address local =
        source ? *source
               : (v6 ? ip::address(ip::address_v6::any()) : ip::address(ip::address_v4::any()));
    // RFC 5881 section 4: a source port in 49152-65535, one per session.
    constexpr unsigned first = 49152, count = 65536 - first;
    const unsigned start = static_cast<unsigned>(seed % count);
    for (unsigned i = 0; i < count; ++i) {
        const auto port = static_cast<std::uint16_t>(first + (start + i) % count);
        s.bind(ip::udp::endpoint(local, port), ec);
        if (!ec) return TxSocket(std::move(s), port);
        if (ec != boost::asio::error::address_in_use) break;
    }
    return std::unexpected("bind to " + local.to_string() + ": " + ec.message());
}

std::expected<void, std::string> TxSocket::send(std::span<const std::uint8_t> bytes,
                                                const Address& to, std::uint16_t port) {
    boost::system::error_code ec;
    socket_.send_to(boost::asio::buffer(bytes.data(), bytes.size()), ip::udp::endpoint(to, port), 0,
                    ec);
    if (ec) return std::unexpected(ec.message());
    return {};
}

}  // namespace vigil::bfd
