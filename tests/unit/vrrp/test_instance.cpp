#include <gtest/gtest.h>

#include <chrono>

#include "instance.hpp"
#include "vigil/common/fake_clock.hpp"

namespace vigil::vrrp {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::make_address;

// Records what the instance asks of the world.
struct FakeWorld : InstanceIo {
    std::vector<Advert> sent;
    std::vector<std::string> calls;
    std::expected<void, std::string> send_advert(const InstanceConfig&, int,
                                                 std::span<const std::uint8_t> m,
                                                 const Address& src, const Address& dst) override {
        auto a = decode(m, src, dst);
        if (!a) return std::unexpected("undecodable");
        sent.push_back(*a);
        return {};
    }
    std::expected<void, std::string> add_address(int, const VirtualAddress& v) override {
        calls.push_back("add " + v.address.to_string());
        return {};
    }
    std::expected<void, std::string> remove_address(int, const VirtualAddress& v) override {
        calls.push_back("del " + v.address.to_string());
        return {};
    }
    std::expected<void, std::string> add_route(int, const VirtualRoute& r) override {
        calls.push_back("add route " + r.destination.to_string());
        return {};
    }
    std::expected<void, std::string> remove_route(int, const VirtualRoute& r) override {
        calls.push_back("del route " + r.destination.to_string());
        return {};
    }
    std::expected<void, std::string> add_rule(const VirtualRule& r) override {
        calls.push_back("add rule " + std::to_string(r.priority.value_or(0)));
        return {};
    }
    std::expected<void, std::string> remove_rule(const VirtualRule& r) override {
        calls.push_back("del rule " + std::to_string(r.priority.value_or(0)));
        return {};
    }
    std::vector<std::pair<int, std::string>> announced;  // (ifindex, VIP)
    std::expected<void, std::string> announce(int ifindex, const MacAddress&,
                                              const Address& v) override {
        calls.push_back("garp " + v.to_string());
        announced.emplace_back(ifindex, v.to_string());
        return {};
    }
    int ifindex_of(const std::string& name) override { return name == "eth1" ? 3 : 2; }
    std::expected<void, std::string> filter_vip(const Address& v, bool blocked) override {
        calls.push_back((blocked ? "block " : "unblock ") + v.to_string());
        return {};
    }
    std::vector<std::pair<State, State>> transitions;
    void transitioned(Instance&, State f, State t) override { transitions.emplace_back(f, t); }
    long count(const std::string& call) const {
        return std::count(calls.begin(), calls.end(), call);
    }
};

InstanceConfig config() {
    InstanceConfig c;
    c.name = "VI_1";
    c.interface = "eth0";
    c.vrid = 7;
    c.priority = 100;
    c.version = 3;
    c.advert_interval = 10ms;
    VirtualAddress v;
    v.address = make_address("10.0.0.100");
    c.vips.push_back(v);
    c.garp.master_delay = 0s;
    return c;
}

LinkInfo link() {
    LinkInfo l;
    l.ifindex = 2;
    l.up = true;
    l.mac = {0, 1, 2, 3, 4, 5};
    l.source = make_address("10.0.0.2");
    return l;
}

// Master-down of config() at priority 100: 3 x 10 ms + skew (156/256 x 10 ms).
constexpr Duration kMasterDown{36093};

struct InstanceTest : ::testing::Test {
    FakeClock clock;
    TimerQueue timers{clock};
    FakeWorld world;

    std::unique_ptr<Instance> make(InstanceConfig c = config()) {
        auto i = std::make_unique<Instance>(timers, c, world);
        i->set_link(link());
        return i;
    }

    // A peer's advert as the socket would hand it over.
    void feed(Instance& inst, Advert a, const char* src = "10.0.0.9", std::uint8_t ttl = 255,
              Clock::time_point arrival = {}) {
        const auto s = make_address(src), d = make_address("224.0.0.18");
        auto bytes = encode(a, s, d);
        RawPacket p{s, d, ttl, bytes, arrival};
        auto decoded = decode(p.message, s, d);
        ASSERT_TRUE(decoded.has_value());
        inst.receive(p, *decoded);
    }

    Advert peer(std::uint8_t prio) {
        Advert a;
        a.version = 3;
        a.vrid = 7;
        a.priority = prio;
        a.interval_cs = 10;  // a backup adopts it: master-down 0.36 s
        a.addresses = {make_address("10.0.0.100")};
        return a;
    }

    // Moves time on by `d`, feeding `a` every 5 ms.
    void run_feeding(Instance& inst, const Advert& a, std::chrono::milliseconds d,
                     std::uint8_t ttl = 255) {
        for (auto fed = 0ms; fed < d; fed += 5ms) {
            feed(inst, a, "10.0.0.9", ttl);
            clock.advance(5ms);
        }
    }
};

TEST_F(InstanceTest, BecomesMasterAfterMasterDownAndAnnounces) {
    auto i = make();
    i->start();
    EXPECT_EQ(i->state(), State::backup);
    ASSERT_EQ(kMasterDown, master_down_interval(3, 100, 10ms, 3));
    clock.advance(kMasterDown - 1us);
    EXPECT_EQ(i->state(), State::backup);  // not a microsecond early
    clock.advance(1us);
    EXPECT_EQ(i->state(), State::master);
    EXPECT_EQ(world.count("add 10.0.0.100"), 1);
    EXPECT_EQ(world.count("garp 10.0.0.100"), 5);  // garp_master_repeat
    ASSERT_FALSE(world.sent.empty());
    EXPECT_EQ(world.sent.front().priority, 100);
    EXPECT_EQ(world.sent.front().interval_cs, 1);
    const auto want = std::vector<std::pair<State, State>>{{State::init, State::backup},
                                                           {State::backup, State::master}};
    EXPECT_EQ(world.transitions, want);
    i->shutdown();
    EXPECT_EQ(i->state(), State::stop);
    EXPECT_EQ(world.sent.back().priority, 0);
    EXPECT_EQ(world.count("del 10.0.0.100"), 1);
}

TEST_F(InstanceTest, HigherPriorityAdvertsKeepItBackup) {
    auto i = make();
    i->start();
    run_feeding(*i, peer(200), 150ms);
    EXPECT_EQ(i->state(), State::backup);
    EXPECT_EQ(world.count("add 10.0.0.100"), 0);
    EXPECT_GT(i->status().adverts_received, 10u);
}

TEST_F(InstanceTest, RejectedAdvertsChangeNoTimerAndAreCounted) {
    auto i = make();
    i->start();
    auto bad = peer(200);
    bad.addresses = {make_address("10.0.0.99")};  // VIP list differs
    run_feeding(*i, bad, 150ms);
    // A flood of rejected adverts did not hold the master-down timer back.
    EXPECT_EQ(i->state(), State::master);
    const auto s = i->status();
    EXPECT_GT(s.drops.at("addr_list_mismatch"), 10u);
    EXPECT_EQ(s.adverts_received, 0u);

    auto j = make();
    j->start();
    run_feeding(*j, peer(200), 20ms, 254);  // TTL not 255
    clock.advance(100ms);
    EXPECT_EQ(j->state(), State::master);
    EXPECT_GT(j->status().drops.at("bad_ttl"), 0u);
}

TEST_F(InstanceTest, TrackingFaultAndPriority) {
    auto i = make();
    i->start();
    clock.advance(100ms);
    ASSERT_EQ(i->state(), State::master);
    i->set_priority({100, true});
    EXPECT_EQ(i->state(), State::fault);
    EXPECT_EQ(world.sent.back().priority, 0);
    EXPECT_EQ(world.count("del 10.0.0.100"), 1);
    i->set_priority({100, false});
    EXPECT_EQ(i->state(), State::backup);
    // Link down is a fault too.
    auto l = link();
    l.up = false;
    i->set_link(l);
    EXPECT_EQ(i->state(), State::fault);
}

TEST_F(InstanceTest, PriorityChangeOnMasterIsAdvertisedAtOnce) {
    auto i = make();
    i->start();
    clock.advance(100ms);
    ASSERT_EQ(i->state(), State::master);
    i->set_priority({150, false});
    EXPECT_EQ(world.sent.back().priority, 150);
}

TEST_F(InstanceTest, OwnPacketsAreIgnored) {
    auto i = make();
    i->start();
    for (int n = 0; n < 20; ++n) {
        feed(*i, peer(200), "10.0.0.2");
        clock.advance(5ms);
    }
    clock.advance(50ms);
    EXPECT_EQ(i->state(), State::master);
    EXPECT_GT(i->status().drops.at("own_packet"), 0u);
}

TEST_F(InstanceTest, MasterDownRunsFromArrivalNotFromProcessing) {
    auto i = make();
    i->start();
    // Master-down at 0.1 s adverts and priority 100: 300 ms + 60.9375 ms skew. The advert was
    // read 300 ms after it arrived (a busy loop): 60.9375 ms remain, not 360.9375.
    feed(*i, peer(200), "10.0.0.9", 255, clock.now() - 300ms);
    clock.advance(60937us - 1us);
    EXPECT_EQ(i->state(), State::backup);  // never earlier than the interval
    clock.advance(1us);
    EXPECT_EQ(i->state(), State::master);
}

TEST_F(InstanceTest, GarpBurstIsSpacedByGarpInterval) {
    auto c = config();
    c.garp.interval = 30ms;
    c.garp.master_repeat = 3;
    auto i = make(c);
    i->start();
    clock.advance(kMasterDown);
    ASSERT_EQ(i->state(), State::master);
    EXPECT_EQ(world.count("garp 10.0.0.100"), 1);  // the rest waits for the gaps
    clock.advance(30ms - 1us);
    EXPECT_EQ(world.count("garp 10.0.0.100"), 1);
    clock.advance(1us);
    EXPECT_EQ(world.count("garp 10.0.0.100"), 2);
    clock.advance(30ms);
    EXPECT_EQ(world.count("garp 10.0.0.100"), 3);
    clock.advance(100ms);
    EXPECT_EQ(world.count("garp 10.0.0.100"), 3);
}

TEST_F(InstanceTest, GarpMasterRefreshRepeatsWhileMaster) {
    auto c = config();
    c.garp.master_repeat = 1;
    c.garp.master_refresh = 40ms;
    c.garp.master_refresh_repeat = 2;
    auto i = make(c);
    i->start();
    clock.advance(kMasterDown);
    ASSERT_EQ(i->state(), State::master);
    EXPECT_EQ(world.count("garp 10.0.0.100"), 1);
    clock.advance(100ms);  // two refreshes of two each (at 40 and 80 ms)
    EXPECT_EQ(world.count("garp 10.0.0.100"), 5);
    i->set_priority({100, true});  // FAULT: no more refreshes
    clock.advance(100ms);
    EXPECT_EQ(world.count("garp 10.0.0.100"), 5);
}

TEST_F(InstanceTest, LowerPriorityAdvertRefreshesArpCaches) {
    auto c = config();
    c.garp.lower_prio_repeat = 2;
    c.garp.lower_prio_delay = 30ms;
    auto i = make(c);
    i->start();
    clock.advance(100ms);
    ASSERT_EQ(i->state(), State::master);
    const auto before = world.count("garp 10.0.0.100");
    feed(*i, peer(50));
    EXPECT_EQ(i->state(), State::master);
    EXPECT_EQ(world.count("garp 10.0.0.100"), before + 2);
    clock.advance(60ms);
    EXPECT_EQ(world.count("garp 10.0.0.100"), before + 4);  // the second set after the delay
}

TEST_F(InstanceTest, UpdateInPlaceKeepsStateAndAppliesVipDifferences) {
    auto i = make();
    i->start();
    clock.advance(100ms);
    ASSERT_EQ(i->state(), State::master);
    auto c = config();
    c.priority = 50;
    c.vips.clear();
    VirtualAddress v;
    v.address = make_address("10.0.0.101");
    c.vips.push_back(v);
    ASSERT_TRUE(i->can_update(c));
    i->update(c);
    i->set_priority({50, false});
    EXPECT_EQ(i->state(), State::master);
    EXPECT_EQ(world.count("del 10.0.0.100"), 1);
    EXPECT_EQ(world.count("add 10.0.0.101"), 1);
    EXPECT_EQ(world.sent.back().priority, 50);
    ASSERT_EQ(world.sent.back().addresses.size(), 1u);
    EXPECT_EQ(world.sent.back().addresses[0], make_address("10.0.0.101"));
    EXPECT_EQ(world.transitions.size(), 2u);
    auto other = c;
    other.vrid = 8;
    EXPECT_FALSE(i->can_update(other));
}

// Only the route and rule calls, in order.
std::vector<std::string> routing(const std::vector<std::string>& calls) {
    std::vector<std::string> out;
    for (const auto& c : calls)
        if (c.find(" route ") != std::string::npos || c.find(" rule ") != std::string::npos)
            out.push_back(c);
    return out;
}

TEST_F(InstanceTest, VirtualRoutesAndRulesFollowMasterState) {
    auto c = config();
    VirtualRoute route;
    route.destination = make_address("10.80.0.0");
    route.prefix_len = 16;
    route.dev = "eth0";
    c.routes.push_back(route);
    c.rules.emplace_back();  // built in place: GCC 12 misreads a copied optional<address>
    c.rules.back().priority = 200;
    c.rules.back().table = 200;
    auto i = make(c);
    i->start();
    EXPECT_TRUE(routing(world.calls).empty()) << "nothing while backup";
    clock.advance(100ms);
    ASSERT_EQ(i->state(), State::master);
    EXPECT_EQ(routing(world.calls),
              (std::vector<std::string>{"add route 10.80.0.0", "add rule 200"}));

    // Reload while master: only the differences.
    auto next = c;
    next.rules[0].priority = 201;
    i->update(next);
    EXPECT_EQ(routing(world.calls), (std::vector<std::string>{"add route 10.80.0.0", "add rule 200",
                                                              "del rule 200", "add rule 201"}));

    // A higher priority master: rules go before the routes they may lead to.
    world.calls.clear();
    run_feeding(*i, peer(200), 30ms);
    ASSERT_EQ(i->state(), State::backup);
    EXPECT_EQ(routing(world.calls),
              (std::vector<std::string>{"del rule 201", "del route 10.80.0.0"}));
    world.calls.clear();
    i->shutdown();
    EXPECT_TRUE(routing(world.calls).empty()) << "nothing left to remove";
}

TEST_F(InstanceTest, StrictWithoutAcceptBlocksVipsWhileInstalled) {
    auto c = config();
    c.strict = true;
    auto i = make(c);
    i->start();
    clock.advance(100ms);
    ASSERT_EQ(i->state(), State::master);
    const auto block = std::find(world.calls.begin(), world.calls.end(), "block 10.0.0.100");
    const auto add = std::find(world.calls.begin(), world.calls.end(), "add 10.0.0.100");
    ASSERT_NE(block, world.calls.end());
    EXPECT_LT(block, add);  // never answering, not even for a moment
    i->shutdown();
    EXPECT_EQ(world.calls.back(), "unblock 10.0.0.100");

    world.calls.clear();
    c.accept = true;
    auto j = make(c);
    j->start();
    clock.advance(100ms);
    ASSERT_EQ(j->state(), State::master);
    EXPECT_EQ(world.count("block 10.0.0.100"), 0);
}

TEST_F(InstanceTest, CheckUnicastSrcDropsAdvertsFromOthersThanPeers) {
    auto c = config();
    c.unicast_peers = {make_address("10.0.0.8")};
    // Without check_unicast_src keepalived accepts any sender: the backup stays backup.
    auto i = make(c);
    i->start();
    run_feeding(*i, peer(200), 150ms);
    EXPECT_EQ(i->state(), State::backup);
    EXPECT_FALSE(i->status().drops.contains("not_from_peer"));

    c.check_unicast_src = true;
    auto j = make(c);
    j->start();
    run_feeding(*j, peer(200), 150ms);  // from 10.0.0.9, not a peer
    EXPECT_EQ(j->state(), State::master);
    EXPECT_GT(j->status().drops.at("not_from_peer"), 10u);
    EXPECT_EQ(j->status().adverts_received, 0u);
}

TEST(UnicastSource, AllowedOnlyFromPeersWhenChecked) {
    auto c = config();
    const auto peer = make_address("10.0.0.8"), other = make_address("10.0.0.9");
    c.unicast_peers = {peer};
    EXPECT_TRUE(unicast_source_allowed(c, other));
    c.check_unicast_src = true;
    EXPECT_TRUE(unicast_source_allowed(c, peer));
    EXPECT_FALSE(unicast_source_allowed(c, other));
}

TEST(ConfigFault, UnicastFaultNoPeer) {
    auto c = config();
    EXPECT_FALSE(config_fault(c, link()));
    c.unicast_fault_no_peer = true;
    EXPECT_TRUE(config_fault(c, link()));
    c.unicast_peers = {make_address("10.0.0.8")};
    EXPECT_FALSE(config_fault(c, link()));
}

TEST(ConfigFault, TrackSrcIpFaultsWhileTheConfiguredSourceIsGone) {
    auto c = config();
    c.mcast_src = make_address("10.0.5.1");
    auto l = link();
    l.configured_source_present = false;
    EXPECT_FALSE(config_fault(c, l));  // not tracked
    c.track_src_ip = true;
    EXPECT_TRUE(config_fault(c, l));
    l.configured_source_present = true;
    EXPECT_FALSE(config_fault(c, l));
}

TEST_F(InstanceTest, UnicastFaultNoPeerKeepsTheInstanceInFault) {
    auto c = config();
    c.unicast_fault_no_peer = true;
    auto i = make(c);
    i->start();
    clock.advance(100ms);
    EXPECT_EQ(i->state(), State::fault);
    EXPECT_EQ(world.count("add 10.0.0.100"), 0);
}

TEST_F(InstanceTest, TrackSrcIpFaultAndRecovery) {
    auto c = config();
    c.mcast_src = make_address("10.0.5.1");
    c.track_src_ip = true;
    auto i = make(c);
    i->start();
    clock.advance(100ms);
    ASSERT_EQ(i->state(), State::master);
    auto l = link();
    l.configured_source_present = false;
    i->set_link(l);
    EXPECT_EQ(i->state(), State::fault);
    EXPECT_EQ(world.count("del 10.0.0.100"), 1);
    l.configured_source_present = true;
    i->set_link(l);
    EXPECT_EQ(i->state(), State::backup);
    clock.advance(100ms);
    EXPECT_EQ(i->state(), State::master);
}

// garp_extra_if: which interfaces a refresh goes to.
TEST(GarpExtraIf, WhichInterfacesAreRefreshed) {
    // Adverts leave from ifindex 2; 3 is another interface, 4 a VMAC.
    EXPECT_FALSE(extra_if_announces(2, 2, true, {}));
    EXPECT_TRUE(extra_if_announces(3, 2, true, {}));
    EXPECT_FALSE(extra_if_announces(3, 2, false, {4}));
    EXPECT_TRUE(extra_if_announces(4, 2, false, {4}));
    EXPECT_FALSE(extra_if_announces(0, 2, true, {}));
}

TEST_F(InstanceTest, GarpExtraIfRefreshesOtherInterfacesWhileMaster) {
    auto c = config();
    c.garp.master_repeat = 1;
    c.garp.extra_if = 40ms;
    c.garp.extra_if_all = true;
    VirtualAddress other;
    other.address = make_address("10.1.0.100");
    other.dev = "eth1";
    c.excluded_vips.push_back(other);
    auto i = make(c);
    i->start();
    clock.advance(kMasterDown);
    ASSERT_EQ(i->state(), State::master);
    world.announced.clear();
    clock.advance(210ms);
    const auto on = [&](int idx, const std::string& vip) {
        return std::count(world.announced.begin(), world.announced.end(),
                          std::pair<int, std::string>{idx, vip});
    };
    EXPECT_EQ(on(3, "10.1.0.100"), 5);  // every 40 ms
    EXPECT_EQ(on(2, "10.0.0.100"), 0);  // its own interface is kept fresh by the adverts
    i->set_priority({100, true});
    ASSERT_EQ(i->state(), State::fault);
    world.announced.clear();
    clock.advance(100ms);
    EXPECT_TRUE(world.announced.empty());
}

}  // namespace
}  // namespace vigil::vrrp
