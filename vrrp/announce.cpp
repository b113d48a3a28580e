#include "announce.hpp"

#include <fmt/format.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

namespace vigil::vrrp {

namespace {

template <typename It>
It put16(It out, std::uint16_t v) {
    *out++ = static_cast<std::uint8_t>(v >> 8);
    *out++ = static_cast<std::uint8_t>(v & 0xff);
    return out;
}

template <typename It, typename Bytes>
It put(It out, const Bytes& bytes) {
    for (auto b : bytes) *out++ = static_cast<std::uint8_t>(b);
    return out;
}

constexpr MacAddress kBroadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr MacAddress kAllNodesMac{0x33, 0x33, 0x00, 0x00, 0x00, 0x01};
constexpr std::array<std::uint8_t, 16> kAllNodes{0xff, 0x02, 0, 0, 0, 0, 0, 0,
                                                 0,    0,    0, 0, 0, 0, 0, 1};

}  // namespace

GarpFrame build_garp(const MacAddress& mac, boost::asio::ip::address_v4 vip) {
    GarpFrame f{};
    auto out = f.begin();
    out = put(out, kBroadcast);
    out = put(out, mac);
    out = put16(out, ETHERTYPE_ARP);
    out = put16(out, 1);             // hardware: Ethernet
    out = put16(out, ETHERTYPE_IP);  // protocol: IPv4
    *out++ = 6;
    *out++ = 4;
    out = put16(out, 1);  // request
    out = put(out, mac);
    out = put(out, vip.to_bytes());
    out = put(out, kBroadcast);
    put(out, vip.to_bytes());
    return f;
}

std::uint16_t icmp6_checksum(const std::array<std::uint8_t, 16>& src,
                             const std::array<std::uint8_t, 16>& dst,
                             std::span<const std::uint8_t> icmp) {
    std::uint32_t sum = 0;
    auto add = [&sum](std::span<const std::uint8_t> bytes) {
        for (std::size_t i = 0; i < bytes.size(); i += 2) {
            std::uint16_t word = static_cast<std::uint16_t>(bytes[i] << 8);
            if (i + 1 < bytes.size()) word |= bytes[i + 1];
            sum += word;
        }
    };
    add(src);
    add(dst);
    const auto len = static_cast<std::uint32_t>(icmp.size());
    sum += len >> 16;
    sum += len & 0xffff;
    sum += 58;  // next header: ICMPv6
    add(icmp);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum & 0xffff);
}

NaFrame build_unsolicited_na(const MacAddress& mac, boost::asio::ip::address_v6 vip, bool router) {
    NaFrame f{};
    const auto target = vip.to_bytes();
    auto out = f.begin();
    out = put(out, kAllNodesMac);
    out = put(out, mac);
    out = put16(out, ETHERTYPE_IPV6);
    // IPv6 header
    *out++ = 0x60;
    *out++ = 0;
    *out++ = 0;
    *out++ = 0;
    out = put16(out, 24 + 8);
    *out++ = 58;   // ICMPv6
    *out++ = 255;  // hop limit: receivers drop NDISC with anything else
    out = put(out, target);
    out = put(out, kAllNodes);
    // Neighbour advertisement
    const auto icmp_begin = out;
    *out++ = 136;                                                    // type
    *out++ = 0;                                                      // code
    out = put16(out, 0);                                             // checksum, filled below
    *out++ = static_cast<std::uint8_t>((router ? 0x80 : 0) | 0x20);  // R, S=0, O
    *out++ = 0;
    *out++ = 0;
    *out++ = 0;
    out = put(out, target);
    *out++ = 2;  // option: target link-layer address
    *out++ = 1;  // length in units of 8 bytes
    put(out, mac);
    std::span<const std::uint8_t> icmp(&*icmp_begin, 24 + 8);
    const std::uint16_t sum = icmp6_checksum(target, kAllNodes, icmp);
    put16(icmp_begin + 2, sum);
    return f;
}

bool ipv6_forwarding(std::string_view ifname) {
    std::ifstream in(fmt::format("/proc/sys/net/ipv6/conf/{}/forwarding", ifname));
    int value = 0;
    return in >> value && value != 0;
}

std::expected<Announcer, std::string> Announcer::open() {
    int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::unexpected(fmt::format("packet socket: {}", std::strerror(errno)));
    return Announcer(fd);
}

Announcer::Announcer(Announcer&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), counters_(other.counters_) {}

Announcer& Announcer::operator=(Announcer&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
        counters_ = other.counters_;
    }
    return *this;
}

Announcer::~Announcer() {
    if (fd_ >= 0) ::close(fd_);
}

std::expected<void, std::string> Announcer::send(int ifindex, const MacAddress& dst,
                                                 std::span<const std::uint8_t> frame) {
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = ifindex;
    sll.sll_halen = 6;
    std::memcpy(sll.sll_addr, dst.data(), dst.size());
    // A send on a packet socket never waits for the wire; MSG_DONTWAIT keeps it that way.
    ssize_t n = ::sendto(fd_, frame.data(), frame.size(), MSG_DONTWAIT,
                         reinterpret_cast<const sockaddr*>(&sll), sizeof(sll));
    if (n < 0) return std::unexpected(fmt::format("ifindex {}: {}", ifindex, std::strerror(errno)));
    if (static_cast<std::size_t>(n) != frame.size())
        return std::unexpected(fmt::format("ifindex {}: short send", ifindex));
    return {};
}

std::expected<void, std::string> Announcer::send_garp(int ifindex, const MacAddress& src_mac,
                                                      boost::asio::ip::address_v4 vip) {
    const GarpFrame frame = build_garp(src_mac, vip);
    auto r = send(ifindex, kBroadcast, frame);
    if (!r) {
        ++counters_.garp_failed;
        return std::unexpected("gratuitous ARP for " + vip.to_string() + ": " + r.error());
    }
    ++counters_.garp_sent;
    return {};
}

std::expected<void, std::string> Announcer::send_unsolicited_na(int ifindex, const MacAddress& mac,
                                                                boost::asio::ip::address_v6 vip,
                                                                bool router) {
    const NaFrame frame = build_unsolicited_na(mac, vip, router);
    auto r = send(ifindex, kAllNodesMac, frame);
    if (!r) {
        ++counters_.na_failed;
        return std::unexpected("neighbour advertisement for " + vip.to_string() + ": " + r.error());
    }
    ++counters_.na_sent;
    return {};
}

}  // namespace vigil::vrrp
