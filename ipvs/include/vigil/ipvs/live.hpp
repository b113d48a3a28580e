// The table as it runs: services and destinations with the kernel's counters, for operators
// (vigilctl lvs) and for draining (a destination's connections).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/ipvs/table.hpp"

namespace vigil::ipvs {

struct Stats {
    std::uint64_t conns = 0, inpkts = 0, outpkts = 0, inbytes = 0, outbytes = 0;
    std::uint64_t cps = 0, inpps = 0, outpps = 0, inbps = 0, outbps = 0;  // rates per second
    friend bool operator==(const Stats&, const Stats&) = default;
};

struct LiveDestination {
    Destination destination;
    std::uint32_t active = 0, inactive = 0, persistent = 0;
    Stats stats;
};

struct LiveService {
    Service service;  // destinations left empty: see below
    Stats stats;
    std::vector<LiveDestination> destinations;
};

using LiveTable = std::vector<LiveService>;

// Connections per destination from /proc/net/nf_conntrack: keyed by
// "PROTO VIP:VPORT RS:RPORT" (endpoint text as ipvs::endpoint_name, PROTO tcp/udp/sctp),
// active = TCP ESTABLISHED (or any UDP/SCTP flow), inactive = the other TCP states.
struct ConntrackCount {
    std::uint32_t active = 0, inactive = 0;
    friend bool operator==(const ConntrackCount&, const ConntrackCount&) = default;
};
std::map<std::string, ConntrackCount> count_conntrack(std::string_view proc_text);
std::string conntrack_key(Protocol p, const Address& vip, std::uint16_t vport, const Address& rs,
                          std::uint16_t rport);

}  // namespace vigil::ipvs
