#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "loop_guard.hpp"

namespace vigil {
namespace {

TEST(LoopGuard, AnEscapedExceptionIsReportedAndTheLoopGoesOn) {
    boost::asio::io_context io;
    std::vector<std::string> failures;
    int after = 0;
    boost::asio::post(io, [] { throw std::runtime_error("json.exception.type_error.302"); });
    boost::asio::post(io, [&] { ++after; });
    boost::asio::post(io, [] { throw 42; });
    boost::asio::post(io, [&] { ++after; });
    run_guarded(io, [&](std::string_view what) { failures.emplace_back(what); });
    EXPECT_EQ(after, 2);
    ASSERT_EQ(failures.size(), 2u);
    EXPECT_EQ(failures[0], "json.exception.type_error.302");
    EXPECT_EQ(failures[1], "unknown exception");
}

TEST(LoopGuard, MemoryFromProcStatus) {
    const auto m = parse_proc_status(
        "Name:\tvigild\nVmPeak:\t 20000 kB\nVmRSS:\t    7168 kB\nRssAnon:\t    2048 kB\n");
    EXPECT_EQ(m.rss_kib, 7168u);
    EXPECT_EQ(m.anon_kib, 2048u);
    EXPECT_EQ(parse_proc_status("Name: x\n").rss_kib, 0u);
    EXPECT_GT(own_memory().rss_kib, 0u);
}

}  // namespace
}  // namespace vigil
