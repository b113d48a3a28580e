// Gratuitous ARP and unsolicited neighbour advertisements, sent as keepalived sends them.
#pragma once

#include <array>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>

#include "mac.hpp"

namespace vigil::vrrp {

inline constexpr std::size_t kGarpFrameSize = 14 + 28;         // Ethernet + ARP
inline constexpr std::size_t kNaFrameSize = 14 + 40 + 24 + 8;  // Ethernet + IPv6 + NA + option
using GarpFrame = std::array<std::uint8_t, kGarpFrameSize>;
using NaFrame = std::array<std::uint8_t, kNaFrameSize>;

// Broadcast ARP request "who-has VIP tell VIP" from mac (target hardware address all ones).
GarpFrame build_garp(const MacAddress& mac, boost::asio::ip::address_v4 vip);

// Unsolicited NA for vip from vip to ff02::1 (33:33:00:00:00:01), hop limit 255, override set,
// solicited clear, router flag as given, target link-layer address option = mac.
NaFrame build_unsolicited_na(const MacAddress& mac, boost::asio::ip::address_v6 vip, bool router);

// Internet checksum of the ICMPv6 message with the IPv6 pseudo-header.
std::uint16_t icmp6_checksum(const std::array<std::uint8_t, 16>& src,
                             const std::array<std::uint8_t, 16>& dst,
                             std::span<const std::uint8_t> icmp);

// /proc/sys/net/ipv6/conf/<ifname>/forwarding, which sets the NA router flag as in keepalived.
bool ipv6_forwarding(std::string_view ifname);

struct AnnounceCounters {
    std::uint64_t garp_sent = 0;
    std::uint64_t garp_failed = 0;
    std::uint64_t na_sent = 0;
    std::uint64_t na_failed = 0;
};

// Owns one AF_PACKET socket that only sends (protocol 0: it receives nothing).
class Announcer {
  public:
    static std::expected<Announcer, std::string> open();
    Announcer(Announcer&& other) noexcept;
    Announcer& operator=(Announcer&& other) noexcept;
    Announcer(const Announcer&) = delete;
    Announcer& operator=(const Announcer&) = delete;
    ~Announcer();

    std::expected<void, std::string> send_garp(int ifindex, const MacAddress& src_mac,
                                               boost::asio::ip::address_v4 vip);
    std::expected<void, std::string> send_unsolicited_na(int ifindex, const MacAddress& mac,
                                                         boost::asio::ip::address_v6 vip,
                                                         bool router = false);

    const AnnounceCounters& counters() const { return counters_; }

  private:
    explicit Announcer(int fd) : fd_(fd) {}
    std::expected<void, std::string> send(int ifindex, const MacAddress& dst,
                                          std::span<const std::uint8_t> frame);
    int fd_ = -1;
    AnnounceCounters counters_;
};

}  // namespace vigil::vrrp
