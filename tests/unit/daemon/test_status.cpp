#include "status.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <filesystem>
#include <memory>
#include <thread>

#include <vigil/common/fake_clock.hpp>

namespace {

// A status server on a socket of its own, on the fake clock, counting the documents it makes.
struct StatusServing : ::testing::Test {
    std::string path;
    boost::asio::io_context io;
    vigil::FakeClock clock;
    int produced = 0;
    std::unique_ptr<vigil::StatusServer> server;

    void serve(const std::string& name, std::string document) {
        path =
            (std::filesystem::temp_directory_path() / (name + std::to_string(getpid()))).string();
        auto s = vigil::StatusServer::create(io, clock, path, [this, document] {
            ++produced;
            return document;
        });
        ASSERT_TRUE(s) << s.error();
        server = std::move(*s);
    }
};

}  // namespace

TEST_F(StatusServing, ServesTheProducedDocumentAndRemovesTheSocket) {
    serve("vigil-status-", R"({"vrrp":{"instances":[{"name":"VI_1","state":"MASTER","vrid":51,)"
                           R"("priority":150,"effective_priority":150,"vips":["10.0.0.1"]}]}})");
    if (HasFatalFailure()) return;
    std::string got;
    std::thread client([&] {
        auto r = vigil::query_status(path);
        got = r ? *r : r.error();
    });
    for (int i = 0; i < 200 && got.empty(); ++i) io.run_for(std::chrono::milliseconds(10));
    client.join();
    EXPECT_EQ(produced, 1);
    EXPECT_NE(got.find("\"VI_1\""), std::string::npos);
    const std::string table = vigil::render_status(got);
    EXPECT_NE(table.find("VI_1"), std::string::npos);
    EXPECT_NE(table.find("MASTER"), std::string::npos);
    EXPECT_NE(table.find("10.0.0.1"), std::string::npos);
    server.reset();
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(Status, QueryOfAMissingSocketNamesThePath) {
    auto r = vigil::query_status("/nonexistent/vigil.sock");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("/nonexistent/vigil.sock"), std::string::npos);
}

// A client that sends nothing gets the status once the wait for its request, on the daemon's
// clock, is over; not before.
TEST_F(StatusServing, ABareReaderGetsTheStatusWhenTheWaitEnds) {
    serve("vigil-bare-", "{}");
    if (HasFatalFailure()) return;
    std::string got;
    std::atomic<bool> read_all{false};
    std::thread client([&] {
        boost::asio::io_context cio;
        boost::asio::local::stream_protocol::socket s(cio);
        boost::system::error_code ec;
        s.connect(boost::asio::local::stream_protocol::endpoint(path), ec);
        if (!ec) boost::asio::read(s, boost::asio::dynamic_buffer(got), ec);
        read_all = true;  // the daemon closed its side
    });
    // Accepted and waiting: real time passes, the daemon's clock does not.
    for (int i = 0; i < 20; ++i) io.run_for(std::chrono::milliseconds(10));
    EXPECT_EQ(produced, 0);
    clock.advance(std::chrono::milliseconds(199));
    io.run_for(std::chrono::milliseconds(20));
    EXPECT_EQ(produced, 0);
    clock.advance(std::chrono::milliseconds(1));
    for (int i = 0; i < 200 && !read_all; ++i) io.run_for(std::chrono::milliseconds(10));
    client.join();
    EXPECT_EQ(produced, 1);
    EXPECT_EQ(got, "{}\n");
    server.reset();
}
