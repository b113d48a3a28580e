#include <gtest/gtest.h>
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
    ASSERT_TRUE(mgr_->add_route(via, ifindex_));
    EXPECT_EQ(sh("ip route show 10.9.0.0/16"),
              "10.9.0.0/16 via 10.1.2.254 dev d0 proto keepalived metric 50 \n");

    VirtualRoute hole = vroute("10.8.0.0", 16);
    hole.type = VirtualRoute::Type::blackhole;
    hole.table = 100;
    ASSERT_TRUE(mgr_->add_route(hole, 0));
    EXPECT_EQ(sh("ip route show table 100"), "blackhole 10.8.0.0/16 proto keepalived \n");

    VirtualRoute link = vroute("172.16.5.0", 24);
    link.source = make_address("10.1.2.1");
    ASSERT_TRUE(mgr_->add_route(link, ifindex_));
    EXPECT_EQ(sh("ip route show 172.16.5.0/24"),
              "172.16.5.0/24 dev d0 proto keepalived scope link src 10.1.2.1 \n");

    VirtualRoute v6 = vroute("2001:db8:99::", 48);
    v6.gateway = make_address("2001:db8::fe");
    ASSERT_TRUE(mgr_->add_route(v6, ifindex_));
    std::string out6 = sh("ip -6 route show 2001:db8:99::/48");
    EXPECT_NE(out6.find("2001:db8:99::/48 via 2001:db8::fe dev d0 proto keepalived"),
              std::string::npos)
        << out6;

    ASSERT_TRUE(mgr_->add_route(via, ifindex_)) << "adding twice is success";
    EXPECT_EQ(mgr_->counters().routes_added, 4u);
    EXPECT_EQ(mgr_->counters().routes_already_present, 1u);

    for (auto* r : {&via, &link, &v6}) ASSERT_TRUE(mgr_->remove_route(*r, ifindex_));
    ASSERT_TRUE(mgr_->remove_route(hole, 0));
    EXPECT_EQ(sh("ip route show 10.9.0.0/16"), "");
    EXPECT_EQ(sh("ip route show table 100"), "");
    EXPECT_EQ(sh("ip route show 172.16.5.0/24"), "");
    EXPECT_EQ(sh("ip -6 route show 2001:db8:99::/48"), "");
    ASSERT_TRUE(mgr_->remove_route(via, ifindex_)) << "removing twice is success";
    EXPECT_EQ(mgr_->counters().routes_removed, 4u);
    EXPECT_EQ(mgr_->counters().routes_already_absent, 1u);
}
