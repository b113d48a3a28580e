#include "status.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

TEST(Status, ServesTheProducedDocumentAndRemovesTheSocket) {
    const std::string path =
        (std::filesystem::temp_directory_path() / ("vigil-status-" + std::to_string(getpid())))
            .string();
    boost::asio::io_context io;
    int produced = 0;
    auto server = vigil::StatusServer::create(io, path, [&] {
        ++produced;
        return std::string(R"({"vrrp":{"instances":[{"name":"VI_1","state":"MASTER","vrid":51,)"
                           R"("priority":150,"effective_priority":150,"vips":["10.0.0.1"]}]}})");
    });
    ASSERT_TRUE(server) << server.error();
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
    server->reset();
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(Status, QueryOfAMissingSocketNamesThePath) {
    auto r = vigil::query_status("/nonexistent/vigil.sock");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("/nonexistent/vigil.sock"), std::string::npos);
}
