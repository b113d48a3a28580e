#include "addresses.hpp"

#include <fmt/format.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <sys/socket.h>

#include <charconv>

namespace vigil::vrrp {

namespace {

int max_prefix(const Address& a) {
    return a.is_v4() ? 32 : 128;
}

std::string describe(const Address& a, int prefix_len) {
    return fmt::format("{}/{}", a.to_string(), prefix_len);
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
    const bool v6 = vip.address.is_v6();
    if (vip.prefix_len > max_prefix(vip.address))
        return std::unexpected(fmt::format("prefix length {} too long for {}", vip.prefix_len,
                                           vip.address.to_string()));
    RtnlAddr addr(rtnl_addr_alloc());
    if (!addr) return std::unexpected(std::string("netlink: out of memory"));
    rtnl_addr_set_ifindex(addr.get(), ifindex);
    rtnl_addr_set_family(addr.get(), v6 ? AF_INET6 : AF_INET);
    auto local = to_nl_addr(vip.address, vip.prefix_len);
    if (!local) return std::unexpected(local.error());
    if (int err = rtnl_addr_set_local(addr.get(), local->get()); err < 0)
        return std::unexpected("netlink: " + nl_error_text(err));
    if (vip.peer) {
        if (vip.peer->is_v6() != v6)
            return std::unexpected(std::string("peer of another address family"));
        auto peer = to_nl_addr(*vip.peer, vip.prefix_len);
        if (!peer) return std::unexpected(peer.error());
        if (int err = rtnl_addr_set_peer(addr.get(), peer->get()); err < 0)
            return std::unexpected("netlink: " + nl_error_text(err));
    }
    rtnl_addr_set_prefixlen(addr.get(), vip.prefix_len);
    if (vip.broadcast) {
        if (!vip.broadcast->is_v4() || v6)
            return std::unexpected(std::string("brd is only meaningful for IPv4"));
        auto brd = to_nl_addr(*vip.broadcast, -1);
        if (!brd) return std::unexpected(brd.error());
        rtnl_addr_set_broadcast(addr.get(), brd->get());
    }
    if (!vip.label.empty()) {
        if (v6) return std::unexpected(std::string("a label is only meaningful for IPv4"));
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
    unsigned flags = 0;
    if (v6) flags |= IFA_F_NODAD;
    if (vip.home) flags |= IFA_F_HOMEADDRESS;
    if (vip.mngtmpaddr) flags |= IFA_F_MANAGETEMPADDR;
    if (vip.noprefixroute) flags |= IFA_F_NOPREFIXROUTE;
    if (vip.autojoin) flags |= IFA_F_MCAUTOJOIN;
    if (flags) rtnl_addr_set_flags(addr.get(), flags);
    // libnl sends both lifetimes or neither: an unset one is forever.
    auto preferred = vip.preferred_lft;
    if (!preferred && v6 && vip.prefix_len == 128) preferred = 0;
    if (preferred || vip.valid_lft) {
        const auto valid = vip.valid_lft.value_or(VirtualAddress::kForever);
        const auto pref = preferred.value_or(VirtualAddress::kForever);
        if (pref > valid) return std::unexpected(std::string("preferred_lft above valid_lft"));
        rtnl_addr_set_valid_lifetime(addr.get(), valid);
        rtnl_addr_set_preferred_lifetime(addr.get(), pref);
    }
    return addr;
}

std::expected<NlMsg, std::string> address_request(int ifindex, const VirtualAddress& vip,
                                                  bool add) {
    auto addr = make_address(ifindex, vip);
    if (!addr) return std::unexpected(addr.error());
    nl_msg* raw = nullptr;
    int err = add ? rtnl_addr_build_add_request(addr->get(), 0, &raw)
                  : rtnl_addr_build_delete_request(addr->get(), 0, &raw);
    if (err < 0) return std::unexpected("netlink: " + nl_error_text(err));
    NlMsg msg(raw);
    if (add && vip.metric && nla_put_u32(raw, IFA_RT_PRIORITY, *vip.metric) < 0)
        return std::unexpected(std::string("netlink: message too long"));
    return msg;
}

std::expected<AddressManager, std::string> AddressManager::open() {
    auto sk = open_route_socket();
    if (!sk) return std::unexpected(sk.error());
    return AddressManager(std::move(*sk));
}

std::expected<void, std::string> AddressManager::add_address(int ifindex,
                                                             const VirtualAddress& vip) {
    auto msg = address_request(ifindex, vip, true);
    if (!msg) {
        ++counters_.address_add_failed;
        return std::unexpected(msg.error());
    }
    int err = send_and_ack(sk_.get(), std::move(*msg));
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
    auto msg = address_request(ifindex, vip, false);
    if (!msg) {
        ++counters_.address_remove_failed;
        return std::unexpected(msg.error());
    }
    int err = send_and_ack(sk_.get(), std::move(*msg));
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

}  // namespace vigil::vrrp
