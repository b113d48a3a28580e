// One process for keepalived's two: how the vrrp_* and checker_* values merge.
#include "process_tuning.hpp"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(ProcessTuning, VrrpValuesGovernCheckerValuesFillIn) {
    config::ProcessTuning v, c;
    v.rt_priority = 20;
    c.rt_priority = 30;
    c.nice = 7;
    c.cpu_affinity = {1};
    c.no_swap = true;
    c.rlimit_rttime = 40000;
    auto m = merge_process_settings(v, c);
    EXPECT_EQ(m.settings.rt_priority, 20);
    EXPECT_EQ(m.settings.nice, 7);
    EXPECT_EQ(m.settings.cpu_affinity, std::vector<int>{1});
    EXPECT_TRUE(m.settings.no_swap);
    EXPECT_EQ(m.settings.rlimit_rttime, 40000u);
    ASSERT_EQ(m.conflicts.size(), 1u);
    EXPECT_NE(m.conflicts[0].find("vrrp_rt_priority 20 and checker_rt_priority 30"),
              std::string::npos);
}

TEST(ProcessTuning, DefaultsTouchNothing) {
    auto m = merge_process_settings({}, {});
    EXPECT_FALSE(m.settings.any());
    EXPECT_EQ(m.settings.rlimit_rttime, 10000u);  // keepalived's default
    EXPECT_TRUE(m.conflicts.empty());
    EXPECT_FALSE(apply_process_settings(m.settings).child);
}

TEST(ProcessTuning, EqualPairsAreNoConflict) {
    config::ProcessTuning v, c;
    v.nice = c.nice = 3;
    v.cpu_affinity = c.cpu_affinity = {0};
    EXPECT_TRUE(merge_process_settings(v, c).conflicts.empty());
    c.cpu_affinity = {0, 1};
    EXPECT_EQ(merge_process_settings(v, c).conflicts.size(), 1u);
}

}  // namespace
}  // namespace vigil
