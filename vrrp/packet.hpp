// VRRP advertisement codec (RFC 3768 v2, RFC 5798 v3) and the checks a receiver applies.
// Pure functions over byte spans: no sockets, no clocks.
#pragma once

#include <array>
#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string_view>
#include <vector>

namespace vigil::vrrp {

inline constexpr std::uint8_t kProtocol = 112;
inline constexpr std::uint8_t kTtl = 255;
inline constexpr std::size_t kHeaderSize = 8;
inline constexpr std::size_t kAuthSize = 8;  // v2 only

enum class DropReason : std::uint8_t {
    too_short,
    bad_ip_header,
    bad_version,
    bad_type,
    bad_checksum,
    bad_ttl,
    unknown_vrid,
    family_mismatch,
    addr_count_mismatch,
    addr_list_mismatch,
    auth_type_mismatch,
    auth_mismatch,
    interval_mismatch,
    bad_interval,
    not_from_peer,
    own_packet,
    wrong_version,  // a v2 packet for a v3 instance or the reverse
    count_,
};
inline constexpr std::size_t kDropReasonCount = static_cast<std::size_t>(DropReason::count_);
std::string_view to_string(DropReason);

enum class AuthType : std::uint8_t { none = 0, pass = 1, ah = 2 };

struct Advert {
    int version = 2;
    std::uint8_t vrid = 0;
    std::uint8_t priority = 0;
    AuthType auth_type = AuthType::none;              // v2
    std::array<std::uint8_t, kAuthSize> auth{};       // v2: password, zero padded
    std::uint16_t interval_cs = 100;                  // centiseconds; v2 carries whole seconds
    std::vector<boost::asio::ip::address> addresses;  // all of one family
    bool operator==(const Advert&) const = default;
};

// RFC 1071 one's complement sum, folded and complemented.
std::uint16_t inet_checksum(std::span<const std::uint8_t> data, std::uint32_t initial = 0);

// The VRRP message (no IP header). src/dst are the IP header's addresses; only v3 uses them
// (pseudo-header). All addresses must be of one family, the family of src.
std::vector<std::uint8_t> encode(const Advert& advert, const boost::asio::ip::address& src,
                                 const boost::asio::ip::address& dst);

// Parses a VRRP message (no IP header) and verifies its checksum.
std::expected<Advert, DropReason> decode(std::span<const std::uint8_t> message,
                                         const boost::asio::ip::address& src,
                                         const boost::asio::ip::address& dst);

// The parts of a received IPv4 datagram that matter to VRRP.
struct Ipv4Datagram {
    std::uint8_t ttl = 0;
    std::uint8_t protocol = 0;
    boost::asio::ip::address_v4 src, dst;
    std::span<const std::uint8_t> payload;
};
std::expected<Ipv4Datagram, DropReason> split_ipv4(std::span<const std::uint8_t> datagram);

// What an instance expects of a peer's advert.
struct Expectation {
    int version = 2;
    std::uint8_t vrid = 0;
    bool ipv6 = false;
    bool unicast = false;  // TTL is checked for multicast only
    AuthType auth_type = AuthType::none;
    std::array<std::uint8_t, kAuthSize> auth{};
    std::uint16_t interval_cs = 100;
    std::vector<boost::asio::ip::address> vips;
    bool skip_check_adv_addr = false;
    bool same_master_as_last = false;  // with skip_check_adv_addr, the VIP check is skipped
};

// keepalived's receive checks; ttl is the IPv4 TTL or the IPv6 hop limit.
std::expected<void, DropReason> validate(const Advert& advert, std::uint8_t ttl,
                                         const Expectation& expect);

std::array<std::uint8_t, kAuthSize> pad_password(std::string_view password);

}  // namespace vigil::vrrp
