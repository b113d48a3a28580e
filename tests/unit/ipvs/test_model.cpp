#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "vigil/ipvs/model.hpp"

using namespace vigil::ipvs;
namespace ip = boost::asio::ip;

namespace {

RealServerConfig rs(const char* addr, int weight = 1, std::size_t checkers = 1) {
    RealServerConfig r;
    r.address = ip::make_address(addr);
    r.port = 80;
    r.weight = weight;
    r.checker_count = checkers;
    return r;
}

VirtualServerConfig vs3() {
    VirtualServerConfig v;
    v.keys.push_back({ip::make_address("10.0.0.1"), 80, 0, false});
    v.scheduler = "wrr";
    v.real_servers = {rs("10.0.1.1", 1), rs("10.0.1.2", 2), rs("10.0.1.3", 3)};
    return v;
}

Config one(VirtualServerConfig v) {
    Config c;
    c.virtual_servers.push_back(std::move(v));
    return c;
}

std::vector<std::pair<std::string, int>> pool(const Model& m) {
    std::vector<std::pair<std::string, int>> out;
    auto t = m.desired();
    if (t.empty()) return out;
    for (const auto& d : t[0].destinations) out.emplace_back(d.address.to_string(), d.weight);
    return out;
}

using P = std::vector<std::pair<std::string, int>>;

}  // namespace

TEST(Model, StartsWithAllServersAndGainsQuorum) {
    Model m(one(vs3()));
    auto ev = m.start();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, EventKind::quorum_up);
    EXPECT_EQ(ev[0].weight_sum, 6);
    EXPECT_EQ(pool(m), (P{{"10.0.1.1", 1}, {"10.0.1.2", 2}, {"10.0.1.3", 3}}));
    auto t = m.desired();
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t[0].scheduler, "wrr");
    EXPECT_EQ(t[0].id.port, 80);
    EXPECT_EQ(t[0].destinations[0].forwarding, Forwarding::nat);
}

TEST(Model, FailedServerIsRemovedOrInhibited) {
    auto v = vs3();
    v.real_servers[1].inhibit_on_failure = true;
    Model m(one(v));
    m.start();
    auto ev = m.set_health(0, 0, false);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, EventKind::real_server_down);
    EXPECT_EQ(ev[0].real_server, 0u);
    ev = m.set_health(0, 1, false);
    EXPECT_EQ(pool(m), (P{{"10.0.1.2", 0}, {"10.0.1.3", 3}}));
    ev = m.set_health(0, 1, true);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, EventKind::real_server_up);
    EXPECT_EQ(pool(m), (P{{"10.0.1.2", 2}, {"10.0.1.3", 3}}));
    // The same verdict twice changes nothing.
    EXPECT_TRUE(m.set_health(0, 1, true).empty());
}

TEST(Model, VirtualServerInhibitAppliesToAll) {
    auto v = vs3();
    v.inhibit_on_failure = true;
    Model m(one(v));
    m.start();
    m.set_health(0, 2, false);
    EXPECT_EQ(pool(m), (P{{"10.0.1.1", 1}, {"10.0.1.2", 2}, {"10.0.1.3", 0}}));
}

TEST(Model, QuorumWithHysteresis) {
    auto v = vs3();
    v.quorum = 4;
    v.hysteresis = 1;
    Model m(one(v));
    auto ev = m.start();  // 6 >= 4 + 1
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, EventKind::quorum_up);
    // 5 alive: still >= 4 - 1.
    EXPECT_EQ(m.set_health(0, 0, false).size(), 1u);
    // 3 alive: >= 3, keeps quorum inside the hysteresis band.
    ev = m.set_health(0, 1, false);
    ASSERT_EQ(ev.size(), 1u);
    m.set_health(0, 0, true);        // 4
    ev = m.set_health(0, 2, false);  // 1 < 4 - 1: lost
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[1].kind, EventKind::quorum_down);
    EXPECT_EQ(ev[1].weight_sum, 1);
    // No sorry server: the remaining servers stay in the pool.
    EXPECT_EQ(pool(m), (P{{"10.0.1.1", 1}}));
    // Back to 4: not yet 4 + 1.
    ev = m.set_health(0, 2, true);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, EventKind::real_server_up);
    ev = m.set_health(0, 1, true);  // 6
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[1].kind, EventKind::quorum_up);
}

TEST(Model, SorryServerWhenAllDown) {
    auto v = vs3();
    v.sorry_server = rs("10.0.9.9", 1, 0);
    v.sorry_server_lvs_method = Forwarding::dr;
    Model m(one(v));
    m.start();
    m.set_health(0, 0, false);
    m.set_health(0, 1, false);
    auto ev = m.set_health(0, 2, false);
    ASSERT_EQ(ev.size(), 3u);
    EXPECT_EQ(ev[0].kind, EventKind::real_server_down);
    EXPECT_EQ(ev[1].kind, EventKind::quorum_down);
    EXPECT_EQ(ev[2].kind, EventKind::sorry_server_in);
    auto t = m.desired();
    ASSERT_EQ(t[0].destinations.size(), 1u);
    EXPECT_EQ(t[0].destinations[0].address.to_string(), "10.0.9.9");
    EXPECT_EQ(t[0].destinations[0].forwarding, Forwarding::dr);
    ev = m.set_health(0, 1, true);
    ASSERT_EQ(ev.size(), 3u);
    EXPECT_EQ(ev[0].kind, EventKind::real_server_up);
    EXPECT_EQ(ev[1].kind, EventKind::sorry_server_out);
    EXPECT_EQ(ev[2].kind, EventKind::quorum_up);
    EXPECT_EQ(pool(m), (P{{"10.0.1.2", 2}}));
}

TEST(Model, SorryServerReplacesRemainingServersWhenQuorumLost) {
    auto v = vs3();
    v.quorum = 5;
    v.sorry_server = rs("10.0.9.9", 1, 0);
    v.sorry_server_inhibit = true;
    Model m(one(v));
    m.start();
    EXPECT_EQ(pool(m), (P{{"10.0.1.1", 1}, {"10.0.1.2", 2}, {"10.0.1.3", 3}, {"10.0.9.9", 0}}));
    m.set_health(0, 1, false);  // 4 < 5
    EXPECT_EQ(pool(m), (P{{"10.0.9.9", 1}}));
}

TEST(Model, AlphaStartsDownAndSorryAtStart) {
    auto v = vs3();
    v.alpha = true;
    v.sorry_server = rs("10.0.9.9", 1, 0);
    Model m(one(v));
    auto ev = m.start();
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[0].kind, EventKind::quorum_down);
    EXPECT_EQ(ev[1].kind, EventKind::sorry_server_in);
    EXPECT_EQ(pool(m), (P{{"10.0.9.9", 1}}));
    ev = m.set_health(0, 2, true);
    ASSERT_EQ(ev.size(), 3u);
    EXPECT_EQ(pool(m), (P{{"10.0.1.3", 3}}));
}

TEST(Model, AlphaWithoutSorryIsSilentUntilAServerPasses) {
    auto v = vs3();
    v.alpha = true;
    Model m(one(v));
    EXPECT_TRUE(m.start().empty());
    EXPECT_TRUE(pool(m).empty());
    auto ev = m.set_health(0, 0, true);
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[1].kind, EventKind::quorum_up);
}

TEST(Model, ServerWithoutCheckersIsAlwaysAlive) {
    auto v = vs3();
    v.alpha = true;
    v.real_servers[0].checker_count = 0;
    Model m(one(v));
    m.start();
    EXPECT_EQ(pool(m), (P{{"10.0.1.1", 1}}));
}

TEST(Model, DynamicWeightCountsForQuorum) {
    auto v = vs3();
    v.quorum = 3;
    Model m(one(v));
    m.start();
    auto ev = m.set_health(0, 2, true, 0);
    EXPECT_TRUE(ev.empty());  // 1 + 2 + 0 = 3
    ev = m.set_health(0, 1, true, 1);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, EventKind::quorum_down);
    EXPECT_EQ(pool(m), (P{{"10.0.1.1", 1}, {"10.0.1.2", 1}, {"10.0.1.3", 0}}));
}

TEST(Model, OmegaOnShutdown) {
    auto v = vs3();
    v.omega = true;
    auto w = vs3();
    w.keys[0].port = 443;
    Config c;
    c.virtual_servers = {v, w};
    Model m(c);
    m.start();
    m.set_health(0, 0, false);
    auto ev = m.shutdown();
    ASSERT_EQ(ev.size(), 3u);
    EXPECT_EQ(ev[0].kind, EventKind::real_server_down);
    EXPECT_EQ(ev[0].real_server, 1u);
    EXPECT_EQ(ev[1].real_server, 2u);
    EXPECT_EQ(ev[2].kind, EventKind::quorum_down);
    EXPECT_EQ(ev[2].virtual_server, 0u);
    EXPECT_TRUE(m.desired().empty());
    EXPECT_TRUE(m.set_health(0, 0, true).empty());
}

TEST(Model, ServiceSettingsFromConfig) {
    auto v = vs3();
    v.scheduler = "sh";
    v.persistence_timeout = std::chrono::seconds(300);
    v.persistence_granularity = ip::make_address("255.255.255.0");
    v.ops = true;
    v.sched_flags = {"sh-port", "sh-fallback"};
    v.forwarding = Forwarding::dr;
    v.real_servers[0].forwarding = Forwarding::tun;
    v.keys.push_back({std::nullopt, 0, 7, true});
    v.real_servers.push_back(rs("2001:db8::5"));
    Model m(one(v));
    m.start();
    auto t = m.desired();
    ASSERT_EQ(t.size(), 2u);
    const Service& a = t[0];  // address services sort before fwmark ones
    EXPECT_EQ(a.timeout, 300u);
    EXPECT_EQ(a.prefix, 24u);
    EXPECT_EQ(a.flags, 0x1u | 0x4u | 0x8u | 0x10u);
    ASSERT_EQ(a.destinations.size(), 3u);  // the IPv6 server is not in an IPv4 service
    EXPECT_EQ(a.destinations[0].forwarding, Forwarding::tun);
    EXPECT_EQ(a.destinations[1].forwarding, Forwarding::dr);
    const Service& f = t[1];
    EXPECT_EQ(f.id.fwmark, 7u);
    EXPECT_TRUE(f.id.is_ipv6());
    ASSERT_EQ(f.destinations.size(), 1u);
    EXPECT_EQ(f.destinations[0].address.to_string(), "2001:db8::5");
}

TEST(Model, VirtualServerWithoutRealServersIsIgnored) {
    // keepalived: "has no real servers - ignoring", even with a sorry server.
    VirtualServerConfig v;
    v.keys.push_back({ip::make_address("10.0.0.2"), 80, 0, false});
    v.sorry_server = rs("10.0.9.9", 1, 0);
    Config c;
    c.virtual_servers = {v, vs3()};
    Model m(c);
    auto ev = m.start();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].virtual_server, 1u);
    auto t = m.desired();
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t[0].id.address->to_string(), "10.0.0.1");
    Model next(c);
    EXPECT_EQ(next.start_from(m).size(), 0u);
    EXPECT_EQ(next.desired().size(), 1u);
}

TEST(Model, QuorumAboveTotalWeightIsLowered) {
    auto v = vs3();  // weights 1 + 2 + 3
    v.quorum = 50;
    v.hysteresis = 10;
    Model h(one(v));
    EXPECT_EQ(h.config().virtual_servers[0].quorum, 6u);
    EXPECT_EQ(h.config().virtual_servers[0].hysteresis, 5u);
    v.hysteresis = 0;
    Model m(one(v));
    auto ev = m.start();  // reachable now: all alive is 6
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, EventKind::quorum_up);
    EXPECT_EQ(pool(m).size(), 3u);
}

TEST(Model, OnlyNatMapsPorts) {
    auto v = vs3();  // real servers on port 80
    v.keys = {{std::nullopt, 0, 3, false}, {ip::make_address("10.0.0.9"), 81, 0, false}};
    v.real_servers[0].forwarding = Forwarding::dr;
    v.real_servers[1].forwarding = Forwarding::tun;
    Model m(one(v));
    m.start();
    auto t = m.desired();
    ASSERT_EQ(t.size(), 2u);
    // The address service: DR and TUN take its port, NAT keeps the real server's.
    EXPECT_EQ(t[0].id.port, 81);
    ASSERT_EQ(t[0].destinations.size(), 3u);
    EXPECT_EQ(t[0].destinations[0].port, 81);
    EXPECT_EQ(t[0].destinations[1].port, 81);
    EXPECT_EQ(t[0].destinations[2].port, 80);
    // The firewall-mark service: 0 (the packet's own port) unless NAT.
    EXPECT_EQ(t[1].id.fwmark, 3u);
    ASSERT_EQ(t[1].destinations.size(), 3u);
    EXPECT_EQ(t[1].destinations[0].port, 0);
    EXPECT_EQ(t[1].destinations[1].port, 0);
    EXPECT_EQ(t[1].destinations[2].port, 80);
}

// Reload: health follows each real server by address and port, whatever its place, in small
// pools and in large ones (indexed), and the virtual servers by their keys.
TEST(Model, StartFromCarriesHealthByIdentity) {
    for (int servers : {3, 40}) {
        VirtualServerConfig v;
        v.keys.push_back({ip::make_address("10.0.0.1"), 80, 0, false});
        for (int i = 0; i < servers; ++i)
            v.real_servers.push_back(rs(("10.0.1." + std::to_string(i + 1)).c_str()));
        VirtualServerConfig other = v;
        other.keys[0].port = 81;
        Config c;
        c.virtual_servers = {other, v};
        Model m(c);
        m.start();
        m.set_health(1, 1, false);                              // 10.0.1.2 on :80 is down
        m.set_health(0, 0, false);                              // 10.0.1.1 on :81 is down
        std::swap(c.virtual_servers[0], c.virtual_servers[1]);  // :80 first now
        auto& moved = c.virtual_servers[0].real_servers;
        std::reverse(moved.begin(), moved.end());
        moved.push_back(rs("10.0.9.9"));  // new: starts alive
        Model next(c);
        EXPECT_TRUE(next.start_from(m).empty()) << servers;
        const auto& st = next.state();
        const std::size_t down = static_cast<std::size_t>(servers) - 2;  // 10.0.1.2 reversed
        for (std::size_t r = 0; r < st[0].real_servers.size(); ++r)
            EXPECT_EQ(st[0].real_servers[r].alive, r != down) << servers << " rs " << r;
        EXPECT_FALSE(st[1].real_servers[0].alive) << servers;
        EXPECT_TRUE(st[1].real_servers[1].alive) << servers;
    }
}
