// Routes (virtual_routes, static_routes) as libnl objects and requests.
#include <fmt/format.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/route/nexthop.h>
#include <sys/socket.h>

#include <array>

#include "addresses.hpp"

namespace vigil::vrrp {

namespace {

std::string describe(const VirtualRoute& r) {
    return fmt::format("{}/{}", r.destination.to_string(), r.prefix_len);
}

std::uint8_t route_type(VirtualRoute::Type t) {
    using T = VirtualRoute::Type;
    switch (t) {
        case T::unicast:
            return RTN_UNICAST;
        case T::blackhole:
            return RTN_BLACKHOLE;
        case T::unreachable:
            return RTN_UNREACHABLE;
        case T::prohibit:
            return RTN_PROHIBIT;
        case T::throw_:
            return RTN_THROW;
        case T::local:
            return RTN_LOCAL;
        case T::broadcast:
            return RTN_BROADCAST;
        case T::anycast:
            return RTN_ANYCAST;
        case T::multicast:
            return RTN_MULTICAST;
    }
    return RTN_UNICAST;
}

// Types that forward through a device, and so carry nexthops.
bool has_nexthops(std::uint8_t type) {
    return type == RTN_UNICAST || type == RTN_LOCAL || type == RTN_BROADCAST ||
           type == RTN_ANYCAST || type == RTN_MULTICAST;
}

struct NhFree {
    void operator()(rtnl_nexthop* n) const { rtnl_route_nh_free(n); }
};
using Nexthop = std::unique_ptr<rtnl_nexthop, NhFree>;

std::expected<Nexthop, std::string> make_nexthop(const std::optional<Address>& gateway, int ifindex,
                                                 std::uint16_t weight, bool onlink,
                                                 std::optional<std::uint32_t> realms) {
    Nexthop nh(rtnl_route_nh_alloc());
    if (!nh) return std::unexpected(std::string("netlink: out of memory"));
    if (ifindex > 0) rtnl_route_nh_set_ifindex(nh.get(), ifindex);
    if (gateway) {
        auto gw = to_nl_addr(*gateway, -1);
        if (!gw) return std::unexpected(gw.error());
        rtnl_route_nh_set_gateway(nh.get(), gw->get());
    }
    // rtnh_hops is the weight less one, as the kernel reads it.
    if (weight > 1) rtnl_route_nh_set_weight(nh.get(), static_cast<std::uint8_t>(weight - 1));
    if (onlink) rtnl_route_nh_set_flags(nh.get(), RTNH_F_ONLINK);
    if (realms) rtnl_route_nh_set_realms(nh.get(), *realms);
    return nh;
}

}  // namespace

std::expected<RtnlRoute, std::string> make_route(const VirtualRoute& route, int ifindex,
                                                 const IfindexOf& ifindex_of) {
    const Address& dst = route.destination;
    const bool v6 = dst.is_v6();
    if (route.prefix_len > (v6 ? 128 : 32))
        return std::unexpected(
            fmt::format("prefix length {} too long for {}", route.prefix_len, dst.to_string()));
    auto same_family = [&](const std::optional<Address>& a) { return !a || a->is_v6() == v6; };
    bool mixed = !same_family(route.gateway) || !same_family(route.source) ||
                 !same_family(route.or_gateway) || !same_family(route.from);
    for (const auto& nh : route.nexthops) mixed = mixed || !same_family(nh.gateway);
    if (mixed)
        return std::unexpected(fmt::format("route {}: mixed address families", describe(route)));

    RtnlRoute r(rtnl_route_alloc());
    if (!r) return std::unexpected(std::string("netlink: out of memory"));
    rtnl_route_set_family(r.get(), v6 ? AF_INET6 : AF_INET);
    auto d = to_nl_addr(dst, route.prefix_len);
    if (!d) return std::unexpected(d.error());
    if (int err = rtnl_route_set_dst(r.get(), d->get()); err < 0)
        return std::unexpected("netlink: " + nl_error_text(err));
    const std::uint8_t type = route_type(route.type);
    rtnl_route_set_type(r.get(), type);
    const bool local_table = type == RTN_LOCAL || type == RTN_BROADCAST || type == RTN_ANYCAST;
    rtnl_route_set_table(r.get(),
                         route.table.value_or(local_table ? RT_TABLE_LOCAL : RT_TABLE_MAIN));
    rtnl_route_set_protocol(r.get(), route.protocol.value_or(kRouteProtocol));
    if (route.metric) rtnl_route_set_priority(r.get(), *route.metric);
    if (route.tos) rtnl_route_set_tos(r.get(), *route.tos);
    if (route.source) {
        auto src = to_nl_addr(*route.source, -1);
        if (!src) return std::unexpected(src.error());
        if (int err = rtnl_route_set_pref_src(r.get(), src->get()); err < 0)
            return std::unexpected("netlink: " + nl_error_text(err));
    }
    if (route.from) {
        auto from = to_nl_addr(*route.from, route.from_len);
        if (!from) return std::unexpected(from.error());
        if (int err = rtnl_route_set_src(r.get(), from->get()); err < 0)
            return std::unexpected("netlink: " + nl_error_text(err));
    }
    const auto& m = route.metrics;
    const std::array<std::pair<int, std::optional<std::uint32_t>>, 15> metrics{{
        {RTAX_MTU, m.mtu},
        {RTAX_ADVMSS, m.advmss},
        {RTAX_HOPLIMIT, m.hoplimit},
        {RTAX_WINDOW, m.window},
        {RTAX_RTT, m.rtt},
        {RTAX_RTTVAR, m.rttvar},
        {RTAX_SSTHRESH, m.ssthresh},
        {RTAX_CWND, m.cwnd},
        {RTAX_INITCWND, m.initcwnd},
        {RTAX_INITRWND, m.initrwnd},
        {RTAX_REORDERING, m.reordering},
        {RTAX_RTO_MIN, m.rto_min},
        {RTAX_QUICKACK, m.quickack},
        {RTAX_FASTOPEN_NO_COOKIE, m.fastopen_no_cookie},
        {RTAX_FEATURES, m.features},
    }};
    for (const auto& [index, value] : metrics)
        if (value)
            if (int err = rtnl_route_set_metric(r.get(), index, *value); err < 0)
                return std::unexpected(fmt::format("route {}: metric {}: {}", describe(route),
                                                   index, nl_error_text(err)));
    if (m.locked)
        if (int err = rtnl_route_set_metric(r.get(), RTAX_LOCK, m.locked); err < 0)
            return std::unexpected("netlink: " + nl_error_text(err));

    const bool gatewayed = route.gateway || !route.nexthops.empty();
    std::uint8_t scope = RT_SCOPE_UNIVERSE;
    if (type == RTN_LOCAL)
        scope = RT_SCOPE_HOST;
    else if (type == RTN_BROADCAST || type == RTN_MULTICAST || type == RTN_ANYCAST)
        scope = RT_SCOPE_LINK;
    else if (type == RTN_UNICAST && !gatewayed)
        scope = RT_SCOPE_LINK;
    if (!route.scope.empty()) {
        auto s = parse_scope(route.scope);
        if (!s) return std::unexpected(s.error());
        scope = *s;
    }
    rtnl_route_set_scope(r.get(), scope);

    if (!has_nexthops(type)) return r;
    auto add = [&](const std::optional<Address>& gw, int index, std::uint16_t weight, bool onlink,
                   std::optional<std::uint32_t> realms) -> std::expected<void, std::string> {
        auto nh = make_nexthop(gw, index, weight, onlink, realms);
        if (!nh) return std::unexpected(nh.error());
        rtnl_route_add_nexthop(r.get(), nh->release());  // the route owns it from here
        return {};
    };
    if (!route.nexthops.empty()) {
        for (const auto& nh : route.nexthops) {
            int index = nh.dev.empty() ? ifindex : (ifindex_of ? ifindex_of(nh.dev) : 0);
            if (!nh.dev.empty() && index <= 0)
                return std::unexpected(
                    fmt::format("route {}: no device {}", describe(route), nh.dev));
            if (index <= 0 && !nh.gateway)
                return std::unexpected(fmt::format(
                    "route {}: a nexthop needs a device or a gateway", describe(route)));
            if (auto x = add(nh.gateway, index, nh.weight, nh.onlink || route.onlink,
                             nh.realms ? nh.realms : route.realms);
                !x)
                return std::unexpected(x.error());
        }
        return r;
    }
    if (ifindex <= 0 && !route.gateway)
        return std::unexpected(
            fmt::format("route {}: needs a device or a gateway", describe(route)));
    if (auto x = add(route.gateway, ifindex, 1, route.onlink, route.realms); !x)
        return std::unexpected(x.error());
    // "via A or B": a second path through the same device.
    if (route.or_gateway)
        if (auto x = add(route.or_gateway, ifindex, 1, route.onlink, route.realms); !x)
            return std::unexpected(x.error());
    return r;
}

std::expected<NlMsg, std::string> route_request(const VirtualRoute& route, int ifindex,
                                                const IfindexOf& ifindex_of, bool add) {
    auto r = make_route(route, ifindex, ifindex_of);
    if (!r) return std::unexpected(r.error());
    nl_msg* raw = nullptr;
    int err = add ? rtnl_route_build_add_request(r->get(), route.append ? NLM_F_APPEND : 0, &raw)
                  : rtnl_route_build_del_request(r->get(), 0, &raw);
    if (err < 0) return std::unexpected("netlink: " + nl_error_text(err));
    NlMsg msg(raw);
    if (add && route.pref && nla_put_u8(raw, RTA_PREF, *route.pref) < 0)
        return std::unexpected(std::string("netlink: message too long"));
    return msg;
}

std::expected<void, std::string> AddressManager::add_route(int ifindex, const VirtualRoute& route,
                                                           const IfindexOf& ifindex_of) {
    auto msg = route_request(route, ifindex, ifindex_of, true);
    if (!msg) {
        ++counters_.route_add_failed;
        return std::unexpected(msg.error());
    }
    int err = send_and_ack(sk_.get(), std::move(*msg));
    if (err == -NLE_EXIST) {
        ++counters_.routes_already_present;
        return {};
    }
    if (err < 0) {
        ++counters_.route_add_failed;
        return std::unexpected(
            fmt::format("adding route {}: {}", describe(route), nl_error_text(err)));
    }
    ++counters_.routes_added;
    return {};
}

std::expected<void, std::string> AddressManager::remove_route(int ifindex,
                                                              const VirtualRoute& route,
                                                              const IfindexOf& ifindex_of) {
    auto msg = route_request(route, ifindex, ifindex_of, false);
    if (!msg) {
        ++counters_.route_remove_failed;
        return std::unexpected(msg.error());
    }
    int err = send_and_ack(sk_.get(), std::move(*msg));
    if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV || err == -NLE_NOADDR) {
        ++counters_.routes_already_absent;
        return {};
    }
    if (err < 0) {
        ++counters_.route_remove_failed;
        return std::unexpected(
            fmt::format("removing route {}: {}", describe(route), nl_error_text(err)));
    }
    ++counters_.routes_removed;
    return {};
}

}  // namespace vigil::vrrp
