// Configuration of the VRRP module: plain values filled by the daemon's config parser.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vigil::vrrp {

using Address = boost::asio::ip::address;
using Duration = std::chrono::microseconds;

// A command line as keepalived splits it (first word is the program).
struct Command {
    std::vector<std::string> argv;
    std::string user;   // empty: the global script_user
    std::string group;  // empty: the user's group
    bool empty() const { return argv.empty(); }
    bool operator==(const Command&) const = default;
};

struct VirtualAddress {
    Address address;
    std::uint8_t prefix_len = 32;      // 32 or 128 when not given
    std::optional<Address> broadcast;  // "brd"
    std::string dev;                   // empty: the instance's interface
    std::string label;
    std::string scope;  // "global", "host", "link", "site", "nowhere" or a number; empty: default
    bool no_track = false;
    bool operator==(const VirtualAddress&) const = default;
};

struct VirtualRoute {
    enum class Type { unicast, blackhole, unreachable, prohibit, throw_ };
    Address destination;  // "default" is the family's any-address with prefix 0
    std::uint8_t prefix_len = 32;
    std::optional<Address> source;
    std::optional<Address> gateway;  // "via" / "gw"
    std::string dev;
    std::optional<std::uint32_t> metric;
    std::optional<std::uint32_t> table;
    std::string scope;
    Type type = Type::unicast;
    bool no_track = false;
    bool operator==(const VirtualRoute&) const = default;
};

struct TrackInterface {
    std::string name;
    int weight = 0;  // 0: link down puts the instance in FAULT
    bool operator==(const TrackInterface&) const = default;
};

// A reference from an instance or sync group to a vrrp_script / vrrp_track_file /
// vrrp_track_process.
struct TrackRef {
    std::string name;
    std::optional<int> weight;  // overrides the script's own weight
    bool reverse = false;
    bool operator==(const TrackRef&) const = default;
};

struct ScriptConfig {  // vrrp_script
    std::string name;
    Command command;
    Duration interval = std::chrono::seconds(1);
    Duration timeout{0};  // 0: the interval
    int weight = 0;
    bool weight_reverse = false;
    int rise = 1;
    int fall = 1;
    bool init_fail = false;
    bool operator==(const ScriptConfig&) const = default;
};

struct TrackFileConfig {  // vrrp_track_file
    std::string name;
    std::string path;
    int weight = 1;
    bool weight_reverse = false;
    std::optional<int> init_file;  // value written at start if the file is missing
    bool operator==(const TrackFileConfig&) const = default;
};

struct TrackProcessConfig {  // vrrp_track_process
    enum class ParamMatch { none, exact, partial, initial };
    std::string name;
    std::string process;              // the comm, or argv[0] with full_command
    std::vector<std::string> params;  // argv[1..] to compare, per param_match
    ParamMatch param_match = ParamMatch::none;
    bool full_command = false;  // match /proc/PID/cmdline rather than the comm
    unsigned quorum = 1;        // 0 only with quorum_max 0: "not running" is the good state
    unsigned quorum_max = 4294967295U;
    int weight = 0;  // 0: losing the quorum means FAULT
    bool weight_reverse = false;
    Duration fork_delay{0};       // before a gained quorum counts
    Duration terminate_delay{0};  // before a lost quorum counts
    bool operator==(const TrackProcessConfig&) const = default;
};

struct NotifyConfig {
    Command master, backup, fault, stop, generic /* "notify" */, master_rx_lower_pri;
    // notify_priority_changes: priority lines on the notify FIFOs; unset: the global default.
    std::optional<bool> priority_changes;
    bool operator==(const NotifyConfig&) const = default;
};

struct GarpConfig {
    Duration master_delay = std::chrono::seconds(5);
    unsigned master_repeat = 5;
    Duration master_refresh{0};  // 0: no periodic refresh
    unsigned master_refresh_repeat = 1;
    std::optional<Duration> lower_prio_delay;
    std::optional<unsigned> lower_prio_repeat;
    Duration interval{0};     // gap between gratuitous ARPs of one burst
    Duration na_interval{0};  // gap between unsolicited NAs of one burst
    bool operator==(const GarpConfig&) const = default;
};

struct InstanceConfig {
    enum class InitialState { backup, master };
    enum class Auth { none, pass, ah };

    std::string name;
    std::string file;  // where it was defined, for messages
    unsigned line = 0;

    InitialState state = InitialState::backup;
    std::string interface;
    std::uint8_t vrid = 0;
    std::uint8_t priority = 100;
    Duration advert_interval = std::chrono::seconds(1);
    int version = 2;    // 2 or 3
    bool ipv6 = false;  // family of the VIPs (and of the adverts)
    bool preempt = true;
    Duration preempt_delay{0};
    Auth auth = Auth::none;
    std::string auth_pass;  // at most 8 bytes

    std::optional<Address> mcast_group;  // empty: 224.0.0.18 / ff02::12
    std::optional<Address> mcast_src;    // "mcast_src_ip"
    std::optional<Address> unicast_src;  // "unicast_src_ip"
    std::vector<Address> unicast_peers;
    std::uint8_t unicast_ttl = 255;

    std::vector<VirtualAddress> vips;
    std::vector<VirtualAddress> excluded_vips;
    std::vector<VirtualRoute> routes;

    std::vector<TrackInterface> track_interfaces;
    std::vector<TrackRef> track_scripts;
    std::vector<TrackRef> track_files;
    std::vector<TrackRef> track_processes;
    bool dont_track_primary = false;

    NotifyConfig notify;
    bool smtp_alert = false;
    GarpConfig garp;

    bool use_vmac = false;
    std::string vmac_name;  // empty: vrrp.<vrid>
    bool vmac_xmit_base = false;
    bool accept = false;
    bool strict = false;
    bool skip_check_adv_addr = false;
    std::string sync_group;  // name of the vrrp_sync_group it belongs to, if any
    bool operator==(const InstanceConfig&) const = default;
};

struct SyncGroupConfig {
    std::string name;
    std::vector<std::string> instances;
    std::vector<TrackRef> track_scripts;
    std::vector<TrackInterface> track_interfaces;
    std::vector<TrackRef> track_files;
    std::vector<TrackRef> track_processes;
    NotifyConfig notify;
    bool smtp_alert = false;
    bool tracking_weight = false;  // sync_group_tracking_weight: members keep their weights
    bool operator==(const SyncGroupConfig&) const = default;
};

struct Config {
    std::vector<InstanceConfig> instances;
    std::vector<SyncGroupConfig> sync_groups;
    std::vector<ScriptConfig> scripts;
    std::vector<TrackFileConfig> track_files;
    std::vector<TrackProcessConfig> track_processes;
    Duration startup_delay{0};
    // vrrp_strict without accept: the nftables table (family inet) that blocks the VIPs of
    // masters. One per daemon: derive it from the pid file when several run on one host.
    std::string nft_table = "vigil_vrrp";
};

}  // namespace vigil::vrrp
