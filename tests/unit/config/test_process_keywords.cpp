// global_defs process keywords (vrrp_* / checker_*), lvs_flush and lvs_flush_on_stop: values,
// ranges and keepalived's messages.
#include "helpers.hpp"

#include <unistd.h>

namespace vigil::config {
namespace {

using test::all;
using test::find;
using test::load;

LoadResult global(const std::string& body) {
    return load("global_defs {\n" + body + "}\n");
}

// vrrp_no_swap, checker_no_swap, vrrp_rlimit_rttime, checker_rlimit_rttime and the rest.
TEST(ProcessKeywords, ValuesGoToTheirProcess) {
    auto r = global(
        "vrrp_priority -5\nchecker_priority 7\nvrrp_rt_priority 20\nchecker_rt_priority 30\n"
        "vrrp_rlimit_rttime 50000\nchecker_rlimit_rttime 2\nvrrp_cpu_affinity 0\n"
        "checker_cpu_affinity 0 0\nvrrp_no_swap\n");
    ASSERT_TRUE(r.ok()) << all(r);
    const auto& v = r.config.global.vrrp_process;
    const auto& c = r.config.global.checker_process;
    EXPECT_EQ(v.nice, -5);
    EXPECT_EQ(c.nice, 7);
    EXPECT_EQ(v.rt_priority, 20);
    EXPECT_EQ(c.rt_priority, 30);
    EXPECT_EQ(v.rlimit_rttime, 50000u);
    EXPECT_EQ(c.rlimit_rttime, 2u);
    EXPECT_EQ(v.cpu_affinity, std::vector<int>{0});
    EXPECT_EQ(c.cpu_affinity, (std::vector<int>{0, 0}));
    EXPECT_TRUE(v.no_swap);
    EXPECT_FALSE(c.no_swap);
    EXPECT_TRUE(global("checker_no_swap\n").config.global.checker_process.no_swap);
}

TEST(ProcessKeywords, BadPriorityIsReportedAndIgnored) {
    for (const char* bad : {"-21", "20", "abc", "1.5"}) {
        auto r = global(std::string("vrrp_priority ") + bad + "\n");
        EXPECT_FALSE(r.ok()) << bad;  // keepalived -t exits 5
        EXPECT_TRUE(r.startable()) << bad;
        EXPECT_TRUE(find(r, "Invalid vrrp process priority")) << all(r);
        EXPECT_FALSE(r.config.global.vrrp_process.nice) << bad;
    }
    EXPECT_TRUE(find(global("checker_priority\n"), "No checker process priority specified"));
}

TEST(ProcessKeywords, RealTimePriorityIsClampedToOneToNinetyNine) {
    auto lo = global("vrrp_rt_priority 0\n");
    EXPECT_TRUE(find(lo,
                     "vrrp process real-time priority 0 less than minimum 1 - setting to "
                     "minimum"))
        << all(lo);
    EXPECT_EQ(lo.config.global.vrrp_process.rt_priority, 1);
    auto hi = global("checker_rt_priority 100\n");
    EXPECT_TRUE(find(hi, "greater than maximum 99 - setting to maximum")) << all(hi);
    EXPECT_EQ(hi.config.global.checker_process.rt_priority, 99);
    auto bad = global("vrrp_rt_priority x\n");
    EXPECT_TRUE(find(bad, "vrrp process real-time priority 'x' invalid")) << all(bad);
    EXPECT_FALSE(bad.config.global.vrrp_process.rt_priority);
}

TEST(ProcessKeywords, RlimitRttimeIsOneMicrosecondOrMore) {
    EXPECT_EQ(global("checker_rlimit_rttime 7\n").config.global.checker_process.rlimit_rttime, 7u);
    EXPECT_TRUE(global("vrrp_rlimit_rttime 1\n").ok());
    for (const char* bad : {"0", "-1", "4294967296", "1.5"}) {
        auto r = global(std::string("vrrp_rlimit_rttime ") + bad + "\n");
        EXPECT_TRUE(find(r, "Invalid vrrp real-time limit")) << bad << all(r);
        EXPECT_FALSE(r.config.global.vrrp_process.rlimit_rttime) << bad;
    }
}

TEST(ProcessKeywords, OldRtimeSpellingIsDeprecated) {
    auto r = global("vrrp_rlimit_rtime 5000\n");
    EXPECT_TRUE(r.ok()) << all(r);  // keepalived -t accepts it
    EXPECT_TRUE(find(r,
                     "Keyword 'vrrp_rlimit_rtime' is deprecated - please use "
                     "'vrrp_rlimit_rttime'"))
        << all(r);
    EXPECT_EQ(r.config.global.vrrp_process.rlimit_rttime, 5000u);
}

TEST(ProcessKeywords, CpuAffinityNamesCpusOfThisHost) {
    const long cpus = ::sysconf(_SC_NPROCESSORS_CONF);
    auto r = global("vrrp_cpu_affinity " + std::to_string(cpus) + "\n");
    EXPECT_TRUE(find(r, "Invalid cpu_id:" + std::to_string(cpus) + " specified for vrrp process"))
        << all(r);
    EXPECT_TRUE(r.config.global.vrrp_process.cpu_affinity.empty());
    EXPECT_TRUE(find(global("checker_cpu_affinity -1\n"), "Invalid cpu_id:-1"));
    EXPECT_TRUE(find(global("vrrp_cpu_affinity\n"), "No vrrp cpu_id set specified"));
}

TEST(ProcessKeywords, BfdOnesStayUnsupported) {
    auto r = global("bfd_priority 1\nbfd_rt_priority 1\n");
    EXPECT_EQ(r.config.unsupported_keywords,
              (std::vector<std::string>{"bfd_priority", "bfd_rt_priority"}));
}

TEST(LvsFlush, FlagsAndForms) {
    EXPECT_FALSE(global("").config.lvs.flush_at_start);
    EXPECT_EQ(global("").config.lvs.flush_on_stop, ipvs::FlushOnStop::none);
    auto r = global("lvs_flush\nlvs_flush_on_stop\n");
    ASSERT_TRUE(r.ok()) << all(r);
    EXPECT_TRUE(r.config.lvs.flush_at_start);
    EXPECT_EQ(r.config.lvs.flush_on_stop, ipvs::FlushOnStop::all);
    EXPECT_EQ(global("lvs_flush_on_stop VS\n").config.lvs.flush_on_stop,
              ipvs::FlushOnStop::services);
    // keepalived 2.2.7 takes no other word (not ALL, all, none, vs) and keeps what it had.
    for (const char* bad : {"ALL", "all", "none", "vs", "off"}) {
        auto b = global(std::string("lvs_flush_on_stop VS\nlvs_flush_on_stop ") + bad + "\n");
        EXPECT_TRUE(find(b, std::string("Unknown lvs_flush_on_stop type ") + bad)) << all(b);
        EXPECT_EQ(b.config.lvs.flush_on_stop, ipvs::FlushOnStop::services) << bad;
    }
}

}  // namespace
}  // namespace vigil::config
