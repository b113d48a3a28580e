#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "proc_scan.hpp"
#include "track.hpp"
#include "track_process.hpp"

namespace vigil::vrrp {
namespace {

using namespace std::chrono_literals;
using PM = TrackProcessConfig::ParamMatch;
using TP = ProcessQuorum::TimePoint;

ProcessEntry comm(std::string name, bool zombie = false) {
    return {0, std::move(name), {}, zombie};
}

ProcessEntry cmd(std::vector<std::string> argv) {
    ProcessEntry p;
    for (const auto& a : argv) {
        p.cmdline += a;
        p.cmdline += '\0';
    }
    return p;
}

TrackProcessConfig by_name(std::string name) {
    TrackProcessConfig c;
    c.process = std::move(name);
    return c;
}

TrackProcessConfig by_cmd(std::string name, std::vector<std::string> params = {},
                          PM match = PM::none) {
    TrackProcessConfig c;
    c.process = std::move(name);
    c.params = std::move(params);
    c.param_match = match;
    c.full_command = true;
    return c;
}

TEST(TrackProcess, CommIsComparedExactly) {
    const auto c = by_name("ssh");
    EXPECT_TRUE(process_matches(comm("ssh"), c));
    EXPECT_FALSE(process_matches(comm("sshd"), c));  // not pgrep's regular expression
    EXPECT_FALSE(process_matches(comm("ss"), c));
    EXPECT_FALSE(process_matches(comm("ssh", true), c));  // zombies are not running
    EXPECT_FALSE(process_matches(cmd({"ssh"}), c));       // the name, not the command line
}

TEST(TrackProcess, FullCommandComparesArgv0Only) {
    const auto c = by_cmd("/usr/bin/python3");
    EXPECT_TRUE(process_matches(cmd({"/usr/bin/python3"}), c));
    EXPECT_TRUE(process_matches(cmd({"/usr/bin/python3", "-c", "pass"}), c));
    EXPECT_FALSE(process_matches(cmd({"python3"}), c));
    EXPECT_FALSE(process_matches(cmd({"/usr/bin/python3.11"}), c));
    EXPECT_FALSE(process_matches(ProcessEntry{}, c));  // kernel threads: empty cmdline
}

TEST(TrackProcess, ExactParams) {
    const auto c = by_cmd("sleep", {"1000"}, PM::exact);
    EXPECT_TRUE(process_matches(cmd({"sleep", "1000"}), c));
    EXPECT_FALSE(process_matches(cmd({"sleep", "10000"}), c));
    EXPECT_FALSE(process_matches(cmd({"sleep", "100"}), c));
    EXPECT_FALSE(process_matches(cmd({"sleep", "1000", "x"}), c));
    EXPECT_FALSE(process_matches(cmd({"sleep"}), c));
}

TEST(TrackProcess, ExactWithoutParamsMeansNoParams) {
    const auto c = by_cmd("sleep", {}, PM::exact);
    EXPECT_TRUE(process_matches(cmd({"sleep"}), c));
    EXPECT_FALSE(process_matches(cmd({"sleep", "1"}), c));
}

TEST(TrackProcess, PartialParamsAreTheFirstOnes) {
    const auto c = by_cmd("nginx", {"-c", "/etc/a.conf"}, PM::partial);
    EXPECT_TRUE(process_matches(cmd({"nginx", "-c", "/etc/a.conf"}), c));
    EXPECT_TRUE(process_matches(cmd({"nginx", "-c", "/etc/a.conf", "-g", "x"}), c));
    EXPECT_FALSE(process_matches(cmd({"nginx", "-c", "/etc/a.conf2"}), c));
    EXPECT_FALSE(process_matches(cmd({"nginx", "-c"}), c));
    EXPECT_TRUE(process_matches(cmd({"nginx", "x"}), by_cmd("nginx", {}, PM::partial)));
}

TEST(TrackProcess, InitialLetsTheLastParamGoOn) {
    const auto c = by_cmd("nginx", {"-c", "/etc/a"}, PM::initial);
    EXPECT_TRUE(process_matches(cmd({"nginx", "-c", "/etc/a"}), c));
    EXPECT_TRUE(process_matches(cmd({"nginx", "-c", "/etc/a.conf"}), c));
    EXPECT_TRUE(process_matches(cmd({"nginx", "-c", "/etc/a", "more"}), c));
    EXPECT_FALSE(process_matches(cmd({"nginx", "-c", "/etc/b"}), c));
    EXPECT_FALSE(process_matches(cmd({"nginx", "-cx", "/etc/a"}), c));  // earlier ones exact
}

TEST(TrackProcess, CountsEveryMatch) {
    const std::vector<ProcessEntry> t{comm("haproxy"), comm("haproxy"), comm("bash"),
                                      comm("haproxy", true)};
    EXPECT_EQ(count_matching(t, by_name("haproxy")), 2u);
    EXPECT_EQ(count_matching(t, by_name("nginx")), 0u);
}

TEST(TrackProcess, CmdlineReadLimitShowsLongerLines) {
    const auto c = by_cmd("sleep", {"1000"}, PM::exact);
    const auto n = cmdline_bytes_needed(c);
    EXPECT_EQ(n, std::string("sleep\0"
                             "1000\0",
                             11)
                         .size() +
                     1);
    // A longer command line cut at the limit still differs from the wanted one.
    auto p = cmd({"sleep", "1000", "more"});
    p.cmdline.resize(n);
    EXPECT_FALSE(process_matches(p, c));
    EXPECT_EQ(cmdline_bytes_needed(by_name("x")), 0u);
}

TEST(TrackProcess, QuorumBounds) {
    auto c = by_name("x");
    EXPECT_FALSE(quorum_met(0, c));
    EXPECT_TRUE(quorum_met(1, c));
    EXPECT_TRUE(quorum_met(7, c));
    c.quorum = 2;
    c.quorum_max = 3;
    EXPECT_FALSE(quorum_met(1, c));
    EXPECT_TRUE(quorum_met(2, c));
    EXPECT_TRUE(quorum_met(3, c));
    EXPECT_FALSE(quorum_met(4, c));
    c.quorum = 0;  // quorum_max 0: good while nothing runs
    c.quorum_max = 0;
    EXPECT_TRUE(quorum_met(0, c));
    EXPECT_FALSE(quorum_met(1, c));
}

TEST(TrackProcess, NoDelayChangesAtOnce) {
    const auto c = by_name("x");
    ProcessQuorum q;
    q.initialise(1, c);
    EXPECT_TRUE(q.up());
    const TP t0{};
    EXPECT_FALSE(q.update(2, c, t0));  // still within the quorum
    EXPECT_TRUE(q.update(0, c, t0 + 1s));
    EXPECT_FALSE(q.up());
    EXPECT_EQ(q.count(), 0u);
    EXPECT_FALSE(q.due(c));
    EXPECT_TRUE(q.update(1, c, t0 + 2s));
    EXPECT_TRUE(q.up());
}

TEST(TrackProcess, StartupSetsStatusWithoutDelay) {
    auto c = by_name("x");
    c.fork_delay = 5s;
    ProcessQuorum q;
    q.initialise(1, c);
    EXPECT_TRUE(q.up());
    EXPECT_FALSE(q.due(c));
}

TEST(TrackProcess, TerminateDelayHoldsTheLoss) {
    auto c = by_name("x");
    c.terminate_delay = 2s;
    ProcessQuorum q;
    q.initialise(1, c);
    const TP t0{};
    EXPECT_FALSE(q.update(0, c, t0));
    EXPECT_TRUE(q.up());
    EXPECT_EQ(q.due(c), t0 + 2s);
    EXPECT_FALSE(q.update(0, c, t0 + 1999ms));
    EXPECT_TRUE(q.update(0, c, t0 + 2s));
    EXPECT_FALSE(q.up());
    EXPECT_FALSE(q.due(c));
}

TEST(TrackProcess, ComingBackWithinTheDelayCancelsIt) {
    auto c = by_name("x");
    c.terminate_delay = 2s;
    ProcessQuorum q;
    q.initialise(1, c);
    const TP t0{};
    EXPECT_FALSE(q.update(0, c, t0));
    EXPECT_FALSE(q.update(1, c, t0 + 1s));  // restarted: no change, no delay running
    EXPECT_FALSE(q.due(c));
    EXPECT_FALSE(q.update(0, c, t0 + 1500ms));  // a new loss starts a new delay
    EXPECT_EQ(q.due(c), t0 + 3500ms);
    EXPECT_FALSE(q.update(0, c, t0 + 3s));
    EXPECT_TRUE(q.update(0, c, t0 + 3500ms));
}

TEST(TrackProcess, ForkAndTerminateDelaysAreSeparate) {
    auto c = by_name("x");
    c.fork_delay = 3s;
    c.terminate_delay = 0s;
    ProcessQuorum q;
    q.initialise(1, c);
    const TP t0{};
    EXPECT_TRUE(q.update(0, c, t0));  // lost at once
    EXPECT_FALSE(q.update(1, c, t0 + 1s));
    EXPECT_EQ(q.due(c), t0 + 4s);
    EXPECT_FALSE(q.update(1, c, t0 + 3s));
    EXPECT_TRUE(q.update(1, c, t0 + 4s));
    EXPECT_TRUE(q.up());
}

// How an instance sees a process: weighted like a script's result; weight 0 is FAULT on loss,
// or on gain with reverse.
TEST(TrackProcess, WeightsThroughComputePriority) {
    auto p = [](int w, bool rev, bool up) {
        return compute_priority(100, {}, std::vector<TrackedScript>{{w, rev, up}}, {});
    };
    EXPECT_EQ(p(0, false, false), (Priority{100, true}));
    EXPECT_EQ(p(0, false, true), (Priority{100, false}));
    EXPECT_EQ(p(0, true, true), (Priority{100, true}));
    EXPECT_EQ(p(0, true, false), (Priority{100, false}));
    EXPECT_EQ(p(20, false, true).effective, 120);
    EXPECT_EQ(p(20, false, false).effective, 100);
    EXPECT_EQ(p(-20, false, false).effective, 80);
    EXPECT_EQ(p(20, true, true).effective, 80);
}

TEST(ProcScan, ReadsStatAndCmdline) {
    namespace fs = std::filesystem;
    const fs::path root = fs::temp_directory_path() / ("vigil_proc_" + std::to_string(::getpid()));
    fs::remove_all(root);
    auto put = [&](const std::string& pid, const std::string& stat, const std::string& cmdline) {
        fs::create_directories(root / pid);
        std::ofstream(root / pid / "stat") << stat;
        std::ofstream(root / pid / "cmdline", std::ios::binary) << cmdline;
    };
    put("1", "1 (init) S 0 1 1", std::string("/sbin/init\0", 11));
    put("42", "42 (we (ird) name) R 1 42", std::string("a\0b\0", 4));
    put("43", "43 (dead) Z 1 43", "");
    fs::create_directories(root / "self");  // not a pid
    fs::create_directories(root / "44");    // vanished: no files
    auto t = scan_processes({true, 64}, root.string());
    fs::remove_all(root);
    ASSERT_EQ(t.size(), 3u);
    std::sort(t.begin(), t.end(), [](const auto& a, const auto& b) { return a.comm < b.comm; });
    EXPECT_EQ(t[0].pid, 43);
    EXPECT_EQ(t[0].comm, "dead");
    EXPECT_TRUE(t[0].zombie);
    EXPECT_EQ(t[1].comm, "init");
    EXPECT_EQ(t[1].cmdline, std::string("/sbin/init\0", 11));
    EXPECT_FALSE(t[1].zombie);
    EXPECT_EQ(t[2].comm, "we (ird) name");
    EXPECT_EQ(t[2].cmdline, std::string("a\0b\0", 4));
}

TEST(ProcScan, SeesThisProcess) {
    const auto t = scan_processes({true, 4096});
    unsigned self = 0;
    for (const auto& p : t)
        if (p.comm == "vrrp_unit_tests" || p.comm.starts_with("vrrp_unit_test")) ++self;
    EXPECT_GE(self, 1u);
    EXPECT_GT(t.size(), 1u);
}

}  // namespace
}  // namespace vigil::vrrp
