#include <gtest/gtest.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include "addresses.hpp"
#include "netns_fixture.hpp"

using namespace vigil::vrrp;
using boost::asio::ip::make_address;
using vigil::test::sh;
using vigil::test::sh_ok;

namespace {
VirtualAddress vaddr(const char* a, int len) {
    VirtualAddress v;
    v.address = make_address(a);
    v.prefix_len = static_cast<std::uint8_t>(len);
    return v;
}
VirtualRoute vroute(const char* a, int len) {
    VirtualRoute r;
    r.destination = make_address(a);
    r.prefix_len = static_cast<std::uint8_t>(len);
    return r;
}
}  // namespace

TEST(ParseScope, WordsAndNumbers) {
    EXPECT_EQ(parse_scope("global").value(), 0);
    EXPECT_EQ(parse_scope("site").value(), 200);
    EXPECT_EQ(parse_scope("link").value(), 253);
    EXPECT_EQ(parse_scope("host").value(), 254);
    EXPECT_EQ(parse_scope("nowhere").value(), 255);
    EXPECT_EQ(parse_scope("17").value(), 17);
    EXPECT_FALSE(parse_scope("256"));
    EXPECT_FALSE(parse_scope("planet"));
    EXPECT_FALSE(parse_scope(""));
}

TEST(MakeAddress, RejectsWhatTheKernelWouldMisread) {
    VirtualAddress v6 = vaddr("2001:db8::1", 64);
    v6.label = "eth0:1";
    EXPECT_FALSE(make_address(1, v6));
    VirtualAddress v4 = vaddr("10.0.0.1", 33);
    EXPECT_FALSE(make_address(1, v4));
    v4.prefix_len = 24;
    v4.scope = "bogus";
    EXPECT_FALSE(make_address(1, v4));
}

TEST(MakeRoute, NeedsDeviceOrGateway) {
    VirtualRoute r = vroute("10.9.0.0", 16);
    EXPECT_FALSE(make_route(r, 0));
    EXPECT_TRUE(make_route(r, 3));
    r.type = VirtualRoute::Type::blackhole;
    EXPECT_TRUE(make_route(r, 0));
    r.type = VirtualRoute::Type::unicast;
    r.gateway = make_address("2001:db8::1");
    EXPECT_FALSE(make_route(r, 3));  // mixed families
}

class Addresses : public vigil::test::NetnsTest {
  protected:
    void SetUp() override {
        NetnsTest::SetUp();
        if (IsSkipped()) return;
        ASSERT_TRUE(sh_ok(
            "ip link add d0 type veth peer name d0p && ip link set d0p up && ip link set d0 up"));
        ifindex_ = static_cast<int>(if_nametoindex("d0"));
        ASSERT_GT(ifindex_, 0);
        auto m = AddressManager::open();
        ASSERT_TRUE(m) << m.error();
        mgr_.emplace(std::move(*m));
    }
    int ifindex_ = 0;
    std::optional<AddressManager> mgr_;
};

TEST_F(Addresses, Ipv4WithBroadcastLabelScope) {
    VirtualAddress vip = vaddr("10.1.2.3", 24);
    vip.broadcast = make_address("10.1.2.255");
    vip.label = "d0:vip";
    vip.scope = "link";
    ASSERT_TRUE(mgr_->add_address(ifindex_, vip));
    std::string out = sh("ip -o -4 addr show dev d0");
    EXPECT_NE(out.find("inet 10.1.2.3/24 brd 10.1.2.255 scope link d0:vip"), std::string::npos)
        << out;
    // The kernel's prefix route is there, as with `ip addr add`.
    EXPECT_NE(sh("ip route show dev d0").find("10.1.2.0/24"), std::string::npos);

    ASSERT_TRUE(mgr_->add_address(ifindex_, vip)) << "adding twice is success";
    EXPECT_EQ(mgr_->counters().addresses_added, 1u);
    EXPECT_EQ(mgr_->counters().addresses_already_present, 1u);

    ASSERT_TRUE(mgr_->remove_address(ifindex_, vip));
    EXPECT_EQ(sh("ip -o -4 addr show dev d0").find("10.1.2.3"), std::string::npos);
    ASSERT_TRUE(mgr_->remove_address(ifindex_, vip)) << "removing twice is success";
    EXPECT_EQ(mgr_->counters().addresses_removed, 1u);
    EXPECT_EQ(mgr_->counters().addresses_already_absent, 1u);
}

TEST_F(Addresses, Ipv4DefaultsAndPrefixHonouredOnRemove) {
    VirtualAddress vip = vaddr("192.168.7.1", 32);
    ASSERT_TRUE(mgr_->add_address(ifindex_, vip));
    std::string out = sh("ip -o -4 addr show dev d0");
    EXPECT_NE(out.find("inet 192.168.7.1/32 scope global d0"), std::string::npos) << out;
    // Removing with another prefix length does not remove a different address.
    VirtualAddress other = vip;
    other.prefix_len = 24;
    ASSERT_TRUE(mgr_->remove_address(ifindex_, other));
    EXPECT_NE(sh("ip -o -4 addr show dev d0").find("192.168.7.1/32"), std::string::npos);
    ASSERT_TRUE(mgr_->remove_address(ifindex_, vip));
    EXPECT_EQ(sh("ip -o -4 addr show dev d0").find("192.168.7.1"), std::string::npos);
}

TEST_F(Addresses, Ipv6IsNodadAndUsableAtOnce) {
    VirtualAddress vip = vaddr("2001:db8::5", 64);
    ASSERT_TRUE(mgr_->add_address(ifindex_, vip));
    std::string out = sh("ip -o -6 addr show dev d0");
    EXPECT_NE(out.find("inet6 2001:db8::5/64 scope global nodad"), std::string::npos) << out;
    std::string line = out.substr(out.find("2001:db8::5"));
    line = line.substr(0, line.find('\n'));
    EXPECT_EQ(line.find("tentative"), std::string::npos) << line;
    ASSERT_TRUE(mgr_->add_address(ifindex_, vip));
    ASSERT_TRUE(mgr_->remove_address(ifindex_, vip));
    EXPECT_EQ(sh("ip -o -6 addr show dev d0").find("2001:db8::5"), std::string::npos);
    ASSERT_TRUE(mgr_->remove_address(ifindex_, vip));
}

TEST_F(Addresses, FailureIsAValueAndCounted) {
    VirtualAddress vip = vaddr("10.1.2.3", 24);
    auto r = mgr_->add_address(99999, vip);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("10.1.2.3/24"), std::string::npos) << r.error();
    EXPECT_EQ(mgr_->counters().address_add_failed, 1u);
}

TEST_F(Addresses, RoutesViaGatewayBlackholeTableAndV6) {
    ASSERT_TRUE(sh_ok("ip addr add 10.1.2.1/24 dev d0 && ip addr add 2001:db8::1/64 dev d0 nodad"));
    VirtualRoute via = vroute("10.9.0.0", 16);
    via.gateway = make_address("10.1.2.254");
    via.metric = 50;
    ASSERT_TRUE(mgr_->add_route(ifindex_, via));
    EXPECT_EQ(sh("ip route show 10.9.0.0/16"),
              "10.9.0.0/16 via 10.1.2.254 dev d0 proto keepalived metric 50 \n");

    VirtualRoute hole = vroute("10.8.0.0", 16);
    hole.type = VirtualRoute::Type::blackhole;
    hole.table = 100;
    ASSERT_TRUE(mgr_->add_route(0, hole));
    EXPECT_EQ(sh("ip route show table 100"), "blackhole 10.8.0.0/16 proto keepalived \n");

    VirtualRoute link = vroute("172.16.5.0", 24);
    link.source = make_address("10.1.2.1");
    ASSERT_TRUE(mgr_->add_route(ifindex_, link));
    EXPECT_EQ(sh("ip route show 172.16.5.0/24"),
              "172.16.5.0/24 dev d0 proto keepalived scope link src 10.1.2.1 \n");

    VirtualRoute v6 = vroute("2001:db8:99::", 48);
    v6.gateway = make_address("2001:db8::fe");
    ASSERT_TRUE(mgr_->add_route(ifindex_, v6));
    std::string out6 = sh("ip -6 route show 2001:db8:99::/48");
    EXPECT_NE(out6.find("2001:db8:99::/48 via 2001:db8::fe dev d0 proto keepalived"),
              std::string::npos)
        << out6;

    ASSERT_TRUE(mgr_->add_route(ifindex_, via)) << "adding twice is success";
    EXPECT_EQ(mgr_->counters().routes_added, 4u);
    EXPECT_EQ(mgr_->counters().routes_already_present, 1u);

    for (auto* r : {&via, &link, &v6}) ASSERT_TRUE(mgr_->remove_route(ifindex_, *r));
    ASSERT_TRUE(mgr_->remove_route(0, hole));
    EXPECT_EQ(sh("ip route show 10.9.0.0/16"), "");
    EXPECT_EQ(sh("ip route show table 100"), "");
    EXPECT_EQ(sh("ip route show 172.16.5.0/24"), "");
    EXPECT_EQ(sh("ip -6 route show 2001:db8:99::/48"), "");
    ASSERT_TRUE(mgr_->remove_route(ifindex_, via)) << "removing twice is success";
    EXPECT_EQ(mgr_->counters().routes_removed, 4u);
    EXPECT_EQ(mgr_->counters().routes_already_absent, 1u);
}

TEST_F(Addresses, Ipv6FlagsLifetimesAndMetric) {
    VirtualAddress home = vaddr("2001:db8:50::5", 64);
    home.home = true;
    home.noprefixroute = true;
    home.mngtmpaddr = true;
    ASSERT_TRUE(mgr_->add_address(ifindex_, home));
    std::string out = sh("ip -d -6 addr show dev d0");
    EXPECT_NE(out.find("inet6 2001:db8:50::5/64 scope global nodad home mngtmpaddr noprefixroute"),
              std::string::npos)
        << out;
    EXPECT_EQ(sh("ip -6 route show 2001:db8:50::/64"), "") << "noprefixroute";

    VirtualAddress host = vaddr("2001:db8:51::5", 128);  // keepalived deprecates a /128
    ASSERT_TRUE(mgr_->add_address(ifindex_, host));
    VirtualAddress kept = vaddr("2001:db8:52::5", 128);
    kept.preferred_lft = VirtualAddress::kForever;
    ASSERT_TRUE(mgr_->add_address(ifindex_, kept));
    VirtualAddress timed = vaddr("2001:db8:53::5", 64);
    timed.valid_lft = 600;
    timed.preferred_lft = 300;
    timed.metric = 77;
    ASSERT_TRUE(mgr_->add_address(ifindex_, timed));
    out = sh("ip -6 addr show dev d0");
    auto block_of = [&](const std::string& a) {
        auto at = out.find(a);
        return at == std::string::npos ? std::string()
                                       : out.substr(at, out.find("inet6", at + 1) - at);
    };
    EXPECT_NE(block_of("2001:db8:51::5/128").find("deprecated"), std::string::npos) << out;
    EXPECT_NE(block_of("2001:db8:51::5/128").find("preferred_lft 0sec"), std::string::npos) << out;
    EXPECT_EQ(block_of("2001:db8:52::5/128").find("deprecated"), std::string::npos) << out;
    EXPECT_NE(block_of("2001:db8:53::5/64").find("valid_lft 600sec preferred_lft 300sec"),
              std::string::npos)
        << out;
    EXPECT_NE(sh("ip -6 route show 2001:db8:53::/64").find("metric 77"), std::string::npos)
        << sh("ip -6 route show dev d0");

    for (auto* a : {&home, &host, &kept, &timed}) ASSERT_TRUE(mgr_->remove_address(ifindex_, *a));
    EXPECT_EQ(sh("ip -6 addr show dev d0").find("2001:db8:5"), std::string::npos);
}

TEST_F(Addresses, Ipv4PeerAutojoinAndBroadcast) {
    VirtualAddress p2p = vaddr("10.51.0.1", 32);
    p2p.peer = make_address("10.51.0.2");
    ASSERT_TRUE(mgr_->add_address(ifindex_, p2p));
    VirtualAddress metric = vaddr("10.52.0.1", 24);
    metric.metric = 33;
    ASSERT_TRUE(mgr_->add_address(ifindex_, metric));
    VirtualAddress aj = vaddr("239.1.2.3", 32);  // autojoin joins the multicast group
    aj.autojoin = true;
    ASSERT_TRUE(mgr_->add_address(ifindex_, aj));
    std::string out = sh("ip -o -4 addr show dev d0");
    EXPECT_NE(out.find("inet 10.51.0.1 peer 10.51.0.2/32 scope global d0"), std::string::npos)
        << out;
    EXPECT_NE(out.find("inet 239.1.2.3/32 scope global autojoin d0"), std::string::npos) << out;
    EXPECT_NE(sh("ip maddr show dev d0").find("239.1.2.3"), std::string::npos);
    EXPECT_NE(sh("ip route show 10.52.0.0/24").find("metric 33"), std::string::npos)
        << sh("ip route show dev d0");
    ASSERT_TRUE(mgr_->remove_address(ifindex_, metric));
    ASSERT_TRUE(mgr_->remove_address(ifindex_, p2p));
    ASSERT_TRUE(mgr_->remove_address(ifindex_, aj));
    EXPECT_EQ(sh("ip -o -4 addr show dev d0"), "");
}

TEST_F(Addresses, RouteOptionsMetricsTypesAndMultipath) {
    ASSERT_TRUE(sh_ok("ip addr add 10.1.2.1/24 dev d0 && ip addr add 2001:db8::1/64 dev d0 nodad"));
    VirtualRoute full = vroute("10.60.0.0", 16);
    full.gateway = make_address("10.1.2.254");
    full.table = 100;
    full.metric = 7;
    full.protocol = 4;  // static
    full.tos = 0x10;
    full.realms = (3u << 16) | 4u;
    full.metrics.mtu = 1400;
    full.metrics.locked = 1u << RTAX_MTU;
    full.metrics.advmss = 1300;
    full.metrics.initcwnd = 10;
    full.metrics.rtt = 80;  // 10 ms
    ASSERT_TRUE(mgr_->add_route(ifindex_, full)) << "full";
    EXPECT_EQ(sh("ip route show table 100"),
              "10.60.0.0/16 tos 0x10 via 10.1.2.254 dev d0 proto static metric 7 realms 3/4 mtu "
              "lock 1400 rtt 10ms advmss 1300 initcwnd 10 \n");

    VirtualRoute onlink = vroute("10.61.0.0", 16);
    onlink.gateway = make_address("192.0.2.1");  // not on the link: onlink makes it acceptable
    onlink.onlink = true;
    ASSERT_TRUE(mgr_->add_route(ifindex_, onlink)) << "onlink";
    EXPECT_EQ(sh("ip route show 10.61.0.0/16"),
              "10.61.0.0/16 via 192.0.2.1 dev d0 proto keepalived onlink \n");

    VirtualRoute multi = vroute("10.62.0.0", 16);
    multi.table = 101;
    NextHop a, b;
    a.gateway = make_address("10.1.2.10");
    a.dev = "d0";
    b.gateway = make_address("10.1.2.11");
    b.dev = "d0";
    b.weight = 3;
    multi.nexthops = {a, b};
    auto ifindex_of = [](const std::string& n) {
        return static_cast<int>(if_nametoindex(n.c_str()));
    };
    ASSERT_TRUE(mgr_->add_route(0, multi, ifindex_of)) << "multipath";
    EXPECT_EQ(sh("ip route show table 101"),
              "10.62.0.0/16 proto keepalived \n\tnexthop via 10.1.2.10 dev d0 weight 1 \n\tnexthop "
              "via 10.1.2.11 dev d0 weight 3 \n");

    VirtualRoute alt = vroute("10.63.0.0", 16);
    alt.gateway = make_address("10.1.2.20");
    alt.or_gateway = make_address("10.1.2.21");
    alt.table = 102;
    ASSERT_TRUE(mgr_->add_route(ifindex_, alt)) << "or";
    EXPECT_EQ(sh("ip route show table 102"),
              "10.63.0.0/16 proto keepalived \n\tnexthop via 10.1.2.20 dev d0 weight 1 \n\tnexthop "
              "via 10.1.2.21 dev d0 weight 1 \n");

    VirtualRoute types[3] = {vroute("10.64.0.0", 16), vroute("10.65.0.0", 16),
                             vroute("10.66.0.0", 16)};
    types[0].type = VirtualRoute::Type::unreachable;
    types[1].type = VirtualRoute::Type::prohibit;
    types[2].type = VirtualRoute::Type::throw_;
    for (auto& t : types) {
        t.table = 103;
        ASSERT_TRUE(mgr_->add_route(0, t));
    }
    EXPECT_EQ(sh("ip route show table 103"),
              "unreachable 10.64.0.0/16 proto keepalived \nprohibit 10.65.0.0/16 proto keepalived "
              "\nthrow 10.66.0.0/16 proto keepalived \n");

    VirtualRoute v6 = vroute("2001:db8:99::", 48);
    v6.gateway = make_address("2001:db8::fe");
    v6.pref = 1;  // high
    v6.metric = 5;
    ASSERT_TRUE(mgr_->add_route(ifindex_, v6)) << "v6";
    EXPECT_EQ(sh("ip -6 route show 2001:db8:99::/48"),
              "2001:db8:99::/48 via 2001:db8::fe dev d0 proto keepalived metric 5 pref high\n");

    VirtualRoute appended = full;
    appended.gateway = make_address("10.1.2.253");
    appended.append = true;
    ASSERT_TRUE(mgr_->add_route(ifindex_, appended)) << "append";
    EXPECT_EQ(sh("ip route show table 100 | grep -c via"), "2\n");

    ASSERT_TRUE(mgr_->remove_route(ifindex_, full));
    ASSERT_TRUE(mgr_->remove_route(ifindex_, appended));
    ASSERT_TRUE(mgr_->remove_route(ifindex_, onlink));
    ASSERT_TRUE(mgr_->remove_route(0, multi, ifindex_of));
    ASSERT_TRUE(mgr_->remove_route(ifindex_, alt));
    for (auto& t : types) ASSERT_TRUE(mgr_->remove_route(0, t));
    ASSERT_TRUE(mgr_->remove_route(ifindex_, v6));
    for (const char* t : {"100", "101", "102", "103"})
        EXPECT_EQ(sh(std::string("ip route show table ") + t), "") << t;
    EXPECT_EQ(sh("ip route show 10.61.0.0/16"), "");
    EXPECT_EQ(sh("ip -6 route show 2001:db8:99::/48"), "");
    EXPECT_EQ(mgr_->counters().route_remove_failed, 0u);
}
