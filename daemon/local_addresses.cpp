#include "local_addresses.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>
#include <cerrno>
#include <cstring>
#include <optional>

namespace vigil {

std::vector<AddressEvent> parse_address_messages(std::span<const std::byte> buf) {
    std::vector<AddressEvent> out;
    const auto* data = reinterpret_cast<const unsigned char*>(buf.data());
    std::size_t left = buf.size();
    std::size_t off = 0;
    while (left >= sizeof(nlmsghdr)) {
        nlmsghdr h;
        std::memcpy(&h, data + off, sizeof h);
        if (h.nlmsg_len < sizeof h || h.nlmsg_len > left) break;
        if ((h.nlmsg_type == RTM_NEWADDR || h.nlmsg_type == RTM_DELADDR) &&
            h.nlmsg_len >= NLMSG_LENGTH(sizeof(ifaddrmsg))) {
            ifaddrmsg ifa;
            std::memcpy(&ifa, data + off + NLMSG_HDRLEN, sizeof ifa);
            std::size_t a = off + NLMSG_LENGTH(sizeof(ifaddrmsg));
            a = off + NLMSG_ALIGN(a - off);
            const std::size_t end = off + h.nlmsg_len;
            // IFA_LOCAL is the interface's own address on point-to-point links; else IFA_ADDRESS.
            std::optional<IpAddress> local, address;
            while (a + sizeof(rtattr) <= end) {
                rtattr ra;
                std::memcpy(&ra, data + a, sizeof ra);
                if (ra.rta_len < sizeof ra || a + ra.rta_len > end) break;
                const std::size_t len = ra.rta_len - RTA_LENGTH(0);
                const unsigned char* v = data + a + RTA_LENGTH(0);
                std::optional<IpAddress> got;
                if (ifa.ifa_family == AF_INET && len == 4) {
                    boost::asio::ip::address_v4::bytes_type b;
                    std::memcpy(b.data(), v, 4);
                    got = boost::asio::ip::address_v4(b);
                } else if (ifa.ifa_family == AF_INET6 && len == 16) {
                    boost::asio::ip::address_v6::bytes_type b;
                    std::memcpy(b.data(), v, 16);
                    got = boost::asio::ip::address_v6(b);
                }
                if (ra.rta_type == IFA_LOCAL) local = got;
                if (ra.rta_type == IFA_ADDRESS) address = got;
                a += RTA_ALIGN(ra.rta_len);
            }
            if (auto ip = local ? local : address)
                out.push_back({*ip, int(ifa.ifa_index), h.nlmsg_type == RTM_NEWADDR});
        }
        const std::size_t step = NLMSG_ALIGN(h.nlmsg_len);
        if (step >= left) break;
        off += step;
        left -= step;
    }
    return out;
}

namespace {

bool dump_done(std::span<const std::byte> buf) {
    std::size_t off = 0;
    while (off + sizeof(nlmsghdr) <= buf.size()) {
        nlmsghdr h;
        std::memcpy(&h, buf.data() + off, sizeof h);
        if (h.nlmsg_type == NLMSG_DONE || h.nlmsg_type == NLMSG_ERROR) return true;
        if (h.nlmsg_len < sizeof h) break;
        off += NLMSG_ALIGN(h.nlmsg_len);
    }
    return false;
}

}  // namespace

bool vs_address_local(const ipvs::VirtualServerConfig& vs,
                      const std::function<bool(const IpAddress&)>& is_local) {
    bool any_address = false;
    for (const auto& k : vs.keys) {
        if (!k.address) continue;
        any_address = true;
        if (is_local(*k.address)) return true;
    }
    return !any_address;
}

LocalAddresses::LocalAddresses(boost::asio::io_context& io) : sock_(io) {}

std::expected<void, std::string> LocalAddresses::start(std::function<void()> on_change) {
    on_change_ = std::move(on_change);
    int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return std::unexpected(std::string("rtnetlink: ") + std::strerror(errno));
    sock_.assign(fd);  // owned from here
    sockaddr_nl sa{};
    sa.nl_family = AF_NETLINK;
    sa.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
        return std::unexpected(std::string("rtnetlink bind: ") + std::strerror(errno));
    if (auto r = request_dump(); !r) return r;
    // Read the first dump at once: checkers must not start suspended for want of it.
    for (bool done = false; !done;) {
        ssize_t n = ::recv(fd, buf_.data(), buf_.size(), 0);
        if (n < 0 && errno == EAGAIN) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 2000) <= 0) return std::unexpected("rtnetlink dump: no answer");
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return std::unexpected(std::string("rtnetlink dump: ") + std::strerror(errno));
        std::span<const std::byte> got{buf_.data(), std::size_t(n)};
        for (const auto& e : parse_address_messages(got))
            if (e.added) on_[e.address].insert(e.ifindex);
        done = dump_done(got);
    }
    arm();
    return {};
}

std::expected<void, std::string> LocalAddresses::request_dump() {
    struct {
        nlmsghdr h;
        ifaddrmsg ifa;
    } req{};
    req.h.nlmsg_len = sizeof req;
    req.h.nlmsg_type = RTM_GETADDR;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.ifa.ifa_family = AF_UNSPEC;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(sock_.native_handle(), &req, sizeof req, 0, reinterpret_cast<sockaddr*>(&kernel),
                 sizeof kernel) < 0)
        return std::unexpected(std::string("rtnetlink dump: ") + std::strerror(errno));
    return {};
}

void LocalAddresses::arm() {
    sock_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                     [this](const boost::system::error_code& ec) {
                         if (ec) return;
                         on_readable();
                     });
}

void LocalAddresses::on_readable() {
    bool changed = false;
    while (true) {
        ssize_t n = ::recv(sock_.native_handle(), buf_.data(), buf_.size(), 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == ENOBUFS) {  // events were lost: start over from a fresh dump
                on_.clear();
                changed = true;
                if (!request_dump()) break;
                continue;
            }
            break;  // EAGAIN: drained
        }
        for (const auto& e : parse_address_messages({buf_.data(), std::size_t(n)})) {
            if (e.added) {
                changed |= on_[e.address].insert(e.ifindex).second;
            } else if (auto it = on_.find(e.address); it != on_.end()) {
                changed |= it->second.erase(e.ifindex) > 0;
                if (it->second.empty()) on_.erase(it);
            }
        }
    }
    if (changed && on_change_) on_change_();
    arm();
}

}  // namespace vigil
