#include <gtest/gtest.h>
#include <net/if.h>

#include <boost/asio/io_context.hpp>
#include <chrono>

#include "link_monitor.hpp"
#include "netns_fixture.hpp"
#include "vmac.hpp"

using namespace vigil::vrrp;
using vigil::test::sh;
using vigil::test::sh_ok;

namespace {

// Runs the loop until pred holds, at most 15 s: carrier changes go through the kernel's
// linkwatch, which waits for the RTNL lock that other namespaces on a busy host may hold.
template <typename Pred>
bool run_until(boost::asio::io_context& io, Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (!pred() && std::chrono::steady_clock::now() < deadline) {
        io.run_one_for(std::chrono::milliseconds(50));
        if (io.stopped()) io.restart();
    }
    return pred();
}

}  // namespace

class Links : public vigil::test::NetnsTest {};

TEST_F(Links, DumpAtStartGivesMacStateAndAddresses) {
    ASSERT_TRUE(
        sh_ok("ip link add va address 02:00:00:00:00:0a type veth peer name vb && "
              "ip addr add 10.0.0.1/24 dev va && ip addr add 10.0.0.2/24 dev va && "
              "ip link set va up && ip link set vb up"));
    boost::asio::io_context io;
    LinkMonitor mon(io);
    auto started = mon.start();
    ASSERT_TRUE(started) << started.error();
    auto va = mon.find("va");
    ASSERT_TRUE(va);
    EXPECT_EQ(va->index, static_cast<int>(if_nametoindex("va")));
    EXPECT_EQ(va->mac, (MacAddress{0x02, 0, 0, 0, 0, 0x0a}));
    ASSERT_TRUE(va->primary_v4);
    EXPECT_EQ(va->primary_v4->to_string(), "10.0.0.1");  // 10.0.0.2 is secondary
    ASSERT_TRUE(run_until(io, [&] { return mon.find("va") && mon.find("va")->up; }));
    EXPECT_EQ(mon.find(va->index)->name, "va");
    EXPECT_FALSE(mon.find("nothere0"));
    EXPECT_FALSE(mon.find(99999));
    EXPECT_TRUE(mon.find("lo"));
}

TEST_F(Links, CarrierLossAndReturnAreEvents) {
    ASSERT_TRUE(
        sh_ok("ip link add va type veth peer name vb && ip link set va up && "
              "ip link set vb up"));
    boost::asio::io_context io;
    LinkMonitor mon(io);
    ASSERT_TRUE(mon.start());
    std::vector<LinkMonitor::Link> seen;
    mon.on_change([&](const LinkMonitor::Link& l) {
        if (l.name == "va") seen.push_back(l);
    });
    ASSERT_TRUE(run_until(io, [&] { return mon.find("va")->up; }));

    seen.clear();
    ASSERT_TRUE(sh_ok("ip link set vb down"));  // va keeps IFF_UP but loses its carrier
    ASSERT_TRUE(run_until(io, [&] { return !seen.empty() && !seen.back().up; }));
    EXPECT_FALSE(mon.find("va")->up);

    ASSERT_TRUE(sh_ok("ip link set vb up"));
    ASSERT_TRUE(run_until(io, [&] { return !seen.empty() && seen.back().up; }));

    ASSERT_TRUE(sh_ok("ip link set va down"));
    ASSERT_TRUE(run_until(io, [&] { return !seen.back().up; }));
    EXPECT_TRUE(seen.back().present);
}

TEST_F(Links, AddressChangesAndDeletionAreEvents) {
    // No kernel-made link-local: the test decides which one d0 has.
    ASSERT_TRUE(
        sh_ok("ip link add d0 type veth peer name d0p && ip link set d0 addrgenmode none && "
              "ip link set d0p up && ip link set d0 up"));
    boost::asio::io_context io;
    LinkMonitor mon(io);
    ASSERT_TRUE(mon.start());
    std::vector<LinkMonitor::Link> seen;
    mon.on_change([&](const LinkMonitor::Link& l) {
        if (l.name == "d0") seen.push_back(l);
    });
    ASSERT_TRUE(sh_ok("ip addr add 192.0.2.1/24 dev d0"));
    ASSERT_TRUE(run_until(io, [&] { return !seen.empty() && seen.back().primary_v4; }));
    EXPECT_EQ(seen.back().primary_v4->to_string(), "192.0.2.1");

    ASSERT_TRUE(sh_ok("ip addr add fe80::42/64 dev d0"));
    ASSERT_TRUE(run_until(io, [&] { return seen.back().link_local_v6.has_value(); }));
    EXPECT_EQ(mon.find("d0")->link_local_v6->to_string(), "fe80::42");

    ASSERT_TRUE(sh_ok("ip addr del 192.0.2.1/24 dev d0"));
    ASSERT_TRUE(run_until(io, [&] { return !seen.back().primary_v4; }));

    ASSERT_TRUE(sh_ok("ip link del d0"));
    ASSERT_TRUE(run_until(io, [&] { return !seen.back().present; }));
    EXPECT_FALSE(seen.back().up);
    EXPECT_FALSE(mon.find("d0"));
    EXPECT_GE(mon.counters().events, 4u);
}

TEST_F(Links, BurstOfChangesAllSeen) {
    boost::asio::io_context io;
    LinkMonitor mon(io);
    ASSERT_TRUE(mon.start());
    std::set<std::string> seen;
    mon.on_change([&](const LinkMonitor::Link& l) {
        if (l.present) seen.insert(l.name);
    });
    std::string cmd;
    for (int i = 0; i < 50; ++i) cmd += "link add dm" + std::to_string(i) + " type bridge\n";
    ASSERT_TRUE(sh_ok("printf '" + cmd + "' | ip -batch -"));
    ASSERT_TRUE(run_until(io, [&] { return seen.size() >= 50; })) << seen.size();
    EXPECT_EQ(mon.links().size(), 51u);  // lo too
}

TEST(Vmac, MacAndName) {
    EXPECT_EQ(virtual_mac(7, false), (MacAddress{0, 0, 0x5e, 0, 1, 7}));
    EXPECT_EQ(virtual_mac(255, true), (MacAddress{0, 0, 0x5e, 0, 2, 255}));
    EXPECT_EQ(default_vmac_name(51), "vrrp.51");
    VmacSpec bad;
    bad.name = "a-name-much-too-long";
    bad.base_ifindex = 1;
    EXPECT_FALSE(make_vmac(bad));
}

class VmacNs : public vigil::test::NetnsTest {};

TEST_F(VmacNs, CreateReuseAndRemove) {
    ASSERT_TRUE(
        sh_ok("ip link add d0 type veth peer name d0p && ip link set d0p up && ip link set d0 up"));
    auto mgr = VmacManager::open();
    ASSERT_TRUE(mgr) << mgr.error();
    VmacSpec spec;
    spec.name = default_vmac_name(7);
    spec.base_ifindex = static_cast<int>(if_nametoindex("d0"));
    spec.mac = virtual_mac(7, false);
    auto idx = mgr->create(spec);
    ASSERT_TRUE(idx) << idx.error();
    EXPECT_EQ(*idx, static_cast<int>(if_nametoindex("vrrp.7")));
    std::string out = sh("ip -d link show vrrp.7");
    EXPECT_NE(out.find("vrrp.7@d0"), std::string::npos) << out;
    EXPECT_NE(out.find("link/ether 00:00:5e:00:01:07"), std::string::npos) << out;
    EXPECT_NE(out.find("macvlan mode private"), std::string::npos) << out;
    EXPECT_NE(out.find(",UP"), std::string::npos) << out;

    auto again = mgr->create(spec);
    ASSERT_TRUE(again) << again.error();
    EXPECT_EQ(*again, *idx);

    VmacSpec clash = spec;
    clash.mac = virtual_mac(8, false);
    EXPECT_FALSE(mgr->create(clash));

    ASSERT_TRUE(mgr->remove("vrrp.7"));
    EXPECT_EQ(if_nametoindex("vrrp.7"), 0u);
    ASSERT_TRUE(mgr->remove("vrrp.7")) << "removing twice is success";
}

TEST_F(VmacNs, Ipv6VirtualMac) {
    ASSERT_TRUE(
        sh_ok("ip link add d0 type veth peer name d0p && ip link set d0p up && ip link set d0 up"));
    auto mgr = VmacManager::open();
    ASSERT_TRUE(mgr);
    VmacSpec spec;
    spec.name = "vip6";
    spec.base_ifindex = static_cast<int>(if_nametoindex("d0"));
    spec.mac = virtual_mac(200, true);
    ASSERT_TRUE(mgr->create(spec));
    EXPECT_NE(sh("ip link show vip6").find("link/ether 00:00:5e:00:02:c8"), std::string::npos);
    ASSERT_TRUE(mgr->remove("vip6"));
}
