// Virtual addresses and virtual routes in the kernel, through libnl-route.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "netlink_socket.hpp"
#include "vigil/vrrp/config.hpp"

namespace vigil::vrrp {

// keepalived's scope words ("global", "site", "link", "host", "nowhere") or a number 0-255.
std::expected<std::uint8_t, std::string> parse_scope(std::string_view text);

// The routing protocol our routes carry, as keepalived's ("proto keepalived").
inline constexpr std::uint8_t kRouteProtocol = 18;

// The libnl object for a VIP on ifindex (pure: no socket). IPv6 gets IFA_F_NODAD so it is usable
// at once; IPv4 honours brd and label; the kernel adds the prefix route as `ip addr add` does.
std::expected<RtnlAddr, std::string> make_address(int ifindex, const VirtualAddress& vip);

// The libnl object for a route (pure). ifindex 0: no device (gateway alone, or no nexthop).
// Scope defaults as `ip route` does: link for a unicast route without gateway, else universe.
std::expected<RtnlRoute, std::string> make_route(const VirtualRoute& route, int ifindex);

struct AddressCounters {
    std::uint64_t addresses_added = 0;
    std::uint64_t addresses_already_present = 0;
    std::uint64_t address_add_failed = 0;
    std::uint64_t addresses_removed = 0;
    std::uint64_t addresses_already_absent = 0;
    std::uint64_t address_remove_failed = 0;
    std::uint64_t routes_added = 0;
    std::uint64_t routes_already_present = 0;
    std::uint64_t route_add_failed = 0;
    std::uint64_t routes_removed = 0;
    std::uint64_t routes_already_absent = 0;
    std::uint64_t route_remove_failed = 0;
};

// Adds and removes VIPs and routes. Idempotent: adding what exists and removing what is gone
// both succeed. Each call is one request acknowledged by the kernel.
class AddressManager {
  public:
    static std::expected<AddressManager, std::string> open();

    std::expected<void, std::string> add_address(int ifindex, const VirtualAddress& vip);
    std::expected<void, std::string> remove_address(int ifindex, const VirtualAddress& vip);
    std::expected<void, std::string> add_route(const VirtualRoute& route, int ifindex);
    std::expected<void, std::string> remove_route(const VirtualRoute& route, int ifindex);

    const AddressCounters& counters() const { return counters_; }

  private:
    explicit AddressManager(NlSock sk) : sk_(std::move(sk)) {}
    NlSock sk_;
    AddressCounters counters_;
};

}  // namespace vigil::vrrp
