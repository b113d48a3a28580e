#include <gtest/gtest.h>

#include "socket.hpp"

namespace vigil::vrrp {
namespace {

using namespace std::chrono_literals;

TEST(SteadyArrival, KeepsThePacketsAgeAndNeverLiesInTheFuture) {
    const auto now = std::chrono::steady_clock::time_point(100s);
    const timespec real{1'700'000'010, 200'000'000};
    // Stamped 300 ms (across a second boundary) before the read.
    EXPECT_EQ(steady_arrival({1'700'000'009, 900'000'000}, real, now), now - 300ms);
    EXPECT_EQ(steady_arrival(real, real, now), now);
    // Wall clock stepped back since the stamp: counts as now, never later.
    EXPECT_EQ(steady_arrival({1'700'000'011, 0}, real, now), now);
}

}  // namespace
}  // namespace vigil::vrrp
