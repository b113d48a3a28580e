#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>

#include "timer_queue.hpp"

namespace vigil::vrrp {
namespace {

using namespace std::chrono_literals;
using TP = TimerQueue::TimePoint;

TEST(TimerQueue, EntriesWithinSlackShareOneWakeUpAndNoneFiresBeforeItsEarliest) {
    boost::asio::io_context io;
    TimerQueue q(io);
    TP fired_a{}, fired_b{}, fired_c{};
    TimerQueue::Entry a(q, [&](TP) { fired_a = TimerQueue::Clock::now(); });
    TimerQueue::Entry b(q, [&](TP) { fired_b = TimerQueue::Clock::now(); });
    TimerQueue::Entry c(q, [&](TP) { fired_c = TimerQueue::Clock::now(); });
    const auto t0 = TimerQueue::Clock::now();
    a.arm(t0 + 30ms);         // exact
    b.arm(t0 + 60ms, 40ms);   // may go with a
    c.arm(t0 + 150ms, 10ms);  // too far: its own wake-up
    io.run_for(250ms);
    EXPECT_GE(fired_a, t0 + 30ms);
    EXPECT_GE(fired_b, t0 + 20ms);
    EXPECT_LT(fired_b, t0 + 60ms);
    EXPECT_GE(fired_c, t0 + 140ms);
    EXPECT_EQ(q.wakeups(), 2u);
}

TEST(TimerQueue, CancelAndRearmFromCallbacks) {
    boost::asio::io_context io;
    TimerQueue q(io);
    int ticks = 0, cancelled = 0;
    TimerQueue::Entry other(q, [&](TP) { ++cancelled; });
    std::optional<TimerQueue::Entry> periodic;
    periodic.emplace(q, [&](TP due) {
        ++ticks;
        other.cancel();  // due in the same wake-up, cancelled before its turn
        if (ticks < 3) periodic->arm(due + 20ms);
    });
    const auto t0 = TimerQueue::Clock::now();
    periodic->arm(t0 + 10ms);
    other.arm(t0 + 12ms, 5ms);  // collected with periodic, ordered after it
    io.run_for(150ms);
    EXPECT_EQ(ticks, 3);
    EXPECT_EQ(cancelled, 0);
    EXPECT_FALSE(periodic->armed());
    // Destroyed while armed: nothing fires later.
    periodic->arm(TimerQueue::Clock::now() + 10ms);
    periodic.reset();
    io.restart();
    io.run_for(50ms);
    EXPECT_EQ(ticks, 3);
}

}  // namespace
}  // namespace vigil::vrrp
