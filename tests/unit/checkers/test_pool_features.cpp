// PING_CHECK, FILE_CHECK, UDP reply data, HTTP regex, log_all_failures and Pool::configure,
// through the pool on the test's io_context against 127.0.0.1 and temporary files; delays and
// timeouts on a fake clock.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <boost/asio.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "vigil/checkers/pool.hpp"
#include "vigil/common/fake_clock.hpp"

using namespace vigil::checkers;
using boost::asio::ip::tcp;
using boost::asio::ip::udp;
using vigil::FakeClock;
using vigil::run_until;
using namespace std::chrono_literals;

namespace {

const auto kLo = boost::asio::ip::make_address("127.0.0.1");

// What inotify reports is readable once the write returned: no time needs to pass.
template <class Pred>
bool without_time(boost::asio::io_context& io, FakeClock& clock, Pred pred) {
    for (int i = 0; i < 100 && !pred(); ++i) run_until(io, clock, pred, 0);
    return pred();
}

CheckConfig base(std::uint16_t port, CheckKind kind) {
    CheckConfig c;
    c.target = kLo;
    c.target_port = port;
    c.kind = std::move(kind);
    c.warmup = Duration{0};
    c.delay_loop = 10ms;
    c.delay_before_retry = 1ms;
    c.connect_timeout = 300ms;
    c.retry = 0;
    return c;
}

struct Events {
    std::vector<std::pair<bool, CheckResult>> changes;
    std::vector<int> offsets;
    std::vector<std::string> logs;
    Hooks hooks() {
        Hooks h;
        h.on_state_change = [this](std::size_t, bool up, const CheckResult& r) {
            changes.emplace_back(up, r);
        };
        h.on_weight_offset = [this](std::size_t, int off) { offsets.push_back(off); };
        h.log = [this](int, std::string m) { logs.push_back(std::move(m)); };
        return h;
    }
};

// Answers each TCP connection with `response` after reading the request, keeping what it read.
class HttpServer {
  public:
    HttpServer(boost::asio::io_context& io, std::string response)
        : acceptor_(io, tcp::endpoint(kLo, 0)), response_(std::move(response)) {
        accept();
    }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    std::vector<std::string> received;

  private:
    void accept() {
        acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket s) {
            if (ec) return;
            auto sock = std::make_shared<tcp::socket>(std::move(s));
            auto buf = std::make_shared<std::array<char, 1024>>();
            sock->async_read_some(boost::asio::buffer(*buf), [this, sock, buf](auto ec, auto n) {
                if (ec) return;
                received.emplace_back(buf->data(), n);
                boost::asio::async_write(*sock, boost::asio::buffer(response_), [sock](auto, auto) {
                    boost::system::error_code e;
                    sock->shutdown(tcp::socket::shutdown_both, e);
                });
            });
            accept();
        });
    }
    tcp::acceptor acceptor_;
    std::string response_;
};

bool icmp_allowed() {
    for (int type : {SOCK_DGRAM, SOCK_RAW}) {
        int fd = ::socket(AF_INET, type, IPPROTO_ICMP);
        if (fd >= 0) {
            ::close(fd);
            return true;
        }
    }
    return false;
}

struct TempDir {
    TempDir() {
        char tmpl[] = "/tmp/vigil-filecheck-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    // Written as a tool would: a new file renamed into place.
    void write(const std::string& name, const std::string& text) const {
        auto tmp = path / (name + ".tmp");
        std::ofstream(tmp) << text;
        std::filesystem::rename(tmp, path / name);
    }
    std::filesystem::path path;
};

}  // namespace

TEST(PoolPing, LoopbackAnswers) {
    if (!icmp_allowed()) GTEST_SKIP() << "no ping socket (ping_group_range) and no CAP_NET_RAW";
    boost::asio::io_context io;
    FakeClock clock;
    Events ev;
    Pool pool(io, clock, ev.hooks());
    auto cfg = base(0, PingCheck{});
    cfg.alpha = true;
    auto id = pool.add(cfg);
    ASSERT_TRUE(run_until(io, clock, [&] { return !ev.changes.empty(); }));
    EXPECT_TRUE(ev.changes[0].first) << ev.changes[0].second.reason;
    // Several rounds, every one answered: the id/sequence matching holds across probes.
    ASSERT_TRUE(run_until(io, clock, [&] { return pool.status(id)->counters.successes >= 5; }));
    EXPECT_EQ(pool.status(id)->counters.failures[static_cast<std::size_t>(Failure::no_echo_reply)],
              0u);
    EXPECT_TRUE(pool.status(id)->up);
}

TEST(PoolPing, Ipv6Loopback) {
    if (!icmp_allowed()) GTEST_SKIP() << "no ICMP socket";
    int fd = ::socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
    if (fd < 0) fd = ::socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
    if (fd < 0) GTEST_SKIP() << "no ICMPv6 socket";
    ::close(fd);
    if (!std::filesystem::exists("/proc/net/if_inet6")) GTEST_SKIP() << "no IPv6";
    boost::asio::io_context io;
    FakeClock clock;
    Events ev;
    Pool pool(io, clock, ev.hooks());
    auto cfg = base(0, PingCheck{});
    cfg.target = boost::asio::ip::make_address("::1");
    cfg.alpha = true;
    pool.add(cfg);
    ASSERT_TRUE(run_until(io, clock, [&] { return !ev.changes.empty(); }));
    EXPECT_TRUE(ev.changes[0].first) << ev.changes[0].second.reason;
}

TEST(PoolFile, StateFollowsTheFileAtOnce) {
    TempDir dir;
    dir.write("state", "1\n");
    boost::asio::io_context io;
    FakeClock clock;
    Events ev;
    Pool pool(io, clock, ev.hooks());
    FileCheck f;
    f.track_file = "state";
    f.path = (dir.path / "state").string();
    auto cfg = base(0, f);
    cfg.delay_loop = 60s;  // changes must come from the watch, not from polling
    cfg.retry = 5;         // ignored: a file's value is its state
    auto id = pool.add(cfg);
    // Known at add(): down, without a transition.
    EXPECT_FALSE(pool.status(id)->up);
    EXPECT_TRUE(pool.status(id)->has_run);
    dir.write("state", "0\n");
    ASSERT_TRUE(without_time(io, clock, [&] { return !ev.changes.empty(); }));
    EXPECT_TRUE(ev.changes[0].first);
    dir.write("state", "7\n");
    ASSERT_TRUE(without_time(io, clock, [&] { return ev.changes.size() == 2; }));
    EXPECT_FALSE(ev.changes[1].first);
    EXPECT_EQ(ev.changes[1].second.failure, Failure::file_fault);
    std::filesystem::remove(dir.path / "state");  // a missing file reads 0
    ASSERT_TRUE(without_time(io, clock, [&] { return ev.changes.size() == 3; }));
    EXPECT_TRUE(ev.changes[2].first);
    EXPECT_EQ(pool.status(id)->counters.probes, 3u);  // one read per change, no poll
}

TEST(PoolFile, WeightOffsetsAndPolling) {
    TempDir dir;
    dir.write("w", "2");
    boost::asio::io_context io;
    FakeClock clock;
    Events ev;
    Pool pool(io, clock, ev.hooks());
    FileCheck f;
    f.path = (dir.path / "w").string();
    f.weight = 10;
    f.reverse = true;
    auto cfg = base(0, f);
    auto id = pool.add(cfg);
    EXPECT_TRUE(pool.status(id)->up);
    ASSERT_TRUE(without_time(io, clock, [&] { return !ev.offsets.empty(); }));
    EXPECT_EQ(ev.offsets[0], -20);
    // Written in place (no close-after-write event seen by a rename watcher is needed): the
    // delay_loop poll finds it too.
    std::ofstream(dir.path / "w") << "3";
    ASSERT_TRUE(run_until(io, clock, [&] { return ev.offsets.size() >= 2; }));
    EXPECT_EQ(ev.offsets.back(), -30);
    EXPECT_TRUE(ev.changes.empty());
}

TEST(PoolUdp, RequireReplyData) {
    boost::asio::io_context io;
    FakeClock clock;
    udp::socket server(io, udp::endpoint(kLo, 0));
    std::array<std::uint8_t, 512> buf{};
    udp::endpoint peer;
    std::vector<std::uint8_t> answer{0xca, 0xfe, 0x00, 0x01};
    std::function<void()> serve = [&] {
        server.async_receive_from(boost::asio::buffer(buf), peer, [&](auto ec, auto) {
            if (ec) return;
            server.send_to(boost::asio::buffer(answer), peer);
            serve();
        });
    };
    serve();
    Events ev;
    Pool pool(io, clock, ev.hooks());
    UdpCheck good;
    good.require_reply = true;
    good.payload = {1, 2, 3};
    good.reply_data = {0xca, 0xfe, 0x00, 0x00};
    good.reply_mask = {0, 0, 0, 0x0f};
    auto cfg = base(server.local_endpoint().port(), good);
    cfg.alpha = true;
    auto up = pool.add(cfg);
    UdpCheck bad = good;
    bad.reply_data = {0xca, 0xff};
    bad.reply_mask.clear();
    auto down = pool.add(base(server.local_endpoint().port(), bad));
    ASSERT_TRUE(run_until(io, clock, [&] { return ev.changes.size() >= 2; }));
    EXPECT_TRUE(pool.status(up)->up);
    EXPECT_FALSE(pool.status(down)->up);
    EXPECT_EQ(pool.status(down)->last.failure, Failure::udp_reply);
}

TEST(PoolHttp, RegexMatchNoMatchAndOffsets) {
    boost::asio::io_context io;
    FakeClock clock;
    HttpServer srv(io, "HTTP/1.0 200 OK\r\n\r\n<html>status: READY</html>");
    Events ev;
    Pool pool(io, clock, ev.hooks());
    auto add = [&](std::string re, bool no_match, std::size_t min_off, std::size_t max_off,
                   std::vector<std::string> opts = {}) {
        HttpCheck h;
        HttpUrl u;
        u.regex = std::move(re);
        u.regex_no_match = no_match;
        u.regex_min_offset = min_off;
        u.regex_max_offset = max_off;
        u.regex_options = std::move(opts);
        h.urls.push_back(u);
        auto c = base(srv.port(), h);
        c.alpha = true;
        return pool.add(c);
    };
    auto match = add("status: READY", false, 0, 0);
    auto caseless = add("status: ready", false, 0, 0, {"caseless"});
    auto absent = add("MAINTENANCE", false, 0, 0);
    auto inverted = add("MAINTENANCE", true, 0, 0);
    auto inverted_hit = add("READY", true, 0, 0);
    auto too_late = add("READY", false, 0, 10);  // READY starts at 14
    auto broken = add("(", false, 0, 0);
    ASSERT_TRUE(run_until(io, clock, [&] {
        for (auto id : {match, caseless, absent, inverted, inverted_hit, too_late, broken})
            if (!pool.status(id)->has_run) return false;
        return true;
    }));
    EXPECT_TRUE(pool.status(match)->up);
    EXPECT_TRUE(pool.status(caseless)->up);
    EXPECT_TRUE(pool.status(inverted)->up);
    for (auto id : {absent, inverted_hit, too_late, broken}) {
        EXPECT_FALSE(pool.status(id)->up) << id;
        EXPECT_EQ(pool.status(id)->last.failure, Failure::bad_regex) << id;
    }
}

TEST(PoolLog, AllFailuresLoggedOnlyWhenAsked) {
    boost::asio::io_context io;
    FakeClock clock;
    auto closed = [&] {
        tcp::acceptor a(io, tcp::endpoint(kLo, 0));
        return a.local_endpoint().port();
    }();
    for (bool all : {false, true}) {
        Events ev;
        Pool pool(io, clock, ev.hooks());
        auto cfg = base(closed, TcpCheck{});
        cfg.retry = 2;
        cfg.log_all_failures = all;
        pool.add(cfg);
        ASSERT_TRUE(run_until(io, clock, [&] { return !ev.changes.empty(); }));
        std::size_t retries = 0;
        for (auto& l : ev.logs) retries += l.find("(retry") != std::string::npos;
        EXPECT_EQ(retries, all ? 2u : 0u) << all;
    }
}

TEST(PoolConfigure, SmtpHeloDefaultAndTlsErrors) {
    boost::asio::io_context io;
    FakeClock clock;
    tcp::acceptor acc(io, tcp::endpoint(kLo, 0));
    std::string helo;
    acc.async_accept([&](auto ec, tcp::socket s) {
        if (ec) return;
        auto sock = std::make_shared<tcp::socket>(std::move(s));
        boost::asio::write(*sock, boost::asio::buffer(std::string("220 hi\r\n")));
        auto buf = std::make_shared<std::array<char, 256>>();
        sock->async_read_some(boost::asio::buffer(*buf), [&, sock, buf](auto ec, auto n) {
            if (ec) return;
            helo.assign(buf->data(), n);
            boost::asio::write(*sock, boost::asio::buffer(std::string("250 ok\r\n")));
        });
    });
    Events ev;
    Pool pool(io, clock, ev.hooks());
    PoolSettings s;
    s.default_helo = "lb-router-1";
    EXPECT_FALSE(pool.configure(s));
    auto cfg = base(acc.local_endpoint().port(), SmtpCheck{});
    cfg.delay_loop = 60s;
    pool.add(cfg);
    ASSERT_TRUE(run_until(io, clock, [&] { return !helo.empty(); }));
    EXPECT_EQ(helo, "HELO lb-router-1\r\n");

    // Without an SSL_GET the SSL { } block is not even loaded.
    PoolSettings bad = s;
    bad.tls.certificate = "/nonexistent/vigil/cert.pem";
    EXPECT_FALSE(pool.configure(bad));
    EXPECT_FALSE(pool.configure(s));

    // With one, a reload that changes it loads it at once and says what is wrong.
    HttpCheck h;
    h.ssl = true;
    h.urls.emplace_back();
    auto ssl = base(acc.local_endpoint().port(), h);
    ssl.delay_loop = 60s;
    ssl.warmup = 60s;
    pool.add(ssl);
    auto err = pool.configure(bad);
    ASSERT_TRUE(err);
    EXPECT_NE(err->find("certificate /nonexistent/vigil/cert.pem"), std::string::npos) << *err;
}

TEST(PoolConfigure, SslSettingsAloneDoNotOpenTheTlsPlugin) {
    auto mapped = [] {
        std::ifstream maps("/proc/self/maps");
        std::string line;
        while (std::getline(maps, line))
            if (line.find("vigil-tls-openssl") != std::string::npos) return true;
        return false;
    };
    if (mapped()) GTEST_SKIP() << "opened by an earlier test of this process";
    boost::asio::io_context io;
    FakeClock clock;
    tcp::acceptor acc(io, tcp::endpoint(kLo, 0));
    Events ev;
    Pool pool(io, clock, ev.hooks());
    PoolSettings s;
    s.tls.certificate = "/nonexistent/vigil/cert.pem";
    EXPECT_FALSE(pool.configure(s));
    auto id = pool.add(base(acc.local_endpoint().port(), TcpCheck{}));
    ASSERT_TRUE(run_until(io, clock, [&] { return pool.status(id)->has_run; }));
    EXPECT_FALSE(mapped());
}

// Each SSL_GET fails, counted as a TLS failure and logged; other checks run on.
TEST(PoolTls, MissingPluginFailsEachSslGet) {
    ASSERT_EQ(::setenv("VIGIL_TLS_PLUGIN", "/nonexistent/vigil-tls-openssl.so", 1), 0);
    boost::asio::io_context io;
    FakeClock clock;
    HttpServer srv(io, "HTTP/1.0 200 OK\r\n\r\nok");
    Events ev;
    Pool pool(io, clock, ev.hooks());
    HttpCheck h;
    h.urls.emplace_back();
    auto plain = pool.add(base(srv.port(), h));
    h.ssl = true;
    auto cfg = base(srv.port(), h);
    cfg.alpha = true;
    auto ssl = pool.add(cfg);
    ASSERT_TRUE(run_until(io, clock, [&] {
        return pool.status(ssl)->counters.failures[static_cast<std::size_t>(Failure::tls)] >= 3 &&
               pool.status(plain)->counters.successes >= 3;
    }));
    ::unsetenv("VIGIL_TLS_PLUGIN");
    auto st = *pool.status(ssl);
    EXPECT_FALSE(st.up);
    EXPECT_EQ(st.last.failure, Failure::tls);
    EXPECT_NE(st.last.reason.find("TLS plugin not found (tried /nonexistent/vigil-tls-openssl.so)"),
              std::string::npos)
        << st.last.reason;
    std::size_t logged = 0;
    for (const auto& l : ev.logs) logged += l.find("TLS plugin not found") != std::string::npos;
    EXPECT_EQ(logged, 1u);  // once, not once a probe
    EXPECT_TRUE(pool.status(plain)->up);
}
