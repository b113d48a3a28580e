#include <gtest/gtest.h>

#include "snapshot_render.hpp"

namespace {

using vigil::Snapshot;

Snapshot sample() {
    Snapshot s;
    s.daemon.pid = 42;
    s.daemon.reloads = 3;
    s.daemon.reloads_refused = 1;
    s.daemon.notify_scripts = vigil::NotifyScriptsView{};
    vigil::InstanceView i;
    i.status.name = "VI_1";
    i.status.interface = "eth0";
    i.status.vrid = 51;
    i.status.state = vigil::vrrp::State::master;
    i.status.effective_priority = 150;
    i.status.drops["auth"] = 4;
    i.vips = {"10.0.0.10"};
    s.daemon.notify_scripts->timed_out = 2;
    s.instances.push_back(i);
    s.vrrp_drops["bad_checksum"] = 7;

    vigil::VirtualServerView vs;
    vs.name = "10.0.0.10:80";
    vs.quorum_up = true;
    vigil::RealServerView up{.address = "10.0.1.11:80",
                             .alive = true,
                             .weight = 2,
                             .weight_now = 2,
                             .admin = vigil::ipvs::Admin::enabled,
                             .checks = {}};
    vigil::RealServerView down = up;
    down.address = "10.0.1.12:80";
    down.alive = false;
    down.weight_now = -1;
    vigil::CheckView c;
    c.last = "connection refused";
    down.checks.push_back(c);
    vigil::CheckView b;
    b.bfd = true;
    b.name = "to-rs2";
    down.checks.push_back(b);
    vs.real_servers = {up, down};
    s.virtual_servers.push_back(vs);
    s.data_plane.emplace();
    s.data_plane->backend = "nftables";
    s.data_plane->running = true;
    s.data_plane->counters.apply_failures = 1;
    s.data_plane->counters.open_failures = 2;
    return s;
}

TEST(SnapshotRender, StatusDocument) {
    const auto j = vigil::status_document(sample());
    EXPECT_EQ(j["daemon"]["pid"], 42);
    const auto& i = j["vrrp"]["instances"][0];
    EXPECT_EQ(i["state"], "MASTER");
    EXPECT_EQ(i["vips"][0], "10.0.0.10");
    EXPECT_EQ(i["drops"]["auth"], 4);
    EXPECT_EQ(j["vrrp"]["drops"]["bad_checksum"], 7);
    const auto& rs = j["virtual_servers"][0]["real_servers"];
    EXPECT_EQ(rs[0]["in_pool"], true);
    EXPECT_EQ(rs[0]["why"], "checks passing");
    EXPECT_EQ(rs[1]["in_pool"], false);
    EXPECT_EQ(rs[1]["why"], "checks failing");
    EXPECT_EQ(rs[1]["checks"][0]["last"], "connection refused");
    EXPECT_EQ(rs[1]["checks"][1]["type"], "BFD_CHECK");
    EXPECT_TRUE(rs[1]["checks"][1]["state"].is_null());
    EXPECT_EQ(j["data_plane"]["backend"], "nftables");
    EXPECT_FALSE(j.contains("lvs_sync_daemon"));
    EXPECT_FALSE(j.contains("bfd"));
}

TEST(SnapshotRender, StatusTextIsCompactSortedJsonWithEveryVirtualServer) {
    auto snap = sample();
    // A name spelling the list's place holder stays a name.
    auto second = snap.virtual_servers[0];
    second.name = "\"virtual_servers\":null";
    snap.virtual_servers.push_back(second);
    snap.virtual_servers.push_back(snap.virtual_servers[0]);
    const auto text = vigil::status_text(snap);
    const auto j = nlohmann::json::parse(text);
    EXPECT_EQ(j.dump(), text);  // compact, keys in order: what a tree of it dumps
    ASSERT_EQ(j["virtual_servers"].size(), 3u);
    EXPECT_EQ(j["virtual_servers"][1]["name"], "\"virtual_servers\":null");
    EXPECT_EQ(j["virtual_servers"][2]["real_servers"][1]["checks"][0]["last"],
              "connection refused");
    snap.virtual_servers.clear();
    EXPECT_TRUE(nlohmann::json::parse(vigil::status_text(snap))["virtual_servers"].empty());
}

TEST(SnapshotRender, WhyFollowsAdminThenHealthThenSorry) {
    vigil::RealServerView rs{.address = "a",
                             .alive = true,
                             .weight = 1,
                             .weight_now = 1,
                             .admin = vigil::ipvs::Admin::draining,
                             .checks = {}};
    EXPECT_EQ(vigil::real_server_why(rs, false), "draining");
    rs.admin = vigil::ipvs::Admin::disabled;
    EXPECT_EQ(vigil::real_server_why(rs, false), "disabled by the operator");
    rs.admin = vigil::ipvs::Admin::enabled;
    EXPECT_EQ(vigil::real_server_why(rs, true), "sorry server in use");
    rs.weight_now = -1;
    EXPECT_EQ(vigil::real_server_why(rs, false), "not applied yet");
}

TEST(SnapshotRender, MetricsFromTheSameSnapshot) {
    const auto t = vigil::metrics_document(sample());
    EXPECT_NE(t.find("vigil_reloads_total{outcome=\"applied\"} 2\n"), std::string::npos) << t;
    EXPECT_NE(t.find("vigil_vrrp_state{vrrp_instance=\"VI_1\",state=\"MASTER\"} 1\n"),
              std::string::npos);
    EXPECT_NE(t.find("vigil_vrrp_state{vrrp_instance=\"VI_1\",state=\"BACKUP\"} 0\n"),
              std::string::npos);
    EXPECT_NE(t.find("vigil_vrrp_instance_info{vrrp_instance=\"VI_1\",vrid=\"51\","
                     "interface=\"eth0\"} 1\n"),
              std::string::npos);
    EXPECT_NE(t.find("vigil_vrrp_drops_total{vrrp_instance=\"VI_1\",reason=\"auth\"} 4\n"),
              std::string::npos);
    EXPECT_NE(t.find("vigil_vrrp_drops_total{vrrp_instance=\"\",reason=\"bad_checksum\"} 7\n"),
              std::string::npos);
    EXPECT_NE(t.find("vigil_real_server_up{vs=\"10.0.0.10:80\",rs=\"10.0.1.12:80\"} 0\n"),
              std::string::npos);
    EXPECT_NE(t.find("vigil_virtual_server_quorum{vs=\"10.0.0.10:80\"} 1\n"), std::string::npos);
    EXPECT_NE(t.find("vigil_lb_apply_failures_total 3\n"), std::string::npos);
    EXPECT_NE(t.find("vigil_notify_scripts_failed_total{reason=\"timed_out\"} 2\n"),
              std::string::npos);
    // Prometheus's own label is left to Prometheus.
    EXPECT_EQ(t.find("{instance="), std::string::npos);
}

}  // namespace
