// LvsSync drives the sync daemons from the instance's state; a double stands in for the kernel.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lvs_sync.hpp"

namespace vigil {
namespace {

struct Kernel {
    std::vector<std::pair<unsigned, std::uint32_t>> sets;  // want, sync_id
    unsigned running = ipvs::sync_none;
    int opens = 0;
    bool refuse = false;
    bool no_ipvs = false;
};

class FakeControl final : public ipvs::SyncControl {
  public:
    explicit FakeControl(Kernel& k) : k_(k) {}
    ipvs::Result<void> set(const ipvs::SyncDaemonConfig& c, unsigned want) override {
        k_.sets.emplace_back(want, c.sync_id);
        if (k_.refuse) return ipvs::fail("No such device");
        k_.running = want;
        return {};
    }
    unsigned running() const override { return k_.running; }

  private:
    Kernel& k_;
};

SyncControlFactory factory(Kernel& k) {
    return [&k]() -> ipvs::Result<std::unique_ptr<ipvs::SyncControl>> {
        ++k.opens;
        if (k.no_ipvs) return ipvs::fail("IPVS not available in this kernel");
        return std::unique_ptr<ipvs::SyncControl>(std::make_unique<FakeControl>(k));
    };
}

config::GlobalConfig::LvsSyncDaemon cfg(std::uint32_t id = 51) {
    config::GlobalConfig::LvsSyncDaemon d;
    d.daemon.interface = "eth1";
    d.daemon.sync_id = id;
    d.instance = "VI_1";
    return d;
}

struct LvsSyncTest : ::testing::Test {
    Logger log{LogOptions{false, false, false, "", "test"}};
    Kernel k;
};

TEST_F(LvsSyncTest, FollowsItsInstance) {
    LvsSync s(log, factory(k));
    s.configure(cfg(), false);
    EXPECT_EQ(k.running, ipvs::sync_backup);
    s.on_state("VI_2", true);  // another instance
    EXPECT_EQ(k.running, ipvs::sync_backup);
    s.on_state("VI_1", true);
    EXPECT_EQ(k.running, ipvs::sync_master);
    s.on_state("VI_1", false);  // BACKUP or FAULT
    EXPECT_EQ(k.running, ipvs::sync_backup);
    EXPECT_EQ(s.status().running, ipvs::sync_backup);
    EXPECT_EQ(s.status().changes, 3u);
    s.stop();
    EXPECT_EQ(k.running, ipvs::sync_none);
    EXPECT_EQ(k.opens, 1);
}

TEST_F(LvsSyncTest, ReloadKeepsTheRoleAndPassesTheNewConfig) {
    LvsSync s(log, factory(k));
    s.configure(cfg(), false);
    s.on_state("VI_1", true);
    s.configure(cfg(9), true);
    ASSERT_FALSE(k.sets.empty());
    EXPECT_EQ(k.sets.back(), (std::pair<unsigned, std::uint32_t>{ipvs::sync_master, 9u}));
    s.configure(std::nullopt, false);  // removed from the file
    EXPECT_EQ(k.running, ipvs::sync_none);
    EXPECT_FALSE(s.status().configured);
}

TEST_F(LvsSyncTest, FailuresAreCountedAndRetriedOnTheNextChange) {
    k.no_ipvs = true;
    LvsSync s(log, factory(k));
    s.configure(cfg(), false);
    EXPECT_EQ(s.status().failures, 1u);
    EXPECT_NE(s.status().last_error.find("IPVS not available"), std::string::npos);
    k.no_ipvs = false;
    k.refuse = true;
    s.on_state("VI_1", true);
    EXPECT_EQ(k.opens, 2);
    EXPECT_EQ(s.status().failures, 2u);
    EXPECT_EQ(k.running, ipvs::sync_none);
    k.refuse = false;
    s.on_state("VI_1", true);
    EXPECT_EQ(k.running, ipvs::sync_master);
}

}  // namespace
}  // namespace vigil
