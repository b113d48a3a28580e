// Configuration of BFD sessions (bfd_instance blocks): plain values filled by the daemon's
// config parser.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vigil::bfd {

using Address = boost::asio::ip::address;
using Duration = std::chrono::microseconds;

// RFC 5881. RFC 5883 puts multihop sessions on 4784, but keepalived 2.2.7 sends and listens
// on 3784 whatever max_hops says, so Vigil does the same to interoperate with it.
inline constexpr std::uint16_t kPort = 3784;

struct InstanceConfig {
    std::string name;
    std::string file;  // where it was defined, for messages
    unsigned line = 0;
    Address neighbor;
    std::optional<Address> source;
    Duration min_rx = std::chrono::milliseconds(10);     // bfd.RequiredMinRxInterval
    Duration min_tx = std::chrono::milliseconds(10);     // bfd.DesiredMinTxInterval while Up
    Duration idle_tx = std::chrono::milliseconds(1000);  // ... while not Up
    std::uint8_t multiplier = 5;
    bool passive = false;
    std::uint8_t ttl = 255;      // sent on IPv4
    std::uint8_t hoplimit = 64;  // sent on IPv6
    std::uint8_t max_hops = 0;   // accepted reduction of ttl/hoplimit; 255: no check
    int weight = 0;              // default weight of track_bfd references
    bool weight_reverse = false;
    bool vrrp = true;     // state feeds track_bfd
    bool checker = true;  // state feeds BFD_CHECK
    // Fewer than 255 hops accepted on the way (RFC 5883), with the TTL check still on.
    bool multihop() const { return max_hops > 0 && max_hops != 255; }
    std::uint8_t sent_ttl() const { return neighbor.is_v6() ? hoplimit : ttl; }
    bool operator==(const InstanceConfig&) const = default;
};

struct Config {
    std::vector<InstanceConfig> instances;
    bool operator==(const Config&) const = default;
};

}  // namespace vigil::bfd
