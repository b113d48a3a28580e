#include "cli.hpp"

#include <gtest/gtest.h>

using vigil::parse_command_line;

TEST(Cli, KeepalivedUnitFileLineParses) {
    auto o = parse_command_line({"--dont-fork", "-D", "-f", "/etc/k.conf", "-p", "/run/a.pid", "-r",
                                 "/run/v.pid", "-c", "/run/c.pid", "-l"});
    ASSERT_TRUE(o) << o.error();
    EXPECT_TRUE(o->foreground);
    EXPECT_TRUE(o->log_detail);
    EXPECT_TRUE(o->log_console);
    EXPECT_EQ(o->config_file, "/etc/k.conf");
    EXPECT_EQ(o->pid_file, "/run/a.pid");
    EXPECT_EQ(o->notes.size(), 2u);  // -r and -c mean nothing to one process
}

TEST(Cli, ClusteredAndGluedShortOptions) {
    auto o = parse_command_line({"-nlD", "-f/x.conf", "-iBACKUP"});
    ASSERT_TRUE(o) << o.error();
    EXPECT_TRUE(o->foreground && o->log_console && o->log_detail);
    EXPECT_EQ(o->config_file, "/x.conf");
    EXPECT_EQ(o->config_id, "BACKUP");
}

TEST(Cli, ConfigTestTakesOptionalFile) {
    auto a = parse_command_line({"-t", "-f", "a.conf"});
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->config_test);
    EXPECT_EQ(a->config_file, "a.conf");
    auto b = parse_command_line({"--config-test=b.conf"});
    ASSERT_TRUE(b);
    EXPECT_EQ(b->config_file, "b.conf");
}

TEST(Cli, LongOptionsWithEquals) {
    auto o = parse_command_line({"--use-file=/a", "--pid=/b", "--log-file=/c", "--dump-config"});
    ASSERT_TRUE(o) << o.error();
    EXPECT_EQ(o->config_file, "/a");
    EXPECT_EQ(o->pid_file, "/b");
    EXPECT_EQ(o->log_file, "/c");
    EXPECT_TRUE(o->dump_config);
}

TEST(Cli, ErrorsNameTheArgument) {
    auto a = parse_command_line({"--bogus"});
    ASSERT_FALSE(a);
    EXPECT_NE(a.error().find("--bogus"), std::string::npos);
    auto b = parse_command_line({"-f"});
    ASSERT_FALSE(b);
    EXPECT_NE(b.error().find("-f"), std::string::npos);
    auto c = parse_command_line({"-s", "ns1"});  // keepalived's --namespace: entered at start
    ASSERT_TRUE(c) << c.error();
    EXPECT_EQ(c->net_namespace, "ns1");
    EXPECT_FALSE(parse_command_line({"-P", "-C"}));
    EXPECT_FALSE(parse_command_line({"stray"}));
}
