#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "vigil/common/fake_clock.hpp"

#include "vigil/ipvs/director.hpp"
#include "vigil/ipvs/nftables.hpp"

using namespace vigil::ipvs;
namespace ip = boost::asio::ip;

namespace {

// Records what the director asks of a data plane; fails when told to.
struct Recorder {
    std::vector<Table> applied;
    int flushes = 0;
    int resyncs = 0;
    bool fail = false;
    std::vector<Rejection> refuse;  // what the next applies report as refused
};

class FakePlane final : public DataPlane {
  public:
    explicit FakePlane(Recorder& r, std::string name = "fake") : r_(r), name_(std::move(name)) {}
    std::string_view name() const override { return name_; }
    Result<void> apply(const Table& t) override {
        if (r_.fail) return fail("refused");
        r_.applied.push_back(t);
        return {};
    }
    Result<Table> read() override { return r_.applied.empty() ? Table{} : r_.applied.back(); }
    std::vector<Rejection> rejections() const override { return r_.refuse; }
    void resync() override { ++r_.resyncs; }
    std::uint64_t kernel_reads() const override { return 7; }
    Result<void> flush() override {
        ++r_.flushes;
        r_.applied.push_back({});
        return {};
    }

  private:
    Recorder& r_;
    std::string name_;
};

Config config(bool omega = false) {
    VirtualServerConfig v;
    v.keys.push_back({ip::make_address("10.0.0.1"), 80, 0, false});
    v.omega = omega;
    for (const char* a : {"10.0.1.1", "10.0.1.2"}) {
        RealServerConfig r;
        r.address = ip::make_address(a);
        r.port = 80;
        r.checker_count = 1;
        v.real_servers.push_back(r);
    }
    Config c;
    c.virtual_servers.push_back(v);
    return c;
}

struct Fixture {
    boost::asio::io_context io;
    vigil::FakeClock clock;
    Recorder rec;
    std::vector<Event> events;
    std::vector<std::string> logs;
    std::vector<std::vector<std::string>> commands;
    std::string plane_name = "fake";
    Director director{io,
                      clock,
                      {[this](std::string_view l) { logs.emplace_back(l); },
                       [this](const Event& e, const Config&) { events.push_back(e); },
                       [this](std::vector<std::string> argv) { commands.push_back(argv); }},
                      [this](const Config&, const LogFn&) -> Result<std::unique_ptr<DataPlane>> {
                          return std::unique_ptr<DataPlane>(new FakePlane(rec, plane_name));
                      }};
};

std::size_t pool_size(const Table& t) {
    return t.empty() ? 0 : t[0].destinations.size();
}

}  // namespace

TEST(Director, StartAppliesAtOnceAndCoalescesHealth) {
    Fixture f;
    ASSERT_TRUE(f.director.start(config()));
    ASSERT_EQ(f.rec.applied.size(), 1u);
    EXPECT_EQ(pool_size(f.rec.applied[0]), 2u);
    ASSERT_EQ(f.events.size(), 1u);
    EXPECT_EQ(f.events[0].kind, EventKind::quorum_up);

    f.director.set_health(0, 0, false);
    f.director.set_health(0, 0, true);
    f.director.set_health(0, 1, false);
    EXPECT_EQ(f.rec.applied.size(), 1u);  // nothing until the loop runs
    f.io.run();
    ASSERT_EQ(f.rec.applied.size(), 2u);  // three verdicts, one apply
    EXPECT_EQ(pool_size(f.rec.applied[1]), 1u);
    EXPECT_EQ(f.events.size(), 4u);
    EXPECT_EQ(f.director.status().counters.health_updates, 3u);
    f.director.set_health(5, 0, true);
    EXPECT_EQ(f.director.status().counters.health_ignored, 1u);
    EXPECT_TRUE(f.commands.empty());  // only the nftables plane cuts flows
}

TEST(Director, KeepsTheSharedConfigurationAndNoCopy) {
    Fixture f;
    auto shared = std::make_shared<const Config>(config());
    ASSERT_TRUE(f.director.start(shared));
    EXPECT_EQ(shared.use_count(), 2);  // the caller's and the director's: one configuration
    auto next = std::make_shared<const Config>(config());
    ASSERT_TRUE(f.director.reload(next));
    EXPECT_EQ(next.use_count(), 2);
    EXPECT_EQ(shared.use_count(), 1);  // the old one is let go
    f.director.stop();
}

TEST(Director, NftablesPlaneCutsFlowsOfRemovedServers) {
    Fixture f;
    f.plane_name = "nftables";
    ASSERT_TRUE(f.director.start(config()));
    f.director.set_health(0, 1, false);
    f.io.run();
    ASSERT_EQ(f.commands.size(), 1u);
    EXPECT_EQ(f.commands[0][0], "conntrack");
    EXPECT_EQ(f.commands[0][7], "10.0.1.2");
    EXPECT_EQ(f.director.status().counters.flow_flushes, 1u);
}

TEST(Director, FailedApplyIsCountedAndRetried) {
    Fixture f;
    ASSERT_TRUE(f.director.start(config()));
    f.rec.fail = true;
    f.director.set_health(0, 0, false);
    f.io.run_one();  // the coalesced apply
    auto st = f.director.status();
    EXPECT_EQ(st.counters.apply_failures, 1u);
    EXPECT_EQ(st.last_error, "refused");
    EXPECT_EQ(pool_size(st.applied), 2u);
    f.rec.fail = false;
    f.clock.advance(std::chrono::seconds(1) - std::chrono::microseconds(1));
    EXPECT_EQ(f.director.status().last_error, "refused");  // not before a second
    f.clock.advance(std::chrono::microseconds(1));         // the retry
    st = f.director.status();
    EXPECT_TRUE(st.last_error.empty());
    EXPECT_EQ(pool_size(st.applied), 1u);
}

TEST(Director, ReloadKeepsHealthAndStopFlushes) {
    Fixture f;
    ASSERT_TRUE(f.director.start(config(true)));
    f.director.set_health(0, 0, false);
    f.io.run();
    Config next = config(true);
    RealServerConfig r;
    r.address = ip::make_address("10.0.1.3");
    r.port = 80;
    next.virtual_servers[0].real_servers.push_back(r);
    EXPECT_EQ(f.rec.resyncs, 0);
    ASSERT_TRUE(f.director.reload(next));
    // A reload has the data plane read the kernel again (changes made by hand are undone).
    EXPECT_EQ(f.rec.resyncs, 1);
    EXPECT_EQ(f.director.status().counters.kernel_reads, 7u);
    const Table& t = f.rec.applied.back();
    ASSERT_EQ(pool_size(t), 2u);  // 10.0.1.1 still down, 10.0.1.3 new and alive
    EXPECT_EQ(t[0].destinations[0].address.to_string(), "10.0.1.2");
    EXPECT_EQ(t[0].destinations[1].address.to_string(), "10.0.1.3");
    f.events.clear();
    f.director.stop();
    EXPECT_EQ(f.rec.flushes, 1u);
    // omega: the alive servers go down, then the quorum.
    ASSERT_EQ(f.events.size(), 3u);
    EXPECT_EQ(f.events[2].kind, EventKind::quorum_down);
    EXPECT_FALSE(f.director.status().running);
}

TEST(Director, NftablesWarningsAreLoggedOnce) {
    boost::asio::io_context io;
    vigil::FakeClock clock;
    std::vector<std::string> logs;
    Director d(io, clock, {[&](std::string_view l) { logs.emplace_back(l); }, {}, {}},
               [](const Config&, const LogFn&) -> Result<std::unique_ptr<DataPlane>> {
                   NftablesOptions o;
                   o.dry_run = true;
                   auto nft = Nftables::open(o);
                   if (!nft) return std::unexpected(nft.error());
                   return std::unique_ptr<DataPlane>(std::move(*nft));
               });
    Config c = config();
    c.virtual_servers[0].forwarding = Forwarding::dr;
    ASSERT_TRUE(d.start(c));
    d.set_health(0, 0, false);
    io.run();
    EXPECT_EQ(d.status().counters.applies, 2u);
    EXPECT_EQ(d.status().backend, "nftables");
    ASSERT_EQ(logs.size(), 2u);  // one warning per dr destination, once
    EXPECT_NE(logs[0].find("dr forwarding"), std::string::npos);
    d.stop();
}

TEST(Director, RefusalsAreLoggedAndCountedOncePerLoad) {
    Fixture f;
    Config c = config();
    c.virtual_servers[0].file = "/etc/x.conf";
    c.virtual_servers[0].line = 7;
    ServiceId id = services_of(c.virtual_servers[0])[0].id;
    f.rec.refuse = {{OpKind::add_service, id, std::nullopt, "No such file or directory"}};
    ASSERT_TRUE(f.director.start(c));
    ASSERT_EQ(f.logs.size(), 1u);
    EXPECT_EQ(f.logs[0],
              "fake refused add service TCP 10.0.0.1:80 (virtual_server at /etc/x.conf:7): No such "
              "file or directory");
    f.director.set_health(0, 0, false);
    f.io.run();
    EXPECT_EQ(f.logs.size(), 1u);  // refused again, not said again
    auto st = f.director.status();
    EXPECT_EQ(st.counters.refusals, 1u);
    ASSERT_EQ(st.refused.size(), 1u);
    ASSERT_TRUE(f.director.reload(c));  // tried again, and said once more
    EXPECT_EQ(f.logs.size(), 2u);
    EXPECT_EQ(f.director.status().counters.refusals, 2u);
    f.rec.refuse.clear();
    ASSERT_TRUE(f.director.reload(c));
    EXPECT_TRUE(f.director.status().refused.empty());
}

TEST(Director, DataPlaneThatCannotOpenIsCountedAndRetriedOnReload) {
    boost::asio::io_context io;
    vigil::FakeClock clock;
    int opens = 0;
    Director d(io, clock, {},
               [&](const Config&, const LogFn&) -> Result<std::unique_ptr<DataPlane>> {
                   ++opens;
                   return fail("IPVS not available in this kernel");
               });
    EXPECT_FALSE(d.start(config()));
    EXPECT_FALSE(d.reload(config()));
    EXPECT_EQ(opens, 2);
    auto st = d.status();
    EXPECT_FALSE(st.running);
    EXPECT_EQ(st.counters.open_failures, 2u);
    EXPECT_EQ(st.last_error, "IPVS not available in this kernel");
}
