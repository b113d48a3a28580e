// Virtual addresses and virtual routes in the kernel, through libnl-route.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
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
// at once, and a /128 is deprecated unless preferred_lft says otherwise (as keepalived); IPv4
// honours brd and label; the kernel adds the prefix route as `ip addr add` does.
std::expected<RtnlAddr, std::string> make_address(int ifindex, const VirtualAddress& vip);

// The whole RTM_NEWADDR / RTM_DELADDR request, with what libnl has no setter for (the prefix
// route's metric).
std::expected<NlMsg, std::string> address_request(int ifindex, const VirtualAddress& vip, bool add);

// Resolves a device name to an ifindex; 0: unknown.
using IfindexOf = std::function<int(const std::string&)>;

// The libnl object for a route (pure). ifindex 0: no device (gateway alone, or no nexthop);
// nexthops name their own devices through ifindex_of. Scope and table default as `ip route`
// does: link for a unicast route without gateway, host for local; local routes in table local.
std::expected<RtnlRoute, std::string> make_route(const VirtualRoute& route, int ifindex,
                                                 const IfindexOf& ifindex_of = {});

// The whole RTM_NEWROUTE / RTM_DELROUTE request (with IPv6 pref and append).
std::expected<NlMsg, std::string> route_request(const VirtualRoute& route, int ifindex,
                                                const IfindexOf& ifindex_of, bool add);

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
    std::expected<void, std::string> add_route(int ifindex, const VirtualRoute& route,
                                               const IfindexOf& ifindex_of = {});
    std::expected<void, std::string> remove_route(int ifindex, const VirtualRoute& route,
                                                  const IfindexOf& ifindex_of = {});

    const AddressCounters& counters() const { return counters_; }

  private:
    explicit AddressManager(NlSock sk) : sk_(std::move(sk)) {}
    NlSock sk_;
    AddressCounters counters_;
};

}  // namespace vigil::vrrp
