#include "scheduler.hpp"

#include <gtest/gtest.h>

using namespace vigil::checkers;
using std::chrono::seconds;

namespace {
SchedulerParams params(unsigned retry) {
    return SchedulerParams{seconds(10), seconds(2), retry};
}
}  // namespace

TEST(Scheduler, StartsUpUnlessAlpha) {
    EXPECT_TRUE(initial_state(false).up);
    EXPECT_FALSE(initial_state(true).up);
}

TEST(Scheduler, RetryMeansFurtherAttemptsBeforeDown) {
    auto p = params(2);
    auto s = initial_state(false);
    auto v = decide(s, p, false);
    EXPECT_FALSE(v.changed);
    EXPECT_TRUE(v.state.up);
    EXPECT_EQ(v.next, seconds(2));
    v = decide(v.state, p, false);
    EXPECT_FALSE(v.changed);
    EXPECT_EQ(v.next, seconds(2));
    v = decide(v.state, p, false);  // third failure: 1 + retry 2
    EXPECT_TRUE(v.changed);
    EXPECT_FALSE(v.state.up);
    EXPECT_EQ(v.next, seconds(10));
    v = decide(v.state, p, false);  // down stays down, no retry pacing
    EXPECT_FALSE(v.changed);
    EXPECT_EQ(v.next, seconds(10));
}

TEST(Scheduler, RetryZeroIsDownAtFirstFailure) {
    auto v = decide(initial_state(false), params(0), false);
    EXPECT_TRUE(v.changed);
    EXPECT_FALSE(v.state.up);
}

TEST(Scheduler, SuccessResetsFailureCount) {
    auto p = params(1);
    auto v = decide(initial_state(false), p, false);
    v = decide(v.state, p, true);
    EXPECT_FALSE(v.changed);
    EXPECT_EQ(v.state.failures, 0u);
    v = decide(v.state, p, false);
    EXPECT_FALSE(v.changed);  // counting starts again
    EXPECT_TRUE(v.state.up);
}

TEST(Scheduler, SuccessAfterDownIsUpAtOnce) {
    auto p = params(3);
    auto v = decide(initial_state(true), p, true);
    EXPECT_TRUE(v.changed);
    EXPECT_TRUE(v.state.up);
    EXPECT_EQ(v.next, seconds(10));
}

TEST(Scheduler, AlphaFailureIsNoTransition) {
    auto v = decide(initial_state(true), params(1), false);
    EXPECT_FALSE(v.changed);
    EXPECT_FALSE(v.state.up);
}

TEST(Scheduler, WarmupIsRandomWithinBound) {
    using vigil::checkers::Duration;
    Duration loop = seconds(60);
    EXPECT_EQ(first_delay(std::nullopt, loop, 0), Duration{0});
    EXPECT_LE(first_delay(std::nullopt, loop, ~0ull), loop);
    EXPECT_EQ(first_delay(std::nullopt, loop, 1234), Duration{1234});
    EXPECT_EQ(first_delay(Duration{0}, loop, 99999), Duration{0});  // warmup 0: at once
    EXPECT_LE(first_delay(Duration{seconds(3)}, loop, 987654321), seconds(3));
}

TEST(Scheduler, KeepalivedDefaults) {
    EXPECT_EQ(default_retry(DnsCheck{}), 3u);
    EXPECT_EQ(default_retry(MiscCheck{}), 0u);
    EXPECT_EQ(default_retry(TcpCheck{}), 1u);
    EXPECT_EQ(default_delay_before_retry(HttpCheck{}, seconds(60)), seconds(3));
    EXPECT_EQ(default_delay_before_retry(DnsCheck{}, seconds(60)), seconds(60));
    EXPECT_EQ(default_delay_before_retry(SmtpCheck{}, seconds(60)), seconds(1));
}
