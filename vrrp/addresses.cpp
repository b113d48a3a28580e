#include "addresses.hpp"

#include <fmt/format.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <sys/socket.h>

#include <charconv>

namespace vigil::vrrp {

namespace {

std::expected<NlAddr, std::string> to_nl_addr(const Address& a, int prefix_len) {
    nl_addr* raw = nullptr;
    if (a.is_v4()) {
        auto bytes = a.to_v4().to_bytes();
        raw = nl_addr_build(AF_INET, bytes.data(), bytes.size());
    } else {
        auto bytes = a.to_v6().to_bytes();
        raw = nl_addr_build(AF_INET6, bytes.data(), bytes.size());
    }
    if (!raw) return std::unexpected(std::string("netlink: out of memory"));
    NlAddr out(raw);
    if (prefix_len >= 0) nl_addr_set_prefixlen(raw, prefix_len);
    return out;
}

int family_of(const Address& a) {
    return a.is_v4() ? AF_INET : AF_INET6;
}
int max_prefix(const Address& a) {
    return a.is_v4() ? 32 : 128;
}

std::string describe(const Address& a, int prefix_len) {
    return fmt::format("{}/{}", a.to_string(), prefix_len);
}

std::uint8_t route_type(VirtualRoute::Type t) {
    switch (t) {
        case VirtualRoute::Type::unicast:
            return RTN_UNICAST;
        case VirtualRoute::Type::blackhole:
            return RTN_BLACKHOLE;
        case VirtualRoute::Type::unreachable:
            return RTN_UNREACHABLE;
        case VirtualRoute::Type::prohibit:
            return RTN_PROHIBIT;
        case VirtualRoute::Type::throw_:
            return RTN_THROW;
    }
    return RTN_UNICAST;
}

}  // namespace

std::expected<std::uint8_t, std::string> parse_scope(std::string_view text) {
    if (text == "global" || text == "universe") return RT_SCOPE_UNIVERSE;
    if (text == "site") return RT_SCOPE_SITE;
    if (text == "link") return RT_SCOPE_LINK;
    if (text == "host") return RT_SCOPE_HOST;
    if (text == "nowhere") return RT_SCOPE_NOWHERE;
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > 255)
        return std::unexpected(fmt::format("unknown scope '{}'", text));
    return static_cast<std::uint8_t>(value);
}

std::expected<RtnlAddr, std::string> make_address(int ifindex, const VirtualAddress& vip) {
    if (vip.prefix_len > max_prefix(vip.address))
        return std::unexpected(fmt::format("prefix length {} too long for {}", vip.prefix_len,
                                           vip.address.to_string()));
    RtnlAddr addr(rtnl_addr_alloc());
    if (!addr) return std::unexpected(std::string("netlink: out of memory"));
    rtnl_addr_set_ifindex(addr.get(), ifindex);
    rtnl_addr_set_family(addr.get(), family_of(vip.address));
    auto local = to_nl_addr(vip.address, vip.prefix_len);
    if (!local) return std::unexpected(local.error());
    if (int err = rtnl_addr_set_local(addr.get(), local->get()); err < 0)
        return std::unexpected("netlink: " + nl_error_text(err));
    rtnl_addr_set_prefixlen(addr.get(), vip.prefix_len);
    if (vip.broadcast) {
        if (!vip.broadcast->is_v4() || !vip.address.is_v4())
            return std::unexpected(std::string("brd is only meaningful for IPv4"));
        auto brd = to_nl_addr(*vip.broadcast, -1);
        if (!brd) return std::unexpected(brd.error());
        rtnl_addr_set_broadcast(addr.get(), brd->get());
    }
    if (!vip.label.empty()) {
        if (!vip.address.is_v4())
            return std::unexpected(std::string("a label is only meaningful for IPv4"));
        if (vip.label.size() >= 16)
            return std::unexpected(fmt::format("label '{}' too long", vip.label));
        if (int err = rtnl_addr_set_label(addr.get(), vip.label.c_str()); err < 0)
            return std::unexpected("netlink: " + nl_error_text(err));
    }
    if (!vip.scope.empty()) {
        auto scope = parse_scope(vip.scope);
        if (!scope) return std::unexpected(scope.error());
        rtnl_addr_set_scope(addr.get(), *scope);
    }
    if (vip.address.is_v6()) rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
    return addr;
}

std::expected<RtnlRoute, std::string> make_route(const VirtualRoute& route, int ifindex) {
    const Address& dst = route.destination;
    if (route.prefix_len > max_prefix(dst))
        return std::unexpected(
            fmt::format("prefix length {} too long for {}", route.prefix_len, dst.to_string()));
    auto same_family = [&](const std::optional<Address>& a) {
        return !a || a->is_v4() == dst.is_v4();
    };
    if (!same_family(route.gateway) || !same_family(route.source))
        return std::unexpected(
            fmt::format("route {}: mixed address families", describe(dst, route.prefix_len)));

    RtnlRoute r(rtnl_route_alloc());
    if (!r) return std::unexpected(std::string("netlink: out of memory"));
    rtnl_route_set_family(r.get(), family_of(dst));
    auto d = to_nl_addr(dst, route.prefix_len);
    if (!d) return std::unexpected(d.error());
    if (int err = rtnl_route_set_dst(r.get(), d->get()); err < 0)
        return std::unexpected("netlink: " + nl_error_text(err));
    rtnl_route_set_table(r.get(), route.table.value_or(RT_TABLE_MAIN));
    rtnl_route_set_protocol(r.get(), kRouteProtocol);
    const std::uint8_t type = route_type(route.type);
    rtnl_route_set_type(r.get(), type);
    if (route.metric) rtnl_route_set_priority(r.get(), *route.metric);
    if (route.source) {
        auto src = to_nl_addr(*route.source, -1);
        if (!src) return std::unexpected(src.error());
        if (int err = rtnl_route_set_pref_src(r.get(), src->get()); err < 0)
            return std::unexpected("netlink: " + nl_error_text(err));
    }

    std::uint8_t scope = RT_SCOPE_UNIVERSE;
    if (type == RTN_UNICAST && !route.gateway) scope = RT_SCOPE_LINK;
    if (!route.scope.empty()) {
        auto s = parse_scope(route.scope);
        if (!s) return std::unexpected(s.error());
        scope = *s;
    }
    rtnl_route_set_scope(r.get(), scope);

    if (type == RTN_UNICAST) {
        if (ifindex <= 0 && !route.gateway)
            return std::unexpected(fmt::format("route {}: needs a device or a gateway",
                                               describe(dst, route.prefix_len)));
        rtnl_nexthop* nh = rtnl_route_nh_alloc();
        if (!nh) return std::unexpected(std::string("netlink: out of memory"));
        if (ifindex > 0) rtnl_route_nh_set_ifindex(nh, ifindex);
        if (route.gateway) {
            auto gw = to_nl_addr(*route.gateway, -1);
            if (!gw) {
                rtnl_route_nh_free(nh);
                return std::unexpected(gw.error());
            }
            rtnl_route_nh_set_gateway(nh, gw->get());
        }
        rtnl_route_add_nexthop(r.get(), nh);  // the route owns nh from here
    }
    return r;
}

std::expected<AddressManager, std::string> AddressManager::open() {
    auto sk = open_route_socket();
    if (!sk) return std::unexpected(sk.error());
    return AddressManager(std::move(*sk));
}

std::expected<void, std::string> AddressManager::add_address(int ifindex,
                                                             const VirtualAddress& vip) {
    auto addr = make_address(ifindex, vip);
    if (!addr) {
        ++counters_.address_add_failed;
        return std::unexpected(addr.error());
    }
    int err = rtnl_addr_add(sk_.get(), addr->get(), 0);
    if (err == -NLE_EXIST) {
        ++counters_.addresses_already_present;
        return {};
    }
    if (err < 0) {
        ++counters_.address_add_failed;
        return std::unexpected(fmt::format("adding {} on ifindex {}: {}",
                                           describe(vip.address, vip.prefix_len), ifindex,
                                           nl_error_text(err)));
    }
    ++counters_.addresses_added;
    return {};
}

std::expected<void, std::string> AddressManager::remove_address(int ifindex,
                                                                const VirtualAddress& vip) {
    auto addr = make_address(ifindex, vip);
    if (!addr) {
        ++counters_.address_remove_failed;
        return std::unexpected(addr.error());
    }
    int err = rtnl_addr_delete(sk_.get(), addr->get(), 0);
    // Gone already, or its interface is gone: either way the address is not there.
    if (err == -NLE_NOADDR || err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) {
        ++counters_.addresses_already_absent;
        return {};
    }
    if (err < 0) {
        ++counters_.address_remove_failed;
        return std::unexpected(fmt::format("removing {} from ifindex {}: {}",
                                           describe(vip.address, vip.prefix_len), ifindex,
                                           nl_error_text(err)));
    }
    ++counters_.addresses_removed;
    return {};
}

std::expected<void, std::string> AddressManager::add_route(const VirtualRoute& route, int ifindex) {
    auto r = make_route(route, ifindex);
    if (!r) {
        ++counters_.route_add_failed;
        return std::unexpected(r.error());
    }
    int err = rtnl_route_add(sk_.get(), r->get(), 0);
    if (err == -NLE_EXIST) {
        ++counters_.routes_already_present;
        return {};
    }
    if (err < 0) {
        ++counters_.route_add_failed;
        return std::unexpected(fmt::format("adding route {}: {}",
                                           describe(route.destination, route.prefix_len),
                                           nl_error_text(err)));
    }
    ++counters_.routes_added;
    return {};
}

std::expected<void, std::string> AddressManager::remove_route(const VirtualRoute& route,
                                                              int ifindex) {
    auto r = make_route(route, ifindex);
    if (!r) {
        ++counters_.route_remove_failed;
        return std::unexpected(r.error());
    }
    int err = rtnl_route_delete(sk_.get(), r->get(), 0);
    if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV || err == -NLE_NOADDR) {
        ++counters_.routes_already_absent;
        return {};
    }
    if (err < 0) {
        ++counters_.route_remove_failed;
        return std::unexpected(fmt::format("removing route {}: {}",
                                           describe(route.destination, route.prefix_len),
                                           nl_error_text(err)));
    }
    ++counters_.routes_removed;
    return {};
}

}  // namespace vigil::vrrp
