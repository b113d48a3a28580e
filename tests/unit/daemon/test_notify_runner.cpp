#include "notify_runner.hpp"

#include "../support/proc_probe.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using vigil::NotifyRunner;
using vigil::ScriptResult;
using vigil::ScriptRunner;

void run_until(boost::asio::io_context& io, const std::function<bool()>& pred,
               std::chrono::seconds limit = 10s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred() && std::chrono::steady_clock::now() < deadline) {
        io.run_one_for(20ms);
        if (io.stopped()) io.restart();
    }
}

std::vector<std::string> lines(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

struct Dir {
    std::filesystem::path path;
    Dir() {
        char t[] = "/tmp/vigil-notify-XXXXXX";
        path = ::mkdtemp(t);
    }
    ~Dir() { std::filesystem::remove_all(path); }
};

// Real scripts: "start N" and "end N" lines never interleave within a key.
TEST(NotifyRunner, ScriptsOfOneKeyNeverOverlap) {
    boost::asio::io_context io;
    vigil::AsioClock clock(io);  // real children: real time
    ScriptRunner scripts(io, clock);
    NotifyRunner runner(clock, scripts);
    Dir d;
    const auto log = (d.path / "log").string();
    std::vector<ScriptResult> results;
    for (int i = 0; i < 4; ++i)
        runner.run("VI_1",
                   {"/bin/sh", "-c",
                    "echo start " + std::to_string(i) + " >> " + log + "; sleep 0.05; echo end " +
                        std::to_string(i) + " >> " + log},
                   "", "", 5s, [&](ScriptResult r) { results.push_back(r); });
    EXPECT_EQ(runner.running(), 1u);
    EXPECT_EQ(runner.waiting(), 3u);
    run_until(io, [&] { return results.size() == 4; });
    ASSERT_EQ(results.size(), 4u);
    EXPECT_EQ(lines(log), (std::vector<std::string>{"start 0", "end 0", "start 1", "end 1",
                                                    "start 2", "end 2", "start 3", "end 3"}));
    EXPECT_TRUE(runner.idle());
}

TEST(NotifyRunner, HangingScriptIsKilledWithItsGroupAndTheNextRuns) {
    boost::asio::io_context io;
    vigil::AsioClock clock(io);  // real children: real time
    ScriptRunner scripts(io, clock);
    NotifyRunner runner(clock, scripts);
    Dir d;
    const auto log = (d.path / "log").string();
    std::vector<ScriptResult> results;
    auto collect = [&](ScriptResult r) { results.push_back(r); };
    const auto t0 = std::chrono::steady_clock::now();
    runner.run("VI_1", {"/bin/sh", "-c", "sleep 30 & echo $! >> " + log + "; wait"}, "", "", 300ms,
               collect);
    runner.run("VI_1", {"/bin/sh", "-c", "echo next >> " + log}, "", "", 5s, collect);
    run_until(io, [&] { return results.size() == 2; });
    ASSERT_EQ(results.size(), 2u);
    EXPECT_TRUE(results[0].timed_out);
    EXPECT_EQ(results[0].signal, SIGKILL);
    EXPECT_EQ(results[1].exit_code, 0);
    EXPECT_FALSE(results[1].timed_out);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 300ms);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
    const auto l = lines(log);
    ASSERT_EQ(l.size(), 2u);
    EXPECT_EQ(l[1], "next");
    const pid_t child = std::stoi(l[0]);
    // The background sleep went with the group: gone, or a zombie nobody here reaps. SIGKILL
    // is delivered asynchronously: give the kernel a moment to finish it.
    auto state_of = [&] { return vigil::test::proc_state(child); };
    char state = state_of();
    for (int i = 0; i < 200 && state != 0 && state != 'Z'; ++i) {
        std::this_thread::sleep_for(10ms);
        state = state_of();
    }
    EXPECT_TRUE(state == 0 || state == 'Z') << state;
    if (state != 0 && state != 'Z') ::kill(child, SIGKILL);
    EXPECT_EQ(runner.counters().timed_out, 1u);
}

TEST(NotifyRunner, AbortDropsWhatWaits) {
    boost::asio::io_context io;
    vigil::AsioClock clock(io);  // real children: real time
    ScriptRunner scripts(io, clock);
    NotifyRunner runner(clock, scripts);
    std::vector<ScriptResult> results;
    auto collect = [&](ScriptResult r) { results.push_back(r); };
    runner.run("VI_1", {"sleep", "30"}, "", "", 10s, collect);
    runner.run("VI_1", {"true"}, "", "", 10s, collect);
    runner.abort();
    run_until(io, [&] { return runner.idle(); });
    ASSERT_EQ(results.size(), 1u) << "the waiting one never ran";
    EXPECT_EQ(results[0].signal, SIGKILL);
    EXPECT_EQ(runner.counters().dropped, 1u);
    EXPECT_EQ(scripts.running(), 0u);
}

}  // namespace
