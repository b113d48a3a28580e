#include "notify.hpp"

#include <gtest/gtest.h>

TEST(Notify, StateScriptThenGenericWithKeepalivedArguments) {
    vigil::vrrp::InstanceConfig c;
    c.name = "VI_1";
    c.notify.edit().master.argv = {"/bin/m", "x"};
    c.notify.edit().generic.argv = {"/bin/n"};
    vigil::Notifier n;
    auto cmds = n.instance_commands(c, "MASTER", 150);
    ASSERT_EQ(cmds.size(), 2u);
    EXPECT_EQ(cmds[0].argv, (std::vector<std::string>{"/bin/m", "x"}));
    EXPECT_EQ(cmds[1].argv,
              (std::vector<std::string>{"/bin/n", "INSTANCE", "VI_1", "MASTER", "150"}));
    auto backup = n.instance_commands(c, "BACKUP", 100);
    ASSERT_EQ(backup.size(), 1u);  // no notify_backup configured
    EXPECT_EQ(backup[0].argv.back(), "100");
}

TEST(Notify, GroupArguments) {
    vigil::vrrp::SyncGroupConfig g;
    g.name = "G1";
    g.notify.generic.argv = {"/bin/n"};
    g.notify.fault.argv = {"/bin/f"};
    auto cmds = vigil::Notifier().group_commands(g, "FAULT");
    ASSERT_EQ(cmds.size(), 2u);
    EXPECT_EQ(cmds[0].argv, (std::vector<std::string>{"/bin/f"}));
    EXPECT_EQ(cmds[1].argv, (std::vector<std::string>{"/bin/n", "GROUP", "G1", "FAULT", "0"}));
}
