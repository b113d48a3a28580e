// The interfaces instances create: netlink requests, names and which VIPs use them (pure).
#include <gtest/gtest.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <cstring>

#include "vmac.hpp"

namespace vigil::vrrp {
namespace {

TEST(Ipvlan, RequestCarriesKindModeAndFlags) {
    auto m = make_ipvlan_request({"ipv1", 7, IPVLAN_F_PRIVATE, true});
    ASSERT_TRUE(m) << m.error();
    nlmsghdr* h = nlmsg_hdr(m->get());
    EXPECT_EQ(h->nlmsg_type, RTM_NEWLINK);
    EXPECT_EQ(h->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL), NLM_F_CREATE | NLM_F_EXCL);
    const auto* ifi = static_cast<const ifinfomsg*>(nlmsg_data(h));
    EXPECT_EQ(ifi->ifi_flags & IFF_UP, unsigned(IFF_UP));
    nlattr* tb[IFLA_MAX + 1] = {};
    ASSERT_EQ(nlmsg_parse(h, sizeof(ifinfomsg), tb, IFLA_MAX, nullptr), 0);
    ASSERT_TRUE(tb[IFLA_IFNAME]);
    EXPECT_STREQ(nla_get_string(tb[IFLA_IFNAME]), "ipv1");
    ASSERT_TRUE(tb[IFLA_LINK]);
    EXPECT_EQ(nla_get_u32(tb[IFLA_LINK]), 7u);
    nlattr* info[IFLA_INFO_MAX + 1] = {};
    ASSERT_TRUE(tb[IFLA_LINKINFO]);
    ASSERT_EQ(nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], nullptr), 0);
    EXPECT_STREQ(nla_get_string(info[IFLA_INFO_KIND]), "ipvlan");
    nlattr* data[IFLA_IPVLAN_MAX + 1] = {};
    ASSERT_EQ(nla_parse_nested(data, IFLA_IPVLAN_MAX, info[IFLA_INFO_DATA], nullptr), 0);
    EXPECT_EQ(nla_get_u16(data[IFLA_IPVLAN_MODE]), IPVLAN_MODE_L2);
    EXPECT_EQ(nla_get_u16(data[IFLA_IPVLAN_FLAGS]), IPVLAN_F_PRIVATE);
}

TEST(Ipvlan, BadSpecsAreRefused) {
    EXPECT_FALSE(make_ipvlan_request({"", 7, 0, true}));
    EXPECT_FALSE(make_ipvlan_request({"a-name-far-too-long", 7, 0, true}));
    EXPECT_FALSE(make_ipvlan_request({"ipv1", 0, 0, true}));
}

TEST(AddrVmac, WhichVipsGoOnAVmacAndItsName) {
    InstanceConfig c;
    c.interface = "eth0";
    c.vrid = 51;
    VirtualAddress own, other, v6, marked;
    own.address = boost::asio::ip::make_address("10.0.0.10");
    other = own;
    other.dev = "eth1";
    v6.address = boost::asio::ip::make_address("fd00::10");
    marked = own;
    marked.use_vmac = true;
    EXPECT_EQ(addr_vmac_base(c, other), "");  // use_vmac_addr off
    EXPECT_EQ(addr_vmac_base(c, marked), "eth0");
    c.use_vmac_addr = true;
    EXPECT_EQ(addr_vmac_base(c, own), "");
    EXPECT_EQ(addr_vmac_base(c, other), "eth1");
    EXPECT_EQ(addr_vmac_base(c, v6), "eth0");  // the other family
    EXPECT_EQ(addr_vmac_name(c, false), "vrrp.51");
    c.vmac_addr_prefix = "abc";
    EXPECT_EQ(addr_vmac_name(c, true), "abc6.51");
}

}  // namespace
}  // namespace vigil::vrrp
