#include <gtest/gtest.h>

#include <vector>

#include "sync_group.hpp"
#include "track.hpp"

namespace vigil::vrrp {
namespace {

Priority prio(std::uint8_t base, std::vector<TrackedInterface> i, std::vector<TrackedScript> s = {},
              std::vector<TrackedFile> f = {}) {
    return compute_priority(base, i, s, f);
}

TEST(Track, NothingTrackedKeepsBase) {
    EXPECT_EQ(prio(100, {}), (Priority{100, false}));
    EXPECT_EQ(prio(255, {}), (Priority{255, false}));
}

TEST(Track, InterfaceWeightZeroDownIsFault) {
    EXPECT_EQ(prio(100, {{0, false, false}}), (Priority{100, true}));
    EXPECT_EQ(prio(100, {{0, false, true}}), (Priority{100, false}));
}

TEST(Track, InterfaceWeights) {
    EXPECT_EQ(prio(100, {{10, false, true}}).effective, 110);  // up adds a positive weight
    EXPECT_EQ(prio(100, {{10, false, false}}).effective, 100);
    EXPECT_EQ(prio(100, {{-30, false, false}}).effective, 70);  // down subtracts a negative one
    EXPECT_EQ(prio(100, {{-30, false, true}}).effective, 100);
    EXPECT_EQ(prio(100, {{10, true, true}}).effective, 90);  // reverse flips the direction
    EXPECT_EQ(prio(100, {{-30, true, false}}).effective, 130);
}

TEST(Track, ScriptWeights) {
    EXPECT_EQ(prio(100, {}, {{20, false, true}}).effective, 120);
    EXPECT_EQ(prio(100, {}, {{20, false, false}}).effective, 100);
    EXPECT_EQ(prio(100, {}, {{-20, false, false}}).effective, 80);
    EXPECT_EQ(prio(100, {}, {{0, false, false}}), (Priority{100, true}));
    EXPECT_EQ(prio(100, {}, {{20, false, true}, {-50, false, false}, {5, false, true}}).effective,
              75);
}

TEST(Track, ClampedToValidRange) {
    EXPECT_EQ(prio(250, {}, {{20, false, true}}).effective, 254);
    EXPECT_EQ(prio(10, {}, {{-50, false, false}}).effective, 1);
    // An owner that tracking moved is no longer 255.
    EXPECT_EQ(prio(255, {}, {{-5, false, false}}).effective, 250);
    EXPECT_EQ(prio(255, {}, {{5, false, true}}).effective, 254);
}

TEST(Track, FileValuesTimesWeight) {
    EXPECT_EQ(prio(100, {}, {}, {{2, false, 5}}).effective, 110);
    EXPECT_EQ(prio(100, {}, {}, {{1, false, -40}}).effective, 60);
    EXPECT_EQ(prio(100, {}, {}, {{-3, false, 5}}).effective, 85);
    EXPECT_EQ(prio(100, {}, {}, {{2, true, 5}}).effective, 90);
    EXPECT_EQ(prio(100, {}, {}, {{0, false, 3}}), (Priority{100, true}));
    EXPECT_EQ(prio(100, {}, {}, {{0, false, 0}}), (Priority{100, false}));
    EXPECT_TRUE(prio(100, {}, {}, {{1, false, -254}}).fault);
    EXPECT_FALSE(prio(100, {}, {}, {{1, false, -253}}).fault);
}

TEST(Track, ParseFile) {
    EXPECT_EQ(parse_track_file("42\n"), 42);
    EXPECT_EQ(parse_track_file("  -7 junk"), -7);
    EXPECT_EQ(parse_track_file("+3"), 3);
    EXPECT_EQ(parse_track_file("junk"), 0);
    EXPECT_EQ(parse_track_file(""), 0);
    EXPECT_EQ(parse_track_file("0x10"), 16);  // as FILE_CHECK and keepalived read it
    EXPECT_EQ(parse_track_file("010"), 8);
    EXPECT_FALSE(read_track_file("/nonexistent/vigil-track").has_value());
}

TEST(Track, ScriptRiseAndFall) {
    ScriptHealth h;  // starts OK
    EXPECT_FALSE(h.record(false, 2, 3));
    EXPECT_FALSE(h.record(false, 2, 3));
    EXPECT_FALSE(h.record(true, 2, 3));  // a success breaks the failure streak
    EXPECT_FALSE(h.record(false, 2, 3));
    EXPECT_FALSE(h.record(false, 2, 3));
    EXPECT_TRUE(h.record(false, 2, 3));
    EXPECT_FALSE(h.ok);
    EXPECT_FALSE(h.record(true, 2, 3));
    EXPECT_TRUE(h.record(true, 2, 3));
    EXPECT_TRUE(h.ok);
    ScriptHealth once;
    EXPECT_TRUE(once.record(false, 1, 1));
}

TEST(SyncGroup, MasterPullsBackupsUp) {
    std::vector<State> s = {State::master, State::backup, State::backup, State::fault};
    auto o = follow(s, 0, State::backup, State::master);
    std::vector<MemberOrder> want = {{1, GroupOrder::force_master}, {2, GroupOrder::force_master}};
    EXPECT_EQ(o, want);
}

TEST(SyncGroup, LeavingMasterPushesOthersDown) {
    std::vector<State> s = {State::master, State::backup, State::master};
    auto o = follow(s, 1, State::master, State::backup);
    std::vector<MemberOrder> want = {{0, GroupOrder::force_backup}, {2, GroupOrder::force_backup}};
    EXPECT_EQ(o, want);
    // Going to FAULT is shared by group_fault, not by orders.
    EXPECT_TRUE(follow(s, 1, State::master, State::fault).empty());
    EXPECT_TRUE(follow(s, 1, State::init, State::backup).empty());
}

TEST(SyncGroup, FaultIsShared) {
    EXPECT_FALSE(group_fault(std::span<const bool>(), 0));
    const bool arr[] = {false, true, false};
    EXPECT_TRUE(group_fault(arr, 0));
    EXPECT_FALSE(group_fault(arr, 1));
    EXPECT_TRUE(group_fault(arr, 2));
}

}  // namespace
}  // namespace vigil::vrrp
