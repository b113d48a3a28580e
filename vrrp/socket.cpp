#include "socket.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

namespace vigil::vrrp {

namespace {

std::string err(std::string_view what) {
    return fmt::format("{}: {}", what, std::strerror(errno));
}

template <class T>
bool set_opt(int fd, int level, int name, const T& value) {
    return ::setsockopt(fd, level, name, &value, sizeof value) == 0;
}

// Closes the descriptor unless released to its owner.
struct FdGuard {
    int fd;
    ~FdGuard() {
        if (fd >= 0) ::close(fd);
    }
    int release() { return std::exchange(fd, -1); }
};

std::expected<void, std::string> setup_v4(int fd, const SocketOptions& o) {
    const int ttl = o.key.group ? kTtl : o.unicast_ttl;
    if (!set_opt(fd, IPPROTO_IP, IP_TTL, ttl)) return std::unexpected(err("IP_TTL"));
    if (!set_opt(fd, IPPROTO_IP, IP_PKTINFO, 1)) return std::unexpected(err("IP_PKTINFO"));
    if (!o.key.group) return {};
    if (!set_opt(fd, IPPROTO_IP, IP_MULTICAST_TTL, 255))
        return std::unexpected(err("IP_MULTICAST_TTL"));
    if (!set_opt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0))
        return std::unexpected(err("IP_MULTICAST_LOOP"));
    ip_mreqn mreq{};
    mreq.imr_ifindex = o.key.ifindex;
    if (!set_opt(fd, IPPROTO_IP, IP_MULTICAST_IF, mreq))
        return std::unexpected(err("IP_MULTICAST_IF"));
    if (!o.receive) return {};
    const auto group = o.key.group->to_v4().to_bytes();
    std::memcpy(&mreq.imr_multiaddr, group.data(), group.size());
    if (!set_opt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq))
        return std::unexpected(err("IP_ADD_MEMBERSHIP"));
    return {};
}

std::expected<void, std::string> setup_v6(int fd, const SocketOptions& o) {
    const int hops = o.key.group ? kTtl : o.unicast_ttl;
    if (!set_opt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, hops))
        return std::unexpected(err("IPV6_UNICAST_HOPS"));
    if (!set_opt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1))
        return std::unexpected(err("IPV6_RECVHOPLIMIT"));
    if (!set_opt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1))
        return std::unexpected(err("IPV6_RECVPKTINFO"));
    if (!o.key.group) return {};
    if (!set_opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255))
        return std::unexpected(err("IPV6_MULTICAST_HOPS"));
    if (!set_opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0))
        return std::unexpected(err("IPV6_MULTICAST_LOOP"));
    if (!set_opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, o.key.ifindex))
        return std::unexpected(err("IPV6_MULTICAST_IF"));
    if (!o.receive) return {};
    ipv6_mreq mreq{};
    const auto group = o.key.group->to_v6().to_bytes();
    std::memcpy(&mreq.ipv6mr_multiaddr, group.data(), group.size());
    mreq.ipv6mr_interface = static_cast<unsigned>(o.key.ifindex);
    if (!set_opt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, mreq))
        return std::unexpected(err("IPV6_ADD_MEMBERSHIP"));
    return {};
}

}  // namespace

Clock::time_point steady_arrival(const timespec& stamp, const timespec& real_now,
                                 Clock::time_point now) {
    // The packet's age is the same on both clocks; a stamp from the future (the wall clock was
    // stepped back) counts as now.
    const auto age = std::chrono::seconds(real_now.tv_sec - stamp.tv_sec) +
                     std::chrono::nanoseconds(real_now.tv_nsec - stamp.tv_nsec);
    if (age <= std::chrono::nanoseconds::zero()) return now;
    return now - std::chrono::duration_cast<Clock::duration>(age);
}

std::shared_ptr<ReceiveArea> ReceiveArea::make() {
    return std::make_unique_for_overwrite<ReceiveArea>();
}

std::expected<std::unique_ptr<VrrpSocket>, std::string> VrrpSocket::open(
    boost::asio::io_context& io, const Clock& clock, const SocketOptions& o,
    std::shared_ptr<ReceiveArea> area) {
    const int family = o.key.ipv6 ? AF_INET6 : AF_INET;
    FdGuard fd{::socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, kProtocol)};
    if (fd.fd < 0) return std::unexpected(err("socket(IPPROTO_VRRP)"));
    if (::setsockopt(fd.fd, SOL_SOCKET, SO_BINDTODEVICE, o.ifname.c_str(),
                     static_cast<socklen_t>(o.ifname.size())) != 0)
        return std::unexpected(err("SO_BINDTODEVICE " + o.ifname));
    // Arrival stamps: timers run from when a packet came, not from when it was read.
    if (!set_opt(fd.fd, SOL_SOCKET, SO_TIMESTAMPNS, 1))
        return std::unexpected(err("SO_TIMESTAMPNS on " + o.ifname));
    if (!o.receive && !set_opt(fd.fd, SOL_SOCKET, SO_RCVBUF, 0))  // the kernel's minimum
        return std::unexpected(err("SO_RCVBUF on " + o.ifname));
    auto r = o.key.ipv6 ? setup_v6(fd.fd, o) : setup_v4(fd.fd, o);
    if (!r) return std::unexpected(fmt::format("{} on {}", r.error(), o.ifname));
    std::unique_ptr<VrrpSocket> s(new VrrpSocket(io, clock, fd.release(), o));
    s->area_ = std::move(area);
    return s;
}

VrrpSocket::VrrpSocket(boost::asio::io_context& io, const Clock& clock, int fd,
                       SocketOptions options)
    : options_(std::move(options)), clock_(clock), fd_(io, fd) {}

VrrpSocket::~VrrpSocket() {
    *alive_ = false;
}

void VrrpSocket::start(Handler handler) {
    handler_ = std::move(handler);
    arm();
}

void VrrpSocket::arm() {
    fd_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                   [this, alive = alive_](const boost::system::error_code& ec) {
                       if (ec || !*alive) return;
                       drain();
                   });
}

void VrrpSocket::drain() {
    // Bounded so that a flood cannot starve the timers; the rest waits for the next turn.
    constexpr std::size_t kPerTurn = 64;
    auto alive = alive_;
    if (!area_) area_ = ReceiveArea::make();
    const auto area = area_;  // a handler may end this socket mid-batch
    std::size_t taken = 0;
    while (taken < kPerTurn && *alive) {
        const std::size_t want = std::min(ReceiveArea::kBatch, kPerTurn - taken);
        for (std::size_t i = 0; i < want; ++i) {
            auto& slot = area->slots[i];
            slot.iov = {slot.data.data(), slot.data.size()};
            msghdr& msg = area->messages[i].msg_hdr;
            msg = {};
            msg.msg_name = &slot.from;
            msg.msg_namelen = sizeof slot.from;
            msg.msg_iov = &slot.iov;
            msg.msg_iovlen = 1;
            msg.msg_control = slot.control.data();
            msg.msg_controllen = slot.control.size();
            area->messages[i].msg_len = 0;
        }
        const int n = ::recvmmsg(fd_.native_handle(), area->messages.data(),
                                 static_cast<unsigned>(want), MSG_DONTWAIT, nullptr);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                ++counters_.receive_errors;
            if (errno != EINTR) break;
            continue;
        }
        // One look at both clocks per batch: the stamps map through them.
        timespec real{};
        ::clock_gettime(CLOCK_REALTIME, &real);
        const auto now = clock_.now();
        for (int i = 0; i < n && *alive; ++i) {
            const auto& m = area->messages[static_cast<std::size_t>(i)];
            deliver(m.msg_hdr,
                    std::span<const std::uint8_t>(
                        area->slots[static_cast<std::size_t>(i)].data.data(), m.msg_len),
                    real, now);
        }
        taken += static_cast<std::size_t>(n);
        if (static_cast<std::size_t>(n) < want) break;  // nothing more waiting
    }
    if (*alive) arm();
}

void VrrpSocket::deliver(const msghdr& msg, std::span<const std::uint8_t> data,
                         const timespec& real, Clock::time_point now) {
    ++counters_.received;
    if (msg.msg_flags & MSG_TRUNC) {
        ++counters_.truncated;
        return;
    }
    RawPacket p;
    auto* m = const_cast<msghdr*>(&msg);  // CMSG_NXTHDR takes a non-const header
    for (cmsghdr* c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            timespec ts{};
            std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
            p.arrival = steady_arrival(ts, real, now);
        }
    if (!options_.key.ipv6) {
        auto ip = split_ipv4(data);
        if (!ip) {
            ++counters_.receive_errors;
            return;
        }
        p.src = ip->src;
        p.dst = ip->dst;
        p.ttl = ip->ttl;
        p.message = ip->payload;
    } else {
        const auto* sin6 = static_cast<const sockaddr_in6*>(msg.msg_name);
        boost::asio::ip::address_v6::bytes_type b;
        std::memcpy(b.data(), &sin6->sin6_addr, b.size());
        p.src = boost::asio::ip::address_v6(b);
        p.message = data;
        for (cmsghdr* c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
            if (c->cmsg_level != IPPROTO_IPV6) continue;
            if (c->cmsg_type == IPV6_HOPLIMIT) {
                int hops = 0;
                std::memcpy(&hops, CMSG_DATA(c), sizeof hops);
                p.ttl = static_cast<std::uint8_t>(hops);
            } else if (c->cmsg_type == IPV6_PKTINFO) {
                in6_pktinfo info{};
                std::memcpy(&info, CMSG_DATA(c), sizeof info);
                std::memcpy(b.data(), &info.ipi6_addr, b.size());
                p.dst = boost::asio::ip::address_v6(b);
            }
        }
    }
    // Every raw socket of the family sees every VRRP datagram on the link: keep ours.
    const bool multicast_dst = p.dst.is_multicast();
    if (options_.key.group ? p.dst != *options_.key.group : multicast_dst) {
        ++counters_.wrong_destination;
        return;
    }
    if (handler_) handler_(p);
}

void VrrpSocket::address(Outgoing& o, const Address& src, const Address& dst) const {
    o.to = {};
    o.control = {};
    msghdr msg{};
    msg.msg_control = o.control.data();
    if (dst.is_v4()) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&o.to);
        sin->sin_family = AF_INET;
        const auto b = dst.to_v4().to_bytes();
        std::memcpy(&sin->sin_addr, b.data(), b.size());
        o.to_length = sizeof(sockaddr_in);
        msg.msg_controllen = o.control_length = CMSG_SPACE(sizeof(in_pktinfo));
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
        in_pktinfo info{};
        info.ipi_ifindex = options_.key.ifindex;
        const auto s = src.to_v4().to_bytes();
        std::memcpy(&info.ipi_spec_dst, s.data(), s.size());
        std::memcpy(CMSG_DATA(c), &info, sizeof info);
    } else {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&o.to);
        sin6->sin6_family = AF_INET6;
        const auto b = dst.to_v6().to_bytes();
        std::memcpy(&sin6->sin6_addr, b.data(), b.size());
        if (dst.to_v6().is_link_local() || dst.is_multicast())
            sin6->sin6_scope_id = static_cast<std::uint32_t>(options_.key.ifindex);
        o.to_length = sizeof(sockaddr_in6);
        msg.msg_controllen = o.control_length = CMSG_SPACE(sizeof(in6_pktinfo));
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
        in6_pktinfo info{};
        info.ipi6_ifindex = static_cast<unsigned>(options_.key.ifindex);
        const auto s = src.to_v6().to_bytes();
        std::memcpy(&info.ipi6_addr, s.data(), s.size());
        std::memcpy(CMSG_DATA(c), &info, sizeof info);
    }
}

std::expected<void, std::string> VrrpSocket::send(std::span<const std::uint8_t> message,
                                                  const Address& src, const Address& dst) {
    Outgoing o;
    address(o, src, dst);
    iovec iov{const_cast<std::uint8_t*>(message.data()), message.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = o.control.data();
    msg.msg_controllen = o.control_length;
    msg.msg_name = &o.to;
    msg.msg_namelen = o.to_length;
    if (::sendmsg(fd_.native_handle(), &msg, MSG_DONTWAIT) < 0) {
        ++counters_.send_failed;
        return std::unexpected(err(fmt::format("send to {}", dst.to_string())));
    }
    ++counters_.sent;
    return {};
}

void VrrpSocket::queue(std::span<const std::uint8_t> message, const Address& src,
                       const Address& dst) {
    if (batch_.size() == kBatch) flush();
    Outgoing& o = batch_.emplace_back();
    o.offset = batch_bytes_.size();
    o.length = message.size();
    batch_bytes_.insert(batch_bytes_.end(), message.begin(), message.end());
    address(o, src, dst);
}

void VrrpSocket::flush() {
    std::array<mmsghdr, kBatch> msgs{};
    std::array<iovec, kBatch> iovs{};
    const std::size_t n = batch_.size();
    for (std::size_t i = 0; i < n; ++i) {
        auto& o = batch_[i];
        iovs[i] = {batch_bytes_.data() + o.offset, o.length};
        auto& h = msgs[i].msg_hdr;
        h.msg_iov = &iovs[i];
        h.msg_iovlen = 1;
        h.msg_name = &o.to;
        h.msg_namelen = o.to_length;
        h.msg_control = o.control.data();
        h.msg_controllen = o.control_length;
    }
    // sendmmsg stops at the first failure: count it and go on with the rest.
    std::size_t done = 0;
    for (std::size_t tries = 0; done < n && tries < n; ++tries) {
        const int r = ::sendmmsg(fd_.native_handle(), msgs.data() + done,
                                 static_cast<unsigned>(n - done), MSG_DONTWAIT);
        if (r > 0) {
            counters_.sent += static_cast<std::uint64_t>(r);
            done += static_cast<std::size_t>(r);
            continue;
        }
        if (r < 0 && errno == EINTR) continue;
        ++counters_.send_failed;
        ++done;
    }
    batch_.clear();
    batch_bytes_.clear();
}

}  // namespace vigil::vrrp
