// What the daemon is doing, taken once per status request or scrape: the one typed view the
// status JSON and the Prometheus text are both rendered from (snapshot_render).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lvs_sync.hpp"
#include "notify_fifo.hpp"
#include "vigil/ipvs/director.hpp"
#include "vigil/vrrp/engine.hpp"

namespace vigil {

struct NotifyScriptsView {
    std::size_t running = 0, waiting = 0;
    std::uint64_t queued = 0, finished = 0, timed_out = 0, abandoned = 0, dropped = 0, refused = 0;
};

struct DaemonView {
    long pid = 0;
    std::string config_file;
    std::int64_t uptime_s = 0;
    std::uint64_t reloads = 0, reloads_refused = 0;
    std::size_t scripts_running = 0;
    std::optional<NotifyScriptsView> notify_scripts;  // absent before the runner exists
    std::vector<std::string> unsupported_keywords;
    std::map<std::string, std::uint64_t> handler_failures;
    std::uint64_t rss_kib = 0, anon_kib = 0;
};

struct InstanceView {
    vrrp::InstanceStatus status;
    std::vector<std::string> vips;
    double since_transition_s = 0;
};

struct CheckView {
    bool bfd = false;  // a BFD_CHECK: name and state; otherwise a checker's last result
    std::string name;
    std::optional<std::string> state;  // BFD session state, absent while unknown
    bool up = false;
    std::string last;
    std::int64_t latency_us = 0;
    std::uint64_t probes = 0;
    bool suspended = false;
};

struct RealServerView {
    std::string address;
    bool alive = false;
    int weight = 0;
    int weight_now = -1;  // what the data plane holds now; -1: absent
    ipvs::Admin admin = ipvs::Admin::enabled;
    std::vector<CheckView> checks;
};

struct VirtualServerView {
    std::string name;
    bool quorum_up = false;
    bool sorry_active = false;
    std::vector<RealServerView> real_servers;
};

struct OverrideView {
    ipvs::Override override;
    std::optional<std::int64_t> deadline_s;  // draining: seconds left
};

struct DataPlaneView {
    std::string backend;
    bool running = false;
    ipvs::DirectorCounters counters;
    std::vector<std::string> refused;
    std::string last_error;
    std::vector<OverrideView> overrides;
};

struct SyncGroupView {
    std::string name, state;
    std::vector<std::string> instances;
};

struct FifoView {
    std::string kind, path;
    bool connected = false;
    long script_pid = 0;
    FifoCounters counters;
};

struct Snapshot {
    DaemonView daemon;
    std::vector<InstanceView> instances;
    std::vector<vrrp::TrackProcessStatus> track_processes;
    std::map<std::string, std::uint64_t> vrrp_drops;  // not blamed on any instance
    std::vector<VirtualServerView> virtual_servers;
    std::optional<DataPlaneView> data_plane;  // absent without virtual servers
    std::vector<SyncGroupView> sync_groups;
    std::optional<LvsSyncStatus> lvs_sync;
    std::vector<FifoView> fifos;
    std::optional<nlohmann::json> bfd;  // BfdLink's own status document
};

// Why a real server is in the pool or not, in the operator's words.
std::string real_server_why(const RealServerView& rs, bool sorry_active);

}  // namespace vigil
