// vrrp_track_process and track_process, with keepalived 2.2.7's verdicts under -t.
#include "helpers.hpp"

namespace vigil::config {
namespace {

using namespace std::chrono_literals;
using test::all;
using test::find;
using test::load;
using PM = vrrp::TrackProcessConfig::ParamMatch;

std::string conf(const std::string& block, const std::string& refs, const std::string& extra = "") {
    return block +
           "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n"
           "  virtual_ipaddress {\n    10.0.0.1/24\n  }\n  track_process {\n" +
           refs + "\n  }\n}\n" + extra;
}

TEST(TrackProcess, Fields) {
    auto r =
        load(conf(R"(vrrp_track_process p1 {
  process haproxy
  quorum 2
  quorum_max 4
  weight -20 reverse
  fork_delay 1.5
  terminate_delay 0.25
}
vrrp_track_process p2 {
  process "/usr/bin/python3" -m "http.server" 8000
  delay 2
}
vrrp_track_process p3 {
  process nginx -c
  param_match initial
}
vrrp_track_process p4 {
  process sshd
  full_command
  param_match
}
)",
                  "    p1\n    p2 weight 10\n    p3 weight 5 reverse\n    p4 weight -3 noreverse"));
    EXPECT_TRUE(r.ok()) << all(r);
    const auto& ps = r.config.vrrp.track_processes;
    ASSERT_EQ(ps.size(), 4u);
    EXPECT_EQ(ps[0].process, "haproxy");
    EXPECT_FALSE(ps[0].full_command);
    EXPECT_EQ(ps[0].param_match, PM::none);
    EXPECT_EQ(ps[0].quorum, 2u);
    EXPECT_EQ(ps[0].quorum_max, 4u);
    EXPECT_EQ(ps[0].weight, -20);
    EXPECT_TRUE(ps[0].weight_reverse);
    EXPECT_EQ(ps[0].fork_delay, 1500ms);
    EXPECT_EQ(ps[0].terminate_delay, 250ms);
    EXPECT_EQ(ps[1].process, "/usr/bin/python3");
    EXPECT_EQ(ps[1].params, (std::vector<std::string>{"-m", "http.server", "8000"}));
    EXPECT_EQ(ps[1].param_match, PM::exact);  // parameters imply an exact match
    EXPECT_TRUE(ps[1].full_command);
    EXPECT_EQ(ps[1].fork_delay, 2s);
    EXPECT_EQ(ps[1].terminate_delay, 2s);
    EXPECT_EQ(ps[1].weight, 0);
    EXPECT_EQ(ps[2].param_match, PM::initial);
    EXPECT_EQ(ps[3].param_match, PM::exact);
    EXPECT_TRUE(ps[3].full_command);

    const auto& refs = r.config.vrrp.instances[0].track_processes;
    ASSERT_EQ(refs.size(), 4u);
    EXPECT_EQ(refs[0].weight, -20);  // the block's weight and direction
    EXPECT_TRUE(refs[0].reverse);
    EXPECT_EQ(refs[1].weight, 10);
    EXPECT_FALSE(refs[1].reverse);
    EXPECT_TRUE(refs[2].reverse);
    EXPECT_EQ(refs[3].weight, -3);
    EXPECT_FALSE(refs[3].reverse);
}

TEST(TrackProcess, QuorumMaxZeroMeansMustNotRun) {
    auto r = load(conf("vrrp_track_process p1 {\n  process x\n  quorum_max 0\n}\n", "    p1"));
    EXPECT_TRUE(r.ok()) << all(r);
    EXPECT_EQ(r.config.vrrp.track_processes[0].quorum, 0u);
    EXPECT_EQ(r.config.vrrp.track_processes[0].quorum_max, 0u);
}

struct Bad {
    std::string block, refs, message;
};

// Each is an error under keepalived -t (exit 5); the value is ignored and the rest applies.
TEST(TrackProcess, KeepalivedErrors) {
    const std::vector<Bad> cases{
        {"vrrp_track_process p1 {\n  process x\n}\n", "    nosuch",
         "(VI_1) track process nosuch not found, ignoring..."},
        {"vrrp_track_process p1 {\n  process x\n  quorum 0\n}\n", "    p1",
         "Quorum (0) for vrrp_track_process p1 must be between [1..65535] inclusive. Ignoring..."},
        {"vrrp_track_process p1 {\n  process x\n  quorum 3\n  quorum_max 2\n}\n", "    p1",
         "quorum_max is less than quorum - ignoring"},
        {"vrrp_track_process p1 {\n  process x\n  quorum_max 2\n  quorum 3\n}\n", "    p1",
         "Quorum is greater than quorum_max - ignoring"},
        {"vrrp_track_process p1 {\n  process x\n  weight 300\n}\n", "    p1",
         "Weight (300) for vrrp_track_process p1 must be between [-254..254] inclusive. "
         "Ignoring..."},
        {"vrrp_track_process p1 {\n  process x\n}\n", "    p1 weight 255",
         "(VI_1) weight for track process p1 must be in [-254..254] inclusive. Ignoring..."},
        {"vrrp_track_process p1 {\n  process x\n  param_match exact\n}\n", "    p1",
         "Invalid param_match type exact - ignoring"},
        {"vrrp_track_process p1 {\n  weight 10\n}\n", "    p1",
         "track process 'p1' process name not specified"},
        {"vrrp_track_process p1 {\n  process x\n  delay 0\n}\n", "    p1",
         "delay (0) for vrrp_track_process p1 must be between [0.000001..3600] inclusive."},
        {"vrrp_track_process p1 {\n  process x\n  fork_delay 4000\n}\n", "    p1",
         "fork_delay (4000) for vrrp_track_process p1 must be between"},
        {"vrrp_track_process p1 {\n  process x\n  weight 10 foo\n}\n", "    p1",
         "vrrp_track_process p1 unknown weight option foo"},
        {"vrrp_track_process p1 {\n  process x\n}\n", "    p1 weight 10 bar",
         "(VI_1) unknown track_process p1 weight option bar - ignoring"},
        {"vrrp_track_process p1 {\n  process x\n}\n", "    p1\n    p1",
         "(VI_1) duplicate track_process p1 - ignoring"},
    };
    for (const auto& b : cases) {
        auto r = load(conf(b.block, b.refs));
        EXPECT_FALSE(r.ok()) << b.message;
        const auto* d = find(r, b.message);
        ASSERT_NE(d, nullptr) << b.message << "\n" << all(r);
        EXPECT_EQ(d->severity, Severity::error);
        EXPECT_TRUE(r.startable()) << b.message;
    }
}

TEST(TrackProcess, BadValuesKeepTheDefault) {
    auto r =
        load(conf("vrrp_track_process p1 {\n  process x\n  quorum 0\n  weight 300\n}\n", "    p1"));
    ASSERT_EQ(r.config.vrrp.track_processes.size(), 1u);
    EXPECT_EQ(r.config.vrrp.track_processes[0].quorum, 1u);
    EXPECT_EQ(r.config.vrrp.track_processes[0].weight, 0);
    ASSERT_EQ(r.config.vrrp.instances[0].track_processes.size(), 1u);
}

TEST(TrackProcess, MustBeDefinedBeforeUse) {
    // keepalived resolves the name where the instance names it.
    auto r = load(conf("", "    p1", "vrrp_track_process p1 {\n  process x\n}\n"));
    EXPECT_NE(find(r, "(VI_1) track process p1 not found, ignoring..."), nullptr) << all(r);
    EXPECT_TRUE(r.config.vrrp.instances[0].track_processes.empty());
}

TEST(TrackProcess, LongCommOnlyWarns) {
    auto r = load(conf("vrrp_track_process p1 {\n  process averyveryverylongname\n}\n", "    p1"));
    EXPECT_TRUE(r.ok()) << all(r);
    EXPECT_NE(find(r, "longer than the 15 characters"), nullptr);
}

const char* kGroup = R"(vrrp_track_process p1 {
  process x
  weight 10
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress {
    10.0.0.1/24
  }
  track_process {
    p1
  }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  virtual_ipaddress {
    10.0.0.2/24
  }
}
vrrp_sync_group G {
  group {
    VI_1
    VI_2
  }
  track_process {
    p1 weight 5
  }
)";

TEST(TrackProcess, SyncGroupMembersLoseWeights) {
    auto r = load(std::string(kGroup) + "}\n");
    EXPECT_TRUE(r.ok()) << all(r);
    const auto& in = r.config.vrrp.instances[0];
    ASSERT_EQ(in.track_processes.size(), 1u);
    EXPECT_EQ(in.track_processes[0].weight, 0);  // lost quorum: FAULT
    ASSERT_EQ(r.config.vrrp.sync_groups[0].track_processes.size(), 1u);
    EXPECT_EQ(r.config.vrrp.sync_groups[0].track_processes[0].weight, 0);
    const auto* d = find(r, "(VI_1) ignoring weight of tracked process p1 due to SYNC group");
    ASSERT_NE(d, nullptr) << all(r);
    EXPECT_EQ(d->severity, Severity::warning);
}

TEST(TrackProcess, SyncGroupTrackingWeightKeepsThem) {
    auto r = load(std::string(kGroup) + "  sync_group_tracking_weight\n}\n");
    EXPECT_TRUE(r.ok()) << all(r);
    EXPECT_EQ(r.config.vrrp.instances[0].track_processes[0].weight, 10);
    EXPECT_EQ(r.config.vrrp.sync_groups[0].track_processes[0].weight, 5);
}

}  // namespace
}  // namespace vigil::config
