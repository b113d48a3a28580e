// The load-balancing table as a data plane holds it: services and their destinations.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "vigil/ipvs/config.hpp"
#include "vigil/ipvs/result.hpp"

namespace vigil::ipvs {

struct ServiceId {
    Protocol protocol = Protocol::tcp;
    std::optional<Address> address;  // empty for a firewall-mark service
    std::uint16_t port = 0;
    std::uint32_t fwmark = 0;
    bool ipv6 = false;  // the family of a firewall-mark service

    bool is_ipv6() const { return address ? address->is_v6() : ipv6; }
    friend bool operator==(const ServiceId&, const ServiceId&) = default;
};
bool operator<(const ServiceId& a, const ServiceId& b);

struct Destination {
    Address address;
    std::uint16_t port = 0;
    Forwarding forwarding = Forwarding::nat;
    int weight = 1;
    std::uint32_t upper_threshold = 0;
    std::uint32_t lower_threshold = 0;

    friend bool operator==(const Destination&, const Destination&) = default;
};
// Identity of a destination inside its service: address and port.
bool same_destination(const Destination& a, const Destination& b);
bool destination_less(const Destination& a, const Destination& b);

struct Service {
    ServiceId id;
    std::string scheduler = "wlc";
    std::uint32_t flags = 0;    // IP_VS_SVC_F_* (never HASHED: the kernel owns that bit)
    std::uint32_t timeout = 0;  // persistence, seconds; 0 = not persistent
    unsigned prefix = 32;       // persistence granularity as a prefix length (128 for IPv6)
    std::vector<Destination> destinations;  // sorted by destination_less

    // Scheduler, flags, persistence: what IPVS_CMD_SET_SERVICE changes.
    bool same_settings(const Service& o) const {
        return scheduler == o.scheduler && flags == o.flags && timeout == o.timeout &&
               prefix == o.prefix;
    }
    friend bool operator==(const Service&, const Service&) = default;
};

// Services sorted by id, each id once.
using Table = std::vector<Service>;

// Sorts services and destinations, drops repeated ids (the first wins).
void normalize(Table& table);
const Service* find_service(const Table& table, const ServiceId& id);

enum class OpKind {
    add_service,
    edit_service,
    delete_service,
    add_destination,
    edit_destination,
    delete_destination
};

struct Op {
    OpKind kind;
    Service service;  // destinations left empty
    std::optional<Destination> destination;
    friend bool operator==(const Op&, const Op&) = default;
};

// Operations that turn `actual` into `desired`. Per service: the service itself, then new
// destinations, edits, and removals last, so a pool never passes through empty; services
// that go away are deleted at the end (the kernel drops their destinations with them).
std::vector<Op> diff(const Table& desired, const Table& actual);

// An operation the kernel refused, and why.
struct Rejection {
    OpKind kind;
    ServiceId service;
    std::optional<Destination> destination;
    std::string reason;
    friend bool operator==(const Rejection&, const Rejection&) = default;
};
std::string to_string(const Rejection& r);

// Runs ops through `send` and goes on past a refused one, so one bad service does not keep
// the rest of the table out: only the destinations of a service that could not be added
// are skipped (they would fail for want of it).
std::vector<Rejection> run_ops(const std::vector<Op>& ops,
                               const std::function<Result<void>(const Op&)>& send);

// Applies ops to a table (what a data plane that keeps its own copy does).
void apply_ops(Table& table, const std::vector<Op>& ops);

std::string to_string(const ServiceId& id);
std::string to_string(OpKind kind);

}  // namespace vigil::ipvs
