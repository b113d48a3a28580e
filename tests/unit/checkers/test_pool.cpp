// The pool against real servers on 127.0.0.1, all on the test's io_context; its schedule and
// deadlines on a fake clock, so that delays and timeouts pass without waiting.
#include "vigil/checkers/pool.hpp"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <filesystem>
#include <memory>

#include "digest.hpp"
#include "vigil/common/fake_clock.hpp"

using namespace vigil::checkers;
using boost::asio::ip::tcp;
using vigil::FakeClock;
using vigil::run_until;
using vigil::settle;
using namespace std::chrono_literals;

namespace {

// Answers every connection with `response` (then closes), or holds it open when hang is set.
class Server {
  public:
    Server(boost::asio::io_context& io, std::string response, bool hang = false)
        : acceptor_(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)),
          response_(std::make_shared<const std::string>(std::move(response))),
          hang_(hang) {
        accept();
    }
    // Completions may still be queued when the server goes: they must not touch it.
    ~Server() { *alive_ = false; }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    int connections = 0;

  private:
    void accept() {
        acceptor_.async_accept(
            [this, alive = alive_](const boost::system::error_code& ec, tcp::socket s) {
                if (ec || !*alive) return;
                ++connections;
                auto sock = std::make_shared<tcp::socket>(std::move(s));
                if (hang_) {
                    held_.push_back(sock);
                } else {
                    auto buf = std::make_shared<std::array<char, 1024>>();
                    sock->async_read_some(
                        boost::asio::buffer(*buf), [resp = response_, sock, buf](auto, auto) {
                            boost::asio::async_write(
                                *sock, boost::asio::buffer(*resp), [sock, resp](auto, auto) {
                                    boost::system::error_code e;
                                    sock->shutdown(tcp::socket::shutdown_both, e);
                                });
                        });
                }
                accept();
            });
    }
    tcp::acceptor acceptor_;
    std::shared_ptr<const std::string> response_;
    bool hang_;
    std::vector<std::shared_ptr<tcp::socket>> held_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

std::uint16_t closed_port(boost::asio::io_context& io) {
    tcp::acceptor a(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    return a.local_endpoint().port();
}

CheckConfig base(std::uint16_t port, CheckKind kind) {
    CheckConfig c;
    c.target = boost::asio::ip::make_address("127.0.0.1");
    c.target_port = port;
    c.kind = std::move(kind);
    c.warmup = Duration{0};
    c.delay_loop = 5ms;
    c.delay_before_retry = 1ms;
    c.connect_timeout = 200ms;
    return c;
}

struct Events {
    explicit Events(const FakeClock& c) : clock(c) {}
    const FakeClock& clock;
    std::vector<std::pair<bool, CheckResult>> changes;
    std::vector<vigil::Clock::time_point> at;  // of each change
    std::vector<std::optional<int>> weights;
    Hooks hooks() {
        Hooks h;
        h.on_state_change = [this](std::size_t, bool up, const CheckResult& r) {
            changes.emplace_back(up, r);
            at.push_back(clock.now());
        };
        h.on_weight_change = [this](std::size_t, std::optional<int> w) { weights.push_back(w); };
        return h;
    }
};

HttpUrl url(std::string path, std::optional<Md5Digest> digest = std::nullopt) {
    HttpUrl u;
    u.path = std::move(path);
    u.digest = digest;
    return u;
}

std::string http_ok(std::string_view body) {
    return "HTTP/1.0 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
           std::string(body);
}

std::size_t open_fds() {
    std::size_t n = 0;
    for (auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
        (void)e;
        ++n;
    }
    return n;
}

// A pool on the fake clock, with its events recorded.
struct PoolTest : ::testing::Test {
    boost::asio::io_context io;
    FakeClock clock;
    Events ev{clock};
    Pool pool{io, clock, ev.hooks()};
};

}  // namespace

TEST_F(PoolTest, TcpUpFromAlpha) {
    Server srv(io, "");
    auto cfg = base(srv.port(), TcpCheck{});
    cfg.alpha = true;
    auto id = pool.add(cfg);
    ASSERT_TRUE(run_until(io, clock, [&] { return !ev.changes.empty(); }));
    EXPECT_TRUE(ev.changes[0].first);
    EXPECT_TRUE(pool.status(id)->up);
    EXPECT_TRUE(pool.up(id));
    EXPECT_FALSE(pool.up(id + 1));  // unknown
}

// ha_suspend: a suspended checker stops probing and keeps its verdict until resumed.
TEST_F(PoolTest, SuspendedCheckerKeepsItsStateAndStopsProbing) {
    Server srv(io, "");
    auto cfg = base(srv.port(), TcpCheck{});
    cfg.alpha = true;
    auto id = pool.add(cfg);
    ASSERT_TRUE(run_until(io, clock, [&] { return pool.up(id); }));
    EXPECT_EQ(pool.suspended(id), std::optional<bool>(false));
    EXPECT_TRUE(pool.suspend(id, true));
    EXPECT_EQ(pool.suspended(id), std::optional<bool>(true));
    EXPECT_TRUE(pool.status(id)->suspended);
    const int seen = srv.connections;
    clock.advance(30s);
    settle(io, clock);
    EXPECT_EQ(srv.connections, seen);
    EXPECT_TRUE(pool.up(id));
    EXPECT_TRUE(pool.suspend(id, false));
    EXPECT_EQ(pool.suspended(id), std::optional<bool>(false));
    ASSERT_TRUE(run_until(io, clock, [&] { return srv.connections > seen; }));
    EXPECT_FALSE(pool.suspended(id + 1).has_value());
    EXPECT_FALSE(pool.suspend(id + 1, true));
}

// A reload with the same settings leaves the checker alone; other settings reach it.
TEST_F(PoolTest, UpdateWithSameSettingsKeepsTheChecker) {
    Server srv(io, "");
    auto cfg = base(srv.port(), TcpCheck{});
    cfg.alpha = true;
    auto id = pool.add(cfg);
    ASSERT_TRUE(run_until(io, clock, [&] { return pool.up(id); }));
    const auto probes = pool.status(id)->counters.probes;
    EXPECT_TRUE(pool.update(id, cfg));
    EXPECT_TRUE(pool.up(id));
    EXPECT_GE(pool.status(id)->counters.probes, probes);
    auto dead = cfg;
    dead.target_port = closed_port(io);
    dead.retry = 0;
    EXPECT_NE(dead, cfg);
    EXPECT_TRUE(pool.update(id, dead));
    ASSERT_TRUE(run_until(io, clock, [&] { return !pool.up(id); }));
    EXPECT_FALSE(pool.update(id + 1, cfg));
}

TEST_F(PoolTest, TcpRefusedIsDownAfterRetries) {
    auto cfg = base(closed_port(io), TcpCheck{});
    cfg.retry = 2;
    const auto t0 = clock.now();
    auto id = pool.add(cfg);
    ASSERT_TRUE(run_until(io, clock, [&] { return !ev.changes.empty(); }));
    EXPECT_FALSE(ev.changes[0].first);
    EXPECT_FALSE(pool.up(id));
    EXPECT_EQ(ev.changes[0].second.failure, Failure::refused);
    // The first probe at once (warmup 0), then two retries delay_before_retry apart.
    EXPECT_EQ(ev.at[0], t0 + 2 * cfg.delay_before_retry);
    auto st = pool.status(id);
    EXPECT_EQ(st->counters.failures[static_cast<std::size_t>(Failure::refused)], 3u);
    EXPECT_EQ(st->counters.probes, 3u);
    // Down: the next probe comes delay_loop later, not before.
    clock.advance(cfg.delay_loop - 1us);
    settle(io, clock);
    EXPECT_EQ(pool.status(id)->counters.probes, 3u);
    clock.advance(1us);
    ASSERT_TRUE(run_until(io, clock, [&] { return pool.status(id)->counters.probes == 4u; }));
}

TEST_F(PoolTest, HttpDigestAndStatus) {
    Server good(io, http_ok("hello") + "TRAILING");
    Server bad_status(io, "HTTP/1.0 500 Oops\r\n\r\nx");

    HttpCheck h;
    h.urls.push_back(url("/", md5("hello")));
    auto cfg = base(good.port(), h);
    cfg.alpha = true;
    auto up = pool.add(cfg);

    HttpCheck wrong = h;
    wrong.urls[0].digest = md5("other");
    auto cfg2 = base(good.port(), wrong);
    cfg2.retry = 0;
    auto wrong_digest = pool.add(cfg2);

    HttpCheck st;
    st.urls.push_back(url("/"));
    auto cfg3 = base(bad_status.port(), st);
    cfg3.retry = 0;
    auto wrong_status = pool.add(cfg3);

    ASSERT_TRUE(run_until(io, clock, [&] { return ev.changes.size() >= 3; }));
    EXPECT_TRUE(pool.status(up)->up);
    EXPECT_FALSE(pool.status(wrong_digest)->up);
    EXPECT_EQ(pool.status(wrong_digest)->last.failure, Failure::bad_digest);
    EXPECT_FALSE(pool.status(wrong_status)->up);
    EXPECT_EQ(pool.status(wrong_status)->last.failure, Failure::bad_status);
}

TEST_F(PoolTest, HangingServerTimesOut) {
    Server hang(io, "", true);
    HttpCheck h;
    h.urls.push_back(HttpUrl{});
    auto cfg = base(hang.port(), h);
    cfg.retry = 0;
    cfg.connect_timeout = 50ms;
    auto id = pool.add(cfg);
    ASSERT_TRUE(run_until(io, clock, [&] { return !ev.changes.empty(); }));
    EXPECT_EQ(pool.status(id)->last.failure, Failure::timeout);
    EXPECT_EQ(pool.status(id)->last.latency, 50ms);  // exactly connect_timeout
}

TEST_F(PoolTest, RetryCountedOnServerSide) {
    Server srv(io, "HTTP/1.0 503 Busy\r\n\r\n");
    HttpCheck h;
    h.urls.push_back(HttpUrl{});
    auto cfg = base(srv.port(), h);
    cfg.retry = 3;
    cfg.delay_loop = 10s;  // nothing after the transition within the test
    pool.add(cfg);
    ASSERT_TRUE(run_until(io, clock, [&] { return !ev.changes.empty(); }));
    settle(io, clock);
    EXPECT_EQ(srv.connections, 4);  // 1 + retry 3
}

TEST_F(PoolTest, RecoveryAfterDown) {
    auto port = closed_port(io);
    auto cfg = base(port, TcpCheck{});
    cfg.retry = 0;
    pool.add(cfg);
    ASSERT_TRUE(run_until(io, clock, [&] { return ev.changes.size() == 1; }));
    EXPECT_FALSE(ev.changes[0].first);
    tcp::acceptor a(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    ASSERT_TRUE(run_until(io, clock, [&] { return ev.changes.size() == 2; }));
    EXPECT_TRUE(ev.changes[1].first);
}

TEST(Pool, MiscDynamicWeightAndTimeout) {
    boost::asio::io_context io;
    FakeClock clock;
    Events ev(clock);
    Hooks hooks = ev.hooks();
    int next_code = 12;
    Duration seen_timeout{0};
    hooks.run_script = [&](const Command&, Duration timeout, ScriptDone done) {
        seen_timeout = timeout;
        boost::asio::post(io, [done, code = next_code] { done(code); });
    };
    Pool pool(io, clock, hooks);
    MiscCheck m;
    m.command.argv = {"/bin/check"};
    m.dynamic = true;
    auto cfg = base(0, m);
    cfg.alpha = true;
    auto id = pool.add(cfg);
    ASSERT_TRUE(run_until(io, clock, [&] { return !ev.weights.empty(); }));
    EXPECT_EQ(ev.weights[0], 10);
    EXPECT_TRUE(pool.status(id)->up);
    EXPECT_EQ(seen_timeout, cfg.delay_loop);  // misc_timeout unset
    next_code = -1;
    ASSERT_TRUE(run_until(io, clock, [&] { return ev.changes.size() == 2; }));
    EXPECT_FALSE(ev.changes[1].first);
    EXPECT_EQ(ev.changes[1].second.failure, Failure::script_timeout);
}

TEST_F(PoolTest, RemoveAbandonsInFlightProbe) {
    Server hang(io, "", true);
    HttpCheck h;
    h.urls.push_back(HttpUrl{});
    auto cfg = base(hang.port(), h);
    cfg.retry = 0;
    cfg.connect_timeout = 30ms;
    auto id = pool.add(cfg);
    ASSERT_TRUE(run_until(io, clock, [&] { return hang.connections == 1; }));
    pool.remove(id);
    clock.advance(80ms);  // past its connect_timeout
    settle(io, clock);
    EXPECT_TRUE(ev.changes.empty());
    EXPECT_FALSE(pool.status(id));
}

TEST(Pool, NoFdLeakAfterTenThousandChecks) {
    boost::asio::io_context io;
    FakeClock clock;
    auto refused = closed_port(io);
    std::size_t before = open_fds();
    {
        // The server lives in the scope too: its side of a connection may close a little
        // after the checker's side, and it is not what this test watches.
        Server srv(io, http_ok("ok"));
        Pool pool(io, clock, Hooks{});
        std::vector<std::size_t> ids;
        for (int i = 0; i < 20; ++i) {
            HttpCheck h;
            h.urls.push_back(url("/", md5("ok")));
            auto c = base(srv.port(), h);
            c.delay_loop = 0ms;
            // The server shares the loop with 40 busy checkers: under sanitizers a 200 ms
            // budget is a true timeout, not a false verdict.
            c.connect_timeout = 5s;
            ids.push_back(pool.add(c));
            auto t = base(i % 2 ? srv.port() : refused, TcpCheck{});
            t.delay_loop = 0ms;
            t.delay_before_retry = 0ms;
            t.connect_timeout = 5s;
            ids.push_back(pool.add(t));
        }
        auto probes = [&] {
            std::uint64_t n = 0;
            for (auto& s : pool.status()) n += s.counters.probes;
            return n;
        };
        ASSERT_TRUE(run_until(io, clock, [&] { return probes() >= 10000; }));
        for (auto& s : pool.status()) {
            bool refused_check = s.last.failure == Failure::refused;
            EXPECT_EQ(s.up, !refused_check) << s.id << " " << s.last.reason;  // zero false verdicts
        }
        for (auto id : ids) pool.remove(id);
        settle(io, clock);
    }
    // Aborted handlers release their sockets as the loop runs them: let it settle, bounded.
    for (int i = 0; i < 50 && open_fds() != before; ++i) io.run_for(20ms);
    if (open_fds() != before) {
        for (auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
            std::error_code ec;
            ADD_FAILURE() << e.path() << " -> " << std::filesystem::read_symlink(e.path(), ec);
        }
    }
    EXPECT_EQ(open_fds(), before);
}
