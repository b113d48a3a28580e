// HTTP_GET fast_recovery: a down checker walks its urls one probe at a time, delay_loop apart,
// unless fast_recovery checks them back to back (keepalived.conf(5)). Real HTTP on 127.0.0.1,
// delays on a fake clock.
#include <gtest/gtest.h>
#include <boost/asio.hpp>
#include <functional>

#include "scheduler.hpp"
#include "vigil/checkers/pool.hpp"
#include "vigil/common/fake_clock.hpp"

using namespace vigil::checkers;
using boost::asio::ip::tcp;
using vigil::FakeClock;
using vigil::run_until;
using namespace std::chrono_literals;

namespace {

const auto kLo = boost::asio::ip::make_address("127.0.0.1");

// Answers "GET PATH" with 200 when healthy(PATH), else 500; records the paths asked.
class PathServer {
  public:
    explicit PathServer(boost::asio::io_context& io) : acceptor_(io, tcp::endpoint(kLo, 0)) {
        accept();
    }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    std::function<bool(const std::string&)> healthy = [](const std::string&) { return true; };
    std::vector<std::string> paths;

  private:
    void accept() {
        acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket s) {
            if (ec) return;
            auto sock = std::make_shared<tcp::socket>(std::move(s));
            auto buf = std::make_shared<std::array<char, 1024>>();
            sock->async_read_some(boost::asio::buffer(*buf), [this, sock, buf](auto ec, auto n) {
                if (ec) return;
                std::string req(buf->data(), n);
                std::string path = req.substr(4, req.find(' ', 4) - 4);
                paths.push_back(path);
                auto resp = std::make_shared<std::string>(
                    healthy(path) ? "HTTP/1.0 200 OK\r\n\r\nok" : "HTTP/1.0 500 No\r\n\r\nno");
                boost::asio::async_write(*sock, boost::asio::buffer(*resp),
                                         [sock, resp](auto, auto) {
                                             boost::system::error_code e;
                                             sock->shutdown(tcp::socket::shutdown_both, e);
                                         });
            });
            accept();
        });
    }
    tcp::acceptor acceptor_;
};

CheckConfig http_check(std::uint16_t port, bool fast_recovery, bool alpha) {
    HttpCheck h;
    for (const char* p : {"/a", "/b", "/c"}) {
        HttpUrl u;
        u.path = p;
        h.urls.push_back(u);
    }
    h.fast_recovery = fast_recovery;
    CheckConfig c;
    c.target = kLo;
    c.target_port = port;
    c.kind = h;
    c.warmup = Duration{0};
    c.delay_loop = 20ms;
    c.delay_before_retry = 1ms;
    c.connect_timeout = 500ms;
    c.retry = 0;
    c.alpha = alpha;
    return c;
}

using Paths = std::vector<std::string>;

TEST(FastRecovery, WalkIsOneUrlAtATime) {
    EXPECT_TRUE(walks_urls(false, false, 3));
    EXPECT_FALSE(walks_urls(true, false, 3));   // an up checker checks every url each probe
    EXPECT_FALSE(walks_urls(false, true, 3));   // fast_recovery: back to back
    EXPECT_FALSE(walks_urls(false, false, 1));  // nothing to walk
    EXPECT_EQ(walk_urls(3, 0, true).next, 1u);
    EXPECT_FALSE(walk_urls(3, 1, true).complete);
    EXPECT_EQ(walk_urls(3, 1, false).next, 1u);  // a failing url is checked again
    auto last = walk_urls(3, 2, true);
    EXPECT_TRUE(last.complete);
    EXPECT_EQ(last.next, 0u);
}

TEST(FastRecovery, AlphaStartWalksUrlsOneProbeEach) {
    boost::asio::io_context io;
    FakeClock clock;
    PathServer srv(io);
    Pool pool(io, clock, {});
    const auto t0 = clock.now();
    auto id = pool.add(http_check(srv.port(), false, true));
    ASSERT_TRUE(run_until(io, clock, [&] { return pool.status(id)->up; }));
    EXPECT_EQ(pool.status(id)->counters.probes, 3u);
    EXPECT_EQ(clock.now(), t0 + 2 * 20ms);  // delay_loop between each url
    EXPECT_EQ(srv.paths, (Paths{"/a", "/b", "/c"}));
}

TEST(FastRecovery, AlphaStartWithFastRecoveryChecksAllAtOnce) {
    boost::asio::io_context io;
    FakeClock clock;
    PathServer srv(io);
    Pool pool(io, clock, {});
    auto id = pool.add(http_check(srv.port(), true, true));
    ASSERT_TRUE(run_until(io, clock, [&] { return pool.status(id)->up; }));
    EXPECT_EQ(pool.status(id)->counters.probes, 1u);
    EXPECT_EQ(srv.paths, (Paths{"/a", "/b", "/c"}));
}

// Down on /b, then /b heals: without fast_recovery the urls come back one probe each, and the
// checker is up only after the last one passed.
void recover(bool fast_recovery, std::uint64_t want_probes) {
    boost::asio::io_context io;
    FakeClock clock;
    PathServer srv(io);
    std::vector<bool> changes;
    Hooks hooks;
    hooks.on_state_change = [&](std::size_t, bool up, const CheckResult&) {
        changes.push_back(up);
    };
    Pool pool(io, clock, hooks);
    srv.healthy = [](const std::string& p) { return p != "/b"; };
    auto id = pool.add(http_check(srv.port(), fast_recovery, false));
    ASSERT_TRUE(run_until(io, clock, [&] { return !pool.status(id)->up; }));
    // Down: the walk starts at /a, then stays on /b while it fails.
    ASSERT_TRUE(run_until(io, clock, [&] { return srv.paths.size() >= 6; }));
    srv.healthy = [](const std::string&) { return true; };
    const auto probes_then = pool.status(id)->counters.probes;
    ASSERT_TRUE(run_until(io, clock, [&] { return pool.status(id)->up; }));
    EXPECT_EQ(pool.status(id)->counters.probes - probes_then, want_probes);
    EXPECT_EQ(changes, (std::vector<bool>{false, true}));
}

TEST(FastRecovery, RecoveryWalksUrlsUnlessFastRecovery) {
    recover(false, 2);  // /b, then /c: one probe each
    recover(true, 1);   // /a /b /c in one probe
}

}  // namespace
