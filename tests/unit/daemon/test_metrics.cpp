#include "metrics.hpp"

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <thread>

namespace asio = boost::asio;

TEST(Metrics, TextFormat) {
    vigil::MetricsText m;
    m.family("vigil_vrrp_state", "gauge", "1 in the named state");
    m.sample("vigil_vrrp_state",
             vigil::MetricsText::label("vrrp_instance", "VI\"1") + "," +
                 vigil::MetricsText::label("state", "MASTER"),
             1);
    EXPECT_EQ(m.text(),
              "# HELP vigil_vrrp_state 1 in the named state\n# TYPE vigil_vrrp_state gauge\n"
              "vigil_vrrp_state{vrrp_instance=\"VI\\\"1\",state=\"MASTER\"} 1\n");
}

TEST(Metrics, ServesMetricsOverHttp) {
    asio::io_context io;
    auto s = vigil::MetricsServer::create(io, "127.0.0.1:0", [] { return std::string("up 1\n"); });
    ASSERT_TRUE(s) << s.error();
    const auto port = (*s)->endpoint().port();
    std::string reply, missing;
    auto get = [port](const std::string& target) {
        asio::io_context cio;
        asio::ip::tcp::socket c(cio);
        c.connect({asio::ip::make_address("127.0.0.1"), port});
        std::string req = "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
        asio::write(c, asio::buffer(req));
        std::string out;
        boost::system::error_code ec;
        asio::read(c, asio::dynamic_buffer(out), ec);
        return out;
    };
    std::thread t([&] {
        reply = get("/metrics");
        missing = get("/other");
    });
    for (int i = 0; i < 300 && missing.empty(); ++i) io.run_for(std::chrono::milliseconds(10));
    t.join();
    EXPECT_NE(reply.find("200 OK"), std::string::npos);
    EXPECT_NE(reply.find("text/plain; version=0.0.4"), std::string::npos);
    EXPECT_NE(reply.find("\r\n\r\nup 1\n"), std::string::npos);
    EXPECT_NE(missing.find("404"), std::string::npos);
}

TEST(Metrics, BadListenAddressesAreErrors) {
    asio::io_context io;
    auto producer = [] { return std::string(); };
    EXPECT_FALSE(vigil::MetricsServer::create(io, "127.0.0.1", producer));
    EXPECT_FALSE(vigil::MetricsServer::create(io, "127.0.0.1:99999", producer));
    EXPECT_FALSE(vigil::MetricsServer::create(io, "nohost:80", producer));
}
