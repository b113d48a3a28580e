#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vigil/common/clock.hpp"
#include "vigil/common/fake_clock.hpp"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using TP = Clock::time_point;

TEST(FakeClock, StandsStillUntilAdvanced) {
    FakeClock clock;
    const auto t0 = clock.now();
    EXPECT_EQ(clock.now(), t0);
    clock.advance(1500us);
    EXPECT_EQ(clock.now(), t0 + 1500us);
    clock.advance_to(t0);  // never backwards
    EXPECT_EQ(clock.now(), t0 + 1500us);
    EXPECT_FALSE(clock.advance_to_next());  // nothing armed
}

TEST(FakeClock, AlarmsFireAtTheirDeadlineInOrderTiesByArmingOrder) {
    FakeClock clock;
    const auto t0 = clock.now();
    std::vector<std::pair<std::string, TP>> fired;
    auto note = [&](std::string n) { return [&, n] { fired.emplace_back(n, clock.now()); }; };
    Clock::Alarm a(clock, note("a")), b(clock, note("b")), c(clock, note("c")), d(clock, note("d"));
    c.arm(t0 + 30ms);
    a.arm(t0 + 10ms);
    d.arm(t0 + 20ms);
    b.arm(t0 + 20ms);  // same instant as d, armed after it
    EXPECT_EQ(clock.next_deadline(), t0 + 10ms);
    EXPECT_EQ(clock.armed(), 4u);
    EXPECT_EQ(clock.advance(30ms - 1us), 3u);
    EXPECT_EQ(clock.advance(1us), 1u);
    const std::vector<std::pair<std::string, TP>> want{
        {"a", t0 + 10ms}, {"d", t0 + 20ms}, {"b", t0 + 20ms}, {"c", t0 + 30ms}};
    EXPECT_EQ(fired, want);
    EXPECT_FALSE(a.armed());
    EXPECT_EQ(clock.fired(), 4u);
}

TEST(FakeClock, RearmingMovesTheAlarmAndArmingInThePastFiresAtOnce) {
    FakeClock clock;
    const auto t0 = clock.now();
    std::vector<TP> fired;
    Clock::Alarm a(clock, [&] { fired.push_back(clock.now()); });
    a.arm(t0 + 10ms);
    a.arm(t0 + 50ms);  // replaces the first
    EXPECT_EQ(clock.armed(), 1u);
    EXPECT_EQ(a.deadline(), t0 + 50ms);
    clock.advance(100ms);
    EXPECT_EQ(fired, std::vector<TP>{t0 + 50ms});
    a.arm(t0);  // in the past: due now, but only from the loop, never inside arm()
    EXPECT_EQ(fired.size(), 1u);
    clock.advance(0us);
    EXPECT_EQ(fired.size(), 2u);
    EXPECT_EQ(fired.back(), t0 + 100ms);
}

TEST(FakeClock, PeriodicAlarmArmedFromItsCallbackKeepsItsPeriodAcrossOneAdvance) {
    FakeClock clock;
    const auto t0 = clock.now();
    std::vector<TP> fired;
    std::optional<Clock::Alarm> tick;
    tick.emplace(clock, [&] {
        fired.push_back(clock.now());
        tick->arm(tick->deadline() + 10ms);
    });
    tick->arm(t0 + 10ms);
    clock.advance(1s);
    ASSERT_EQ(fired.size(), 100u);
    for (std::size_t i = 0; i < fired.size(); ++i)
        EXPECT_EQ(fired[i], t0 + 10ms * static_cast<int>(i + 1));
    EXPECT_EQ(tick->deadline(), t0 + 1010ms);
}

TEST(FakeClock, AlarmArmedForNowByACallbackRunsInALaterPassOfTheSameAdvance) {
    FakeClock clock;
    std::vector<std::string> fired;
    Clock::Alarm later(clock, [&] { fired.push_back("later"); });
    Clock::Alarm same(clock, [&] { fired.push_back("same instant, armed before"); });
    Clock::Alarm first(clock, [&] {
        fired.push_back("first");
        later.arm(clock.now());
    });
    first.arm(clock.now() + 5ms);
    same.arm(clock.now() + 5ms);
    clock.advance(5ms);
    EXPECT_EQ(fired, (std::vector<std::string>{"first", "same instant, armed before", "later"}));
}

TEST(FakeClock, AnAlarmThatReArmsForNowForeverIsReportedNotAHang) {
    FakeClock clock;
    int n = 0;
    std::optional<Clock::Alarm> spin;
    spin.emplace(clock, [&] {
        ++n;
        spin->arm(clock.now());
    });
    spin->arm(clock.now());
    EXPECT_THROW(clock.advance(1ms), std::runtime_error);
    EXPECT_EQ(n, static_cast<int>(FakeClock::kMaxPasses));
}

TEST(FakeClock, CancelledDuringTheWakeUpThatCollectedIt) {
    FakeClock clock;
    int b_fired = 0;
    Clock::Alarm b(clock, [&] { ++b_fired; });
    Clock::Alarm a(clock, [&] {
        EXPECT_TRUE(b.armed());  // collected with a, not yet run
        b.cancel();
        EXPECT_FALSE(b.armed());
    });
    a.arm(clock.now() + 1ms);
    b.arm(clock.now() + 1ms);
    clock.advance(1ms);
    EXPECT_EQ(b_fired, 0);
    // Moved by a callback of the wake-up that collected it: it fires at its new time only.
    Clock::Alarm mover(clock, [&] { b.arm(clock.now() + 3ms); });
    const auto t = clock.now();
    mover.arm(t + 2ms);
    b.arm(t + 2ms);  // collected with mover, after it
    clock.advance(2ms);
    EXPECT_EQ(b_fired, 0);
    clock.advance(3ms - 1us);
    EXPECT_EQ(b_fired, 0);
    clock.advance(1us);
    EXPECT_EQ(b_fired, 1);
    EXPECT_EQ(clock.now(), t + 5ms);
}

TEST(FakeClock, DestroyedDuringTheWakeUpThatCollectedIt) {
    FakeClock clock;
    std::vector<std::string> fired;
    std::optional<Clock::Alarm> victim, self;
    Clock::Alarm killer(clock, [&] {
        fired.push_back("killer");
        victim.reset();
    });
    victim.emplace(clock, [&] { fired.push_back("victim"); });
    self.emplace(clock, [&] {
        fired.push_back("self");
        self.reset();  // its own callback may destroy it
    });
    Clock::Alarm last(clock, [&] { fired.push_back("last"); });
    killer.arm(clock.now() + 1ms);
    victim->arm(clock.now() + 1ms);
    self->arm(clock.now() + 1ms);
    last.arm(clock.now() + 1ms);
    clock.advance(1ms);
    EXPECT_EQ(fired, (std::vector<std::string>{"killer", "self", "last"}));
    EXPECT_FALSE(self.has_value());
    EXPECT_EQ(clock.armed(), 0u);
}

TEST(FakeClock, AThrowingCallbackLeavesTheRestDueAndTheClockWorking) {
    FakeClock clock;
    std::vector<std::string> fired;
    Clock::Alarm thrower(clock, [&] {
        fired.push_back("thrower");
        throw std::runtime_error("handler failed");
    });
    Clock::Alarm next(clock, [&] { fired.push_back("next"); });
    Clock::Alarm later(clock, [&] { fired.push_back("later"); });
    thrower.arm(clock.now() + 1ms);
    next.arm(clock.now() + 1ms);
    later.arm(clock.now() + 2ms);
    EXPECT_THROW(clock.advance(5ms), std::runtime_error);
    EXPECT_EQ(fired, std::vector<std::string>{"thrower"});
    EXPECT_TRUE(next.armed());
    clock.advance(5ms);
    EXPECT_EQ(fired, (std::vector<std::string>{"thrower", "next", "later"}));
}

TEST(FakeClock, AdvancingPastManyDeadlinesFiresEachOnceInOrder) {
    FakeClock clock;
    const auto t0 = clock.now();
    constexpr int kAlarms = 20000;
    std::vector<TP> fired;
    fired.reserve(kAlarms);
    std::vector<std::unique_ptr<Clock::Alarm>> alarms;
    for (int i = 0; i < kAlarms; ++i) {
        alarms.push_back(
            std::make_unique<Clock::Alarm>(clock, [&] { fired.push_back(clock.now()); }));
        // Shuffled deadlines over 10 s, many sharing an instant.
        alarms.back()->arm(t0 + std::chrono::milliseconds((i * 7919) % 10000));
    }
    EXPECT_EQ(clock.advance(10s), static_cast<std::uint64_t>(kAlarms));
    ASSERT_EQ(fired.size(), static_cast<std::size_t>(kAlarms));
    EXPECT_TRUE(std::is_sorted(fired.begin(), fired.end()));
    EXPECT_EQ(fired.front(), t0);
    EXPECT_EQ(fired.back(), t0 + 9999ms);
    EXPECT_EQ(clock.armed(), 0u);
}

TEST(FakeClock, RunUntilMixesReadyHandlersWithJumpsToTheNextDeadline) {
    boost::asio::io_context io;
    FakeClock clock;
    const auto t0 = clock.now();
    std::vector<std::string> seen;
    Clock::Alarm a(clock, [&] {
        seen.push_back("alarm");
        boost::asio::post(io, [&] { seen.push_back("posted by alarm"); });
    });
    a.arm(t0 + 1h);  // an hour of fake time, no real wait
    boost::asio::post(io, [&] { seen.push_back("ready"); });
    EXPECT_TRUE(run_until(io, clock, [&] { return seen.size() == 3; }));
    EXPECT_EQ(seen, (std::vector<std::string>{"ready", "alarm", "posted by alarm"}));
    EXPECT_EQ(clock.now(), t0 + 1h);
    // Nothing left to wait for: it gives up at once.
    EXPECT_FALSE(run_until(io, clock, [] { return false; }));
}

TEST(AsioClock, AlarmsFireOnTheLoopNoEarlierThanTheirDeadline) {
    boost::asio::io_context io;
    AsioClock clock(io);
    std::vector<std::string> fired;
    std::vector<TP> at;
    const auto t0 = clock.now();
    Clock::Alarm late(clock, [&] {
        fired.push_back("late");
        at.push_back(clock.now());
    });
    Clock::Alarm early(clock, [&] {
        fired.push_back("early");
        at.push_back(clock.now());
    });
    Clock::Alarm cancelled(clock, [&] { fired.push_back("cancelled"); });
    late.arm(t0 + 20ms);
    early.arm(t0 + 2ms);  // earlier than the wake-up asked for: moves it
    cancelled.arm(t0 + 1ms);
    cancelled.cancel();
    Clock::Alarm past(clock, [&] { fired.push_back("past"); });
    past.arm(t0 - 1s);
    EXPECT_TRUE(fired.empty());  // never from inside arm()
    for (int i = 0; i < 200 && fired.size() < 3; ++i) {
        io.run_one_for(10ms);
        if (io.stopped()) io.restart();
    }
    EXPECT_EQ(fired, (std::vector<std::string>{"past", "early", "late"}));
    ASSERT_EQ(at.size(), 2u);
    EXPECT_GE(at[0], t0 + 2ms);
    EXPECT_GE(at[1], t0 + 20ms);
}

TEST(AsioClock, NothingArmedLeavesTheLoopWithoutWork) {
    boost::asio::io_context io;
    AsioClock clock(io);
    Clock::Alarm a(clock, [] {});
    a.arm(clock.now() + 1h);
    io.poll();
    EXPECT_FALSE(io.stopped());  // the wake-up is work
    a.cancel();
    io.poll();
    EXPECT_TRUE(io.stopped());  // run() would return now, not in an hour
}

TEST(AsioClock, AWakeUpStillQueuedWhenTheClockGoesIsHarmless) {
    boost::asio::io_context io;
    int fired = 0;
    {
        AsioClock clock(io);
        Clock::Alarm a(clock, [&] { ++fired; });
        a.arm(clock.now() - 1ms);  // the loop's wait is queued, not yet run
    }
    io.run();
    EXPECT_EQ(fired, 0);
}

}  // namespace
}  // namespace vigil
