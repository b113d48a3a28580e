// PING_CHECK: one ICMP / ICMPv6 echo, answered within connect_timeout. An unprivileged ping
// socket (net.ipv4.ping_group_range) is tried first, a raw socket (CAP_NET_RAW) second; the
// pool's sysctls are never changed.
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "ping_codec.hpp"
#include "probe.hpp"
#include "socket_options.hpp"

#ifndef ICMP_FILTER
#define ICMP_FILTER 1
#endif

namespace vigil::checkers {

namespace {

struct IcmpSocket {
    int fd = -1;
    bool raw = false;
    int error = 0;
};

IcmpSocket open_icmp(bool v6) {
    int family = v6 ? AF_INET6 : AF_INET;
    int proto = v6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP};
    IcmpSocket s;
    s.fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (s.fd >= 0) return s;
    int dgram_errno = errno;
    s.fd = ::socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (s.fd >= 0) {
        s.raw = true;
        // Only echo replies wake us: every ICMP message of the host reaches a raw socket.
        if (v6) {
            icmp6_filter f;
            ICMP6_FILTER_SETBLOCKALL(&f);
            ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
            ::setsockopt(s.fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof f);
        } else {
            std::uint32_t mask = ~(1u << 0);  // pass type 0, echo reply
            ::setsockopt(s.fd, SOL_RAW, ICMP_FILTER, &mask, sizeof mask);
        }
        return s;
    }
    s.error = dgram_errno == EACCES || dgram_errno == EPERM ? errno : dgram_errno;
    return s;
}

std::string errno_text(int e) {
    return std::strerror(e);
}

class PingProbe : public SocketProbe<boost::asio::posix::stream_descriptor>,
                  public std::enable_shared_from_this<PingProbe> {
  public:
    PingProbe(ProbeEnv& env, ProbeDone done) : SocketProbe(env, std::move(done)) {}

    void start(const Address& dst, const SocketOptions& opts, Duration timeout, std::uint16_t id,
               std::uint16_t seq) {
        v6_ = dst.is_v6();
        id_ = id;
        seq_ = seq;
        for (std::size_t i = 0; i < payload_.size(); ++i) {
            payload_[i] = static_cast<std::uint8_t>(id + i * 7 + seq);
        }
        if (int e = open_and_send(dst, opts)) {
            return fail_later(shared_from_this(), Failure::network, "ICMP echo: " + errno_text(e));
        }
        arm_deadline(timeout);
        wait();
    }

  private:
    void expired() override {
        auto self = shared_from_this();
        finish(ProbeOutcome::fail(Failure::no_echo_reply, "no ICMP echo reply"));
    }

    int open_and_send(const Address& dst, const SocketOptions& o) {
        IcmpSocket s = open_icmp(v6_);
        if (s.fd < 0) return s.error;
        raw_ = s.raw;
        boost::system::error_code ec;
        sock_.assign(s.fd, ec);  // owns the fd from here
        if (ec) {
            ::close(s.fd);
            return ec.value();
        }
        int fd = s.fd;
        if (!o.bind_if.empty() && ::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o.bind_if.c_str(),
                                               static_cast<socklen_t>(o.bind_if.size())) != 0) {
            return errno;
        }
        if (o.fwmark != 0 &&
            ::setsockopt(fd, SOL_SOCKET, SO_MARK, &o.fwmark, sizeof o.fwmark) != 0) {
            return errno;
        }
        sockaddr_storage ss{};
        socklen_t len = 0;
        auto fill = [&](const Address& a) {
            std::memset(&ss, 0, sizeof ss);
            if (a.is_v6()) {
                auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
                s6->sin6_family = AF_INET6;
                auto b = a.to_v6().to_bytes();
                std::memcpy(&s6->sin6_addr, b.data(), b.size());
                s6->sin6_scope_id = a.to_v6().scope_id();
                len = sizeof(sockaddr_in6);
            } else {
                auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
                s4->sin_family = AF_INET;
                auto b = a.to_v4().to_bytes();
                std::memcpy(&s4->sin_addr, b.data(), b.size());
                len = sizeof(sockaddr_in);
            }
        };
        if (o.bind_ip) {
            fill(*o.bind_ip);
            if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return errno;
        }
        fill(dst);
        // Connected: the kernel delivers only the target's packets to this socket.
        if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return errno;
        if (!raw_) {
            // A ping socket's echo id is its local "port", chosen by the kernel.
            sockaddr_storage local{};
            socklen_t llen = sizeof local;
            if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &llen) == 0) {
                id_ = ntohs(v6_ ? reinterpret_cast<sockaddr_in6*>(&local)->sin6_port
                                : reinterpret_cast<sockaddr_in*>(&local)->sin_port);
            }
        }
        auto pkt = build_echo_request(v6_, id_, seq_, payload_);
        if (::send(fd, pkt.data(), pkt.size(), 0) < 0) return errno;
        return 0;
    }

    void wait() {
        sock_.async_wait(
            boost::asio::posix::descriptor_base::wait_read,
            [self = shared_from_this()](const boost::system::error_code& ec) {
                if (self->finished_) return;
                if (ec) {
                    return self->finish(ProbeOutcome::fail(Failure::network, ec.message()));
                }
                self->drain();
            });
    }

    void drain() {
        // Bounded: at most 64 datagrams a wake-up, then wait again.
        for (int i = 0; i < 64; ++i) {
            ssize_t n = ::recv(sock_.native_handle(), buf_.data(), buf_.size(), 0);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) break;
                if (errno == EINTR) continue;
                // An ICMP error for our echo (host or net unreachable) on a connected socket.
                return finish(
                    ProbeOutcome::fail(errno == ECONNREFUSED ? Failure::refused : Failure::network,
                                       "ICMP echo: " + errno_text(errno)));
            }
            auto m = match_echo_reply(std::span(buf_.data(), static_cast<std::size_t>(n)), v6_,
                                      raw_ && !v6_, raw_, id_, seq_, payload_);
            if (m == EchoMatch::reply) return finish(ProbeOutcome::success());
        }
        wait();
    }

    std::array<std::uint8_t, 56> payload_{};
    std::array<std::uint8_t, 1500> buf_{};
    bool v6_ = false;
    bool raw_ = false;
    std::uint16_t id_ = 0;
    std::uint16_t seq_ = 0;
};

}  // namespace

std::shared_ptr<Probe> start_ping_probe(ProbeEnv& env, std::shared_ptr<const CheckConfig> cfg,
                                        ProbeDone done) {
    auto p = std::make_shared<PingProbe>(env, std::move(done));
    auto r = env.random();
    p->start(cfg->effective_ip(), SocketOptions::from(*cfg), cfg->connect_timeout,
             static_cast<std::uint16_t>(r), static_cast<std::uint16_t>(r >> 16));
    return p;
}

}  // namespace vigil::checkers
