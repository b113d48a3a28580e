#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "timer_queue.hpp"
#include "vigil/common/fake_clock.hpp"

namespace vigil::vrrp {
namespace {

using namespace std::chrono_literals;
using TP = TimerQueue::TimePoint;

TEST(TimerQueue, EntriesWithinSlackShareOneWakeUpAndNoneFiresBeforeItsEarliest) {
    FakeClock clock;
    TimerQueue q(clock);
    TP fired_a{}, fired_b{}, fired_c{}, deadline_b{};
    TimerQueue::Entry a(q, [&](TP) { fired_a = clock.now(); });
    TimerQueue::Entry b(q, [&](TP d) {
        fired_b = clock.now();
        deadline_b = d;
    });
    TimerQueue::Entry c(q, [&](TP) { fired_c = clock.now(); });
    const auto t0 = clock.now();
    a.arm(t0 + 30ms);         // exact
    b.arm(t0 + 60ms, 40ms);   // may go with a
    c.arm(t0 + 150ms, 10ms);  // too far: its own wake-up
    clock.advance(250ms);
    EXPECT_EQ(fired_a, t0 + 30ms);
    EXPECT_EQ(fired_b, t0 + 30ms);  // early, within its slack
    EXPECT_EQ(deadline_b, t0 + 60ms);
    EXPECT_EQ(fired_c, t0 + 150ms);
    EXPECT_EQ(q.wakeups(), 2u);
}

TEST(TimerQueue, SlackNeverExceedsTheMaximum) {
    FakeClock clock;
    TimerQueue q(clock);
    std::vector<TP> fired;
    TimerQueue::Entry a(q, [&](TP) { fired.push_back(clock.now()); });
    TimerQueue::Entry b(q, [&](TP) { fired.push_back(clock.now()); });
    const auto t0 = clock.now();
    a.arm(t0 + 10ms);
    b.arm(t0 + 10ms + TimerQueue::kMaxSlack + 1ms, 1s);  // asks for more than allowed
    clock.advance(1s);
    EXPECT_EQ(fired, (std::vector<TP>{t0 + 10ms, t0 + 10ms + TimerQueue::kMaxSlack + 1ms}));
    EXPECT_EQ(q.wakeups(), 2u);
}

TEST(TimerQueue, CancelAndRearmFromCallbacks) {
    FakeClock clock;
    TimerQueue q(clock);
    int ticks = 0, cancelled = 0;
    std::vector<TP> at;
    TimerQueue::Entry other(q, [&](TP) { ++cancelled; });
    std::optional<TimerQueue::Entry> periodic;
    periodic.emplace(q, [&](TP due) {
        ++ticks;
        at.push_back(clock.now());
        other.cancel();  // due in the same wake-up, cancelled before its turn
        if (ticks < 3) periodic->arm(due + 20ms);
    });
    const auto t0 = clock.now();
    periodic->arm(t0 + 10ms);
    other.arm(t0 + 12ms, 5ms);  // collected with periodic, ordered after it
    clock.advance(150ms);
    EXPECT_EQ(ticks, 3);
    EXPECT_EQ(at, (std::vector<TP>{t0 + 10ms, t0 + 30ms, t0 + 50ms}));
    EXPECT_EQ(cancelled, 0);
    EXPECT_FALSE(periodic->armed());
    // Destroyed while armed: nothing fires later.
    periodic->arm(clock.now() + 10ms);
    periodic.reset();
    clock.advance(50ms);
    EXPECT_EQ(ticks, 3);
    EXPECT_EQ(clock.armed(), 0u);
}

TEST(TimerQueue, DestroyedDuringTheWakeUpThatCollectedIt) {
    FakeClock clock;
    TimerQueue q(clock);
    std::vector<std::string> fired;
    std::optional<TimerQueue::Entry> victim;
    TimerQueue::Entry killer(q, [&](TP) {
        fired.push_back("killer");
        victim.reset();
    });
    victim.emplace(q, [&](TP) { fired.push_back("victim"); });
    TimerQueue::Entry after(q, [&](TP) { fired.push_back("after"); });
    const auto t0 = clock.now();
    killer.arm(t0 + 10ms);
    victim->arm(t0 + 11ms, 5ms);
    after.arm(t0 + 12ms, 5ms);
    clock.advance(20ms);
    EXPECT_EQ(fired, (std::vector<std::string>{"killer", "after"}));
    // Its id is reused by the next entry, which works as any other.
    TimerQueue::Entry next(q, [&](TP) { fired.push_back("next"); });
    next.arm(clock.now() + 1ms);
    clock.advance(1ms);
    EXPECT_EQ(fired.back(), "next");
}

TEST(TimerQueue, ArmedForNowFromACallbackFiresInTheNextWakeUpAndAfterFireFlushesOnce) {
    FakeClock clock;
    TimerQueue q(clock);
    std::vector<std::string> events;
    q.after_fire([&] { events.push_back("flush"); });
    TimerQueue::Entry second(q, [&](TP) {
        EXPECT_TRUE(q.firing());
        events.push_back("second");
    });
    TimerQueue::Entry first(q, [&](TP) {
        events.push_back("first");
        second.arm(clock.now());
    });
    first.arm(clock.now() + 5ms);
    EXPECT_FALSE(q.firing());
    clock.advance(5ms);
    EXPECT_EQ(events, (std::vector<std::string>{"first", "flush", "second", "flush"}));
    EXPECT_EQ(q.wakeups(), 2u);
}

TEST(TimerQueue, ManyEntriesFireInDeadlineOrder) {
    FakeClock clock;
    TimerQueue q(clock);
    std::vector<TP> fired;
    std::vector<std::unique_ptr<TimerQueue::Entry>> entries;
    const auto t0 = clock.now();
    for (int i = 0; i < 1000; ++i) {
        entries.push_back(
            std::make_unique<TimerQueue::Entry>(q, [&](TP d) { fired.push_back(d); }));
        entries.back()->arm(t0 + std::chrono::milliseconds((i * 7919) % 1000));  // shuffled
    }
    clock.advance(1s);
    ASSERT_EQ(fired.size(), 1000u);
    EXPECT_TRUE(std::is_sorted(fired.begin(), fired.end()));
    EXPECT_EQ(q.wakeups(), 1000u);  // exact entries: one wake-up each
}

// Many entries armed, re-armed, cancelled and destroyed at random: each fires once, at its last
// deadline, in deadline order, as a sorted reference says.
TEST(TimerQueue, RandomArmsAndCancelsFireInDeadlineOrder) {
    FakeClock clock;
    TimerQueue q(clock);
    std::mt19937 rng(7);
    const auto t0 = clock.now();
    std::vector<std::pair<TP, int>> fired;
    std::vector<std::unique_ptr<TimerQueue::Entry>> entries;
    for (int i = 0; i < 300; ++i)
        entries.push_back(std::make_unique<TimerQueue::Entry>(
            q, [&fired, i](TP d) { fired.emplace_back(d, i); }));
    std::vector<std::optional<TP>> want(entries.size());
    for (int round = 0; round < 3000; ++round) {
        const auto i = rng() % entries.size();
        if (!entries[i]) continue;
        switch (rng() % 8) {
            case 0:
                entries[i]->cancel();
                want[i].reset();
                break;
            case 1:
                entries[i].reset();
                want[i].reset();
                break;
            default: {
                const TP d = t0 + std::chrono::milliseconds(1 + rng() % 5000);
                entries[i]->arm(d);
                want[i] = d;
            }
        }
    }
    std::vector<std::pair<TP, int>> expected;
    for (std::size_t i = 0; i < want.size(); ++i)
        if (want[i]) expected.emplace_back(*want[i], static_cast<int>(i));
    std::sort(expected.begin(), expected.end());
    clock.advance(6s);
    // Equal deadlines fire in creation order, which is the index here.
    EXPECT_EQ(fired, expected);
    for (const auto& e : entries) {
        if (e) {
            EXPECT_FALSE(e->armed());
        }
    }
}

// A callable too large or not trivially copyable lives on the heap, owned by the entry: it
// runs with its state and is released with the entry.
TEST(TimerQueue, LargeCallablesRunWithTheirStateAndAreReleasedWithTheEntry) {
    FakeClock clock;
    TimerQueue q(clock);
    auto token = std::make_shared<int>(7);
    std::weak_ptr<int> watch = token;
    std::vector<int> got;
    {
        const std::string tag(40, 'x');  // no small-string storage: a real allocation
        TimerQueue::Entry e(q, [&got, token = std::move(token), tag](TP) {
            got.push_back(*token + static_cast<int>(tag.size()));
        });
        e.arm(clock.now() + 10ms);
        clock.advance(10ms);
        EXPECT_FALSE(watch.expired());
    }
    EXPECT_EQ(got, std::vector<int>{47});
    EXPECT_TRUE(watch.expired());
}

}  // namespace
}  // namespace vigil::vrrp
