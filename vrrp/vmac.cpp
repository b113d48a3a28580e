#include "vmac.hpp"

#include <fmt/format.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/route/link/macvlan.h>
#include <sys/socket.h>

#include <cstring>

namespace vigil::vrrp {

MacAddress virtual_mac(std::uint8_t vrid, bool ipv6) {
    return MacAddress{0x00, 0x00, 0x5e, 0x00, static_cast<std::uint8_t>(ipv6 ? 0x02 : 0x01), vrid};
}

std::string default_vmac_name(std::uint8_t vrid) {
    return fmt::format("vrrp.{}", vrid);
}

std::string addr_vmac_base(const InstanceConfig& c, const VirtualAddress& v) {
    const std::string& dev = v.dev.empty() ? c.interface : v.dev;
    if (v.use_vmac) return dev;
    if (!c.use_vmac_addr) return {};
    if (dev != c.interface || v.address.is_v6() != c.ipv6) return dev;
    return {};
}

std::string addr_vmac_name(const InstanceConfig& c, bool ipv6) {
    return fmt::format("{}{}.{}", c.vmac_addr_prefix, ipv6 ? "6" : "", c.vrid);
}

std::expected<RtnlLink, std::string> make_vmac(const VmacSpec& spec) {
    if (spec.name.empty() || spec.name.size() >= IFNAMSIZ)
        return std::unexpected(fmt::format("bad interface name '{}'", spec.name));
    if (spec.base_ifindex <= 0) return std::unexpected(std::string("vmac needs a base interface"));
    RtnlLink link(rtnl_link_macvlan_alloc());
    if (!link) return std::unexpected(std::string("netlink: out of memory"));
    if (int err = rtnl_link_macvlan_set_mode(link.get(), MACVLAN_MODE_PRIVATE); err < 0)
        return std::unexpected("netlink: " + nl_error_text(err));
    rtnl_link_set_name(link.get(), spec.name.c_str());
    rtnl_link_set_link(link.get(), spec.base_ifindex);
    NlAddr mac(nl_addr_build(AF_LLC, spec.mac.data(), spec.mac.size()));
    if (!mac) return std::unexpected(std::string("netlink: out of memory"));
    rtnl_link_set_addr(link.get(), mac.get());
    if (spec.up) rtnl_link_set_flags(link.get(), IFF_UP);
    return link;
}

std::expected<NlMsg, std::string> make_ipvlan_request(const IpvlanSpec& spec) {
    if (spec.name.empty() || spec.name.size() >= IFNAMSIZ)
        return std::unexpected(fmt::format("bad interface name '{}'", spec.name));
    if (spec.base_ifindex <= 0)
        return std::unexpected(std::string("ipvlan needs a base interface"));
    NlMsg msg(nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL));
    if (!msg) return std::unexpected(std::string("netlink: out of memory"));
    ifinfomsg ifi{};
    ifi.ifi_family = AF_UNSPEC;
    if (spec.up) {
        ifi.ifi_flags = IFF_UP;
        ifi.ifi_change = IFF_UP;
    }
    auto* m = msg.get();
    if (nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
        nla_put_string(m, IFLA_IFNAME, spec.name.c_str()) < 0 ||
        nla_put_u32(m, IFLA_LINK, static_cast<std::uint32_t>(spec.base_ifindex)) < 0)
        return std::unexpected(std::string("netlink: message too large"));
    nlattr* info = nla_nest_start(m, IFLA_LINKINFO);
    if (!info || nla_put_string(m, IFLA_INFO_KIND, "ipvlan") < 0)
        return std::unexpected(std::string("netlink: message too large"));
    nlattr* data = nla_nest_start(m, IFLA_INFO_DATA);
    if (!data || nla_put_u16(m, IFLA_IPVLAN_MODE, IPVLAN_MODE_L2) < 0 ||
        nla_put_u16(m, IFLA_IPVLAN_FLAGS, spec.flags) < 0)
        return std::unexpected(std::string("netlink: message too large"));
    nla_nest_end(m, data);
    nla_nest_end(m, info);
    return msg;
}

std::expected<VmacManager, std::string> VmacManager::open() {
    auto sk = open_route_socket();
    if (!sk) return std::unexpected(sk.error());
    return VmacManager(std::move(*sk));
}

std::expected<void, std::string> VmacManager::set_up(rtnl_link* link, const std::string& name) {
    if (rtnl_link_get_flags(link) & IFF_UP) return {};
    RtnlLink change(rtnl_link_alloc());
    rtnl_link_set_flags(change.get(), IFF_UP);
    if (int e = rtnl_link_change(sk_.get(), link, change.get(), 0); e < 0)
        return std::unexpected(fmt::format("setting {} up: {}", name, nl_error_text(e)));
    return {};
}

std::expected<int, std::string> VmacManager::create(const VmacSpec& spec) {
    auto link = make_vmac(spec);
    if (!link) return std::unexpected(link.error());
    int err = rtnl_link_add(sk_.get(), link->get(), NLM_F_CREATE | NLM_F_EXCL);
    if (err < 0 && err != -NLE_EXIST)
        return std::unexpected(
            fmt::format("creating macvlan {}: {}", spec.name, nl_error_text(err)));

    rtnl_link* raw = nullptr;
    if (int e = rtnl_link_get_kernel(sk_.get(), 0, spec.name.c_str(), &raw); e < 0)
        return std::unexpected(fmt::format("macvlan {}: {}", spec.name, nl_error_text(e)));
    RtnlLink got(raw);
    if (err == -NLE_EXIST) {
        const char* kind = rtnl_link_get_type(got.get());
        nl_addr* a = rtnl_link_get_addr(got.get());
        const bool same =
            kind && std::strcmp(kind, "macvlan") == 0 &&
            rtnl_link_get_link(got.get()) == spec.base_ifindex && a &&
            nl_addr_get_len(a) == spec.mac.size() &&
            std::memcmp(nl_addr_get_binary_addr(a), spec.mac.data(), spec.mac.size()) == 0;
        if (!same)
            return std::unexpected(
                fmt::format("interface {} exists and is not this virtual MAC", spec.name));
        if (spec.up)
            if (auto up = set_up(got.get(), spec.name); !up) return std::unexpected(up.error());
    }
    return rtnl_link_get_ifindex(got.get());
}

std::expected<int, std::string> VmacManager::create_ipvlan(const IpvlanSpec& spec) {
    auto msg = make_ipvlan_request(spec);
    if (!msg) return std::unexpected(msg.error());
    const int err = send_and_ack(sk_.get(), std::move(*msg));
    if (err < 0 && err != -NLE_EXIST)
        return std::unexpected(
            fmt::format("creating ipvlan {}: {}", spec.name, nl_error_text(err)));
    rtnl_link* raw = nullptr;
    if (int e = rtnl_link_get_kernel(sk_.get(), 0, spec.name.c_str(), &raw); e < 0)
        return std::unexpected(fmt::format("ipvlan {}: {}", spec.name, nl_error_text(e)));
    RtnlLink got(raw);
    if (err == -NLE_EXIST) {
        const char* kind = rtnl_link_get_type(got.get());
        if (!kind || std::strcmp(kind, "ipvlan") != 0 ||
            rtnl_link_get_link(got.get()) != spec.base_ifindex)
            return std::unexpected(
                fmt::format("interface {} exists and is not this instance's ipvlan", spec.name));
        if (spec.up)
            if (auto up = set_up(got.get(), spec.name); !up) return std::unexpected(up.error());
    }
    return rtnl_link_get_ifindex(got.get());
}

std::expected<void, std::string> VmacManager::remove(const std::string& name) {
    RtnlLink link(rtnl_link_alloc());
    if (!link) return std::unexpected(std::string("netlink: out of memory"));
    rtnl_link_set_name(link.get(), name.c_str());
    int err = rtnl_link_delete(sk_.get(), link.get());
    if (err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND) return {};
    if (err < 0) return std::unexpected(fmt::format("deleting {}: {}", name, nl_error_text(err)));
    return {};
}

}  // namespace vigil::vrrp
