// Operator overrides: the model's admin states, naming a target, counting conntrack flows and
// the director's drain.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "vigil/common/fake_clock.hpp"

#include "vigil/ipvs/director.hpp"
#include "vigil/ipvs/live.hpp"
#include "vigil/ipvs/model.hpp"

using namespace vigil::ipvs;
namespace ip = boost::asio::ip;

namespace {

Config pool(unsigned quorum = 1) {
    VirtualServerConfig v;
    v.keys.push_back({ip::make_address("10.0.0.1"), 80, 0, false});
    v.quorum = quorum;
    for (const char* a : {"10.0.1.1", "10.0.1.2", "10.0.1.3"}) {
        RealServerConfig r;
        r.address = ip::make_address(a);
        r.port = 8080;
        r.checker_count = 1;
        v.real_servers.push_back(r);
    }
    Config c;
    c.virtual_servers.push_back(v);
    return c;
}

const Destination* dest(const Table& t, const char* addr) {
    for (const auto& d : t.at(0).destinations)
        if (d.address == ip::make_address(addr)) return &d;
    return nullptr;
}

}  // namespace

TEST(Admin, DisabledLeavesDrainingStaysAtWeightZero) {
    Model m(pool());
    m.start();
    EXPECT_TRUE(m.set_admin(0, 0, Admin::disabled).empty());  // no real-server event
    m.set_admin(0, 1, Admin::draining);
    const auto t = m.desired();
    EXPECT_EQ(dest(t, "10.0.1.1"), nullptr);
    ASSERT_NE(dest(t, "10.0.1.2"), nullptr);
    EXPECT_EQ(dest(t, "10.0.1.2")->weight, 0);
    EXPECT_EQ(dest(t, "10.0.1.3")->weight, 1);
    EXPECT_EQ(m.alive_weight(0), 1);
    m.set_admin(0, 0, Admin::enabled);
    EXPECT_EQ(dest(m.desired(), "10.0.1.1")->weight, 1);
}

TEST(Admin, CountsAgainstQuorum) {
    Model m(pool(3));
    m.start();
    auto ev = m.set_admin(0, 2, Admin::disabled);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, EventKind::quorum_down);
    ev = m.set_admin(0, 2, Admin::enabled);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, EventKind::quorum_up);
}

TEST(Admin, Locate) {
    auto c = pool();
    auto udp = c.virtual_servers[0];
    udp.protocol = Protocol::udp;
    c.virtual_servers.push_back(udp);
    EXPECT_FALSE(locate(c, "10.0.0.1:80", "10.0.1.2:8080"));  // tcp and udp
    auto t = locate(c, "udp:10.0.0.1:80", "10.0.1.2:8080");
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t->vs, 1u);
    EXPECT_EQ(t->rs, 1u);
    t = locate(c, "tcp:10.0.0.1:80", "10.0.1.3");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->rs, 2u);
    EXPECT_FALSE(locate(c, "tcp:10.0.0.1:81", "10.0.1.3"));
    EXPECT_FALSE(locate(c, "tcp:10.0.0.1:80", "10.0.1.9:8080"));
}

TEST(Conntrack, CountsFlowsPerDestination) {
    const char* text =
        "ipv4     2 tcp      6 431999 ESTABLISHED src=10.0.0.100 dst=10.0.0.1 sport=40000 "
        "dport=80 src=10.0.1.2 dst=10.0.0.100 sport=8080 dport=40000 [ASSURED] mark=0 zone=0 "
        "use=2\n"
        "ipv4     2 tcp      6 100 TIME_WAIT src=10.0.0.100 dst=10.0.0.1 sport=40001 dport=80 "
        "src=10.0.1.2 dst=10.0.0.100 sport=8080 dport=40001 [ASSURED] mark=0 zone=0 use=2\n"
        "ipv4     2 udp      17 20 src=10.0.0.100 dst=10.0.0.1 sport=5000 dport=53 "
        "src=10.0.1.3 dst=10.0.0.100 sport=53 dport=5000 mark=0 zone=0 use=2\n"
        "ipv6     10 tcp      6 300 ESTABLISHED src=fd00::100 dst=fd00::1 sport=1 dport=80 "
        "src=fd00:1::2 dst=fd00::100 sport=8080 dport=1 [ASSURED] mark=0 zone=0 use=2\n"
        "garbage\n";
    const auto c = count_conntrack(text);
    const auto a = ip::make_address("10.0.0.1");
    EXPECT_EQ(c.at(conntrack_key(Protocol::tcp, a, 80, ip::make_address("10.0.1.2"), 8080)),
              (ConntrackCount{1, 1}));
    EXPECT_EQ(c.at(conntrack_key(Protocol::udp, a, 53, ip::make_address("10.0.1.3"), 53)),
              (ConntrackCount{1, 0}));
    EXPECT_EQ(c.at(conntrack_key(Protocol::tcp, ip::make_address("fd00::1"), 80,
                                 ip::make_address("fd00:1::2"), 8080)),
              (ConntrackCount{1, 0}));
    EXPECT_EQ(c.size(), 3u);
}

namespace {

// A data plane whose live view reports `active` connections on every destination.
struct Counted final : DataPlane {
    Table last;
    std::uint32_t* active;
    explicit Counted(std::uint32_t* a) : active(a) {}
    std::string_view name() const override { return "counted"; }
    Result<void> apply(const Table& t) override {
        last = t;
        return {};
    }
    Result<Table> read() override { return last; }
    Result<void> flush() override {
        last.clear();
        return {};
    }
    Result<LiveTable> live() override {
        LiveTable out;
        for (const auto& s : last) {
            LiveService ls;
            ls.service = s;
            for (const auto& d : s.destinations) ls.destinations.push_back({d, *active, 0, 0, {}});
            out.push_back(ls);
        }
        return out;
    }
};

}  // namespace

TEST(Drain, RemovedWhenConnectionsAreGoneOrAtTheTimeout) {
    boost::asio::io_context io;
    vigil::FakeClock clock;
    using std::chrono::seconds;
    std::uint32_t active = 3;
    Counted* plane = nullptr;
    std::vector<std::string> logs;
    Director d(io, clock, {[&](std::string_view l) { logs.emplace_back(l); }, {}, {}},
               [&](const Config&, const LogFn&) -> Result<std::unique_ptr<DataPlane>> {
                   auto p = std::make_unique<Counted>(&active);
                   plane = p.get();
                   return std::unique_ptr<DataPlane>(std::move(p));
               });
    ASSERT_TRUE(d.start(pool()));  // connections are counted every second
    auto r = d.set_admin("10.0.0.1:80", "10.0.1.2:8080", Admin::draining);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(*r, "tcp:10.0.0.1:80 10.0.1.2:8080");
    io.poll();
    clock.advance(seconds(1));
    io.poll();
    ASSERT_NE(dest(plane->last, "10.0.1.2"), nullptr);
    EXPECT_EQ(dest(plane->last, "10.0.1.2")->weight, 0);  // still draining: 3 connections
    ASSERT_EQ(d.status().overrides.size(), 1u);
    EXPECT_EQ(d.status().overrides[0].connections, 3u);
    active = 0;
    clock.advance(seconds(1) - std::chrono::microseconds(1));
    io.restart();
    io.poll();
    EXPECT_NE(dest(plane->last, "10.0.1.2"), nullptr);  // seen at the next count only
    clock.advance(std::chrono::microseconds(1));
    io.restart();
    io.poll();
    EXPECT_EQ(dest(plane->last, "10.0.1.2"), nullptr);
    EXPECT_EQ(d.status().overrides.at(0).admin, Admin::disabled);
    EXPECT_EQ(d.status().counters.drains_completed, 1u);

    // With connections that never end, the timeout removes it.
    active = 5;
    ASSERT_TRUE(d.set_admin("10.0.0.1:80", "10.0.1.3", Admin::draining, seconds(5)));
    clock.advance(seconds(4));
    io.restart();
    io.poll();
    EXPECT_NE(dest(plane->last, "10.0.1.3"), nullptr);
    EXPECT_EQ(d.status().counters.drains_timed_out, 0u);
    clock.advance(seconds(1));  // the count at 5 s finds the deadline passed
    io.restart();
    io.poll();
    EXPECT_EQ(dest(plane->last, "10.0.1.3"), nullptr);
    EXPECT_EQ(d.status().counters.drains_timed_out, 1u);

    // enable brings both back; the overrides survive a reload and leave with their target.
    ASSERT_TRUE(d.set_admin("10.0.0.1:80", "10.0.1.3", Admin::enabled));
    auto next = pool();
    ASSERT_TRUE(d.reload(next));
    io.restart();
    io.poll();
    EXPECT_EQ(dest(plane->last, "10.0.1.2"), nullptr);
    EXPECT_NE(dest(plane->last, "10.0.1.3"), nullptr);
    next.virtual_servers[0].real_servers.erase(next.virtual_servers[0].real_servers.begin() + 1);
    ASSERT_TRUE(d.reload(next));
    EXPECT_TRUE(d.status().overrides.empty());
    EXPECT_EQ(d.status().counters.overrides_dropped, 1u);
    EXPECT_EQ(d.clear_overrides(), 0u);
}
