// Configuration of the VRRP module: plain values filled by the daemon's config parser.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "vigil/common/boxed.hpp"

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
    std::uint8_t prefix_len = 32;     // 32 or 128 when not given
    HeapOptional<Address> broadcast;  // "brd"
    HeapOptional<Address> peer;       // point-to-point peer; prefix_len is the peer's
    std::string dev;                  // empty: the instance's interface
    std::string label;
    std::string scope;  // "global", "host", "link", "site", "nowhere" or a number; empty: default
    bool no_track = false;
    bool home = false;           // IPv6 home address (IFA_F_HOMEADDRESS)
    bool nodad = false;          // IPv6 always skips DAD; said explicitly here
    bool mngtmpaddr = false;     // IFA_F_MANAGETEMPADDR
    bool noprefixroute = false;  // IFA_F_NOPREFIXROUTE
    bool autojoin = false;       // IFA_F_MCAUTOJOIN
    bool use_vmac = false;       // on a VMAC of its own dev (as use_vmac_addr does)
    // Lifetimes in seconds; empty: forever, except IPv6 /128 whose preferred_lft is 0
    // (deprecated), as keepalived. kForever is "forever" said explicitly.
    std::optional<std::uint32_t> preferred_lft;
    std::optional<std::uint32_t> valid_lft;
    std::optional<std::uint32_t> metric;  // of the kernel's prefix route
    static constexpr std::uint32_t kForever = 0xffffffff;
    bool operator==(const VirtualAddress&) const = default;
};

// Per-route TCP metrics (`ip route ... mtu 1400 advmss 1360`); times in milliseconds.
struct RouteMetrics {
    std::optional<std::uint32_t> mtu, advmss, hoplimit, window, rtt, rttvar, ssthresh, cwnd,
        initcwnd, initrwnd, reordering, rto_min, quickack, fastopen_no_cookie, features;
    std::uint32_t locked = 0;  // bit (1 << RTAX_x) for each metric preceded by "lock"
    bool operator==(const RouteMetrics&) const = default;
};

struct NextHop {
    std::optional<Address> gateway;
    std::string dev;
    std::uint16_t weight = 1;  // 1-256
    bool onlink = false;
    std::optional<std::uint32_t> realms;
    bool operator==(const NextHop&) const = default;
};

struct VirtualRoute {
    enum class Type {
        unicast,
        blackhole,
        unreachable,
        prohibit,
        throw_,
        local,
        broadcast,
        anycast,
        multicast
    };
    Address destination;  // "default" is the family's any-address with prefix 0
    std::uint8_t prefix_len = 32;
    std::optional<Address> source;  // "src": the preferred source
    std::optional<Address> from;    // "from ADDR/LEN": IPv6 source routing
    std::uint8_t from_len = 0;
    std::optional<Address> gateway;     // "via" / "gw"
    std::optional<Address> or_gateway;  // "or": a second path through the same device
    std::string dev;
    std::optional<std::uint32_t> metric;  // "metric" / "priority" / "preference"
    std::optional<std::uint32_t> table;
    std::string scope;
    std::optional<std::uint8_t> protocol;  // empty: keepalived's (18)
    std::optional<std::uint8_t> tos;
    std::optional<std::uint32_t> realms;  // (FROM << 16) | TO
    std::optional<std::uint8_t> pref;     // IPv6 router preference: 0 medium, 1 high, 3 low
    bool onlink = false;
    bool append = false;  // after matching routes instead of before
    RouteMetrics metrics;
    std::vector<NextHop> nexthops;  // multipath; then gateway and dev are unused
    Type type = Type::unicast;
    bool no_track = false;
    bool operator==(const VirtualRoute&) const = default;
};

// A policy routing rule, as `ip rule add` takes it.
struct VirtualRule {
    enum class Action { table, goto_, nop, blackhole, unreachable, prohibit };
    bool ipv6 = false;    // from the addresses, else "inet6"
    bool invert = false;  // "not"
    std::optional<Address> from;
    std::uint8_t from_len = 0;
    std::optional<Address> to;
    std::uint8_t to_len = 0;
    std::optional<std::uint32_t> priority;  // the parser fills keepalived's default
    Action action = Action::table;
    std::uint32_t table = 254;  // main
    std::uint32_t goto_target = 0;
    std::optional<std::uint32_t> fwmark;
    std::optional<std::uint32_t> fwmask;
    std::string iif, oif;
    std::optional<std::uint8_t> tos;
    bool l3mdev = false;
    std::optional<std::pair<std::uint32_t, std::uint32_t>> uidrange;
    std::optional<std::pair<std::uint16_t, std::uint16_t>> sport, dport;
    std::optional<std::uint8_t> ipproto;
    std::optional<std::uint32_t> suppress_prefixlength;
    std::optional<std::uint32_t> suppress_ifgroup;
    std::optional<std::uint32_t> realms;
    std::optional<std::uint8_t> protocol;  // empty: keepalived's (18)
    bool no_track = false;
    bool operator==(const VirtualRule&) const = default;
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
    // garp_extra_if: periodic announcements, while master, of the VIPs on other interfaces
    // than the instance's (0: off); extra_if_all: on every such interface, else VMACs only.
    Duration extra_if{0};
    bool extra_if_all = false;
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
    std::vector<VirtualRule> rules;

    std::vector<TrackInterface> track_interfaces;
    std::vector<TrackRef> track_scripts;
    std::vector<TrackRef> track_files;
    std::vector<TrackRef> track_processes;
    std::vector<TrackRef> track_bfds;  // weights resolved; 0: not Up means FAULT
    bool dont_track_primary = false;

    Boxed<NotifyConfig> notify;  // most instances have no notify script
    bool smtp_alert = false;
    GarpConfig garp;

    bool use_vmac = false;
    // use_ipvlan [NAME] [ADDRESS[/LEN]] [bridge|private|vepa]: an L2 ipvlan carrying the VIPs,
    // its address the source of the adverts.
    enum class IpvlanMode { bridge, private_, vepa };
    bool use_ipvlan = false;
    std::string ipvlan_name;  // empty: vrrp.<vrid> (or vmac_prefix.<vrid>)
    HeapOptional<VirtualAddress> ipvlan_address;
    IpvlanMode ipvlan_mode = IpvlanMode::bridge;
    bool promote_secondaries = false;    // net.ipv4.conf.IFACE.promote_secondaries=1 while running
    bool check_unicast_src = false;      // unicast adverts only from unicast_peer addresses
    bool unicast_fault_no_peer = false;  // unicast without peers is FAULT, not multicast
    bool track_src_ip = false;           // FAULT while the configured source address is not local
    std::string vmac_name;               // empty: vrrp.<vrid>
    bool vmac_xmit_base = false;
    // use_vmac_addr: VIPs on another interface than the instance's, or of the other family, go
    // on a VMAC on that interface, named PREFIX.VRID (IPv6: PREFIX6.VRID).
    bool use_vmac_addr = false;
    std::string vmac_addr_prefix = "vrrp";  // vmac_addr_prefix, else vmac_prefix
    bool accept = false;
    bool strict = false;
    bool skip_check_adv_addr = false;
    int down_timer_adverts = 3;
    bool lower_prio_no_advert = false;  // default: true under strict_mode / vrrp_strict
    bool higher_prio_send_advert = false;
    std::string sync_group;  // name of the vrrp_sync_group it belongs to, if any
    bool operator==(const InstanceConfig&) const = default;
};

// garp_group: announcement spacing shared by the interfaces it names.
struct GarpGroupConfig {
    std::vector<std::string> interfaces;
    Duration garp_interval{0};
    Duration gna_interval{0};
    bool operator==(const GarpGroupConfig&) const = default;
};

struct SyncGroupConfig {
    std::string name;
    std::vector<std::string> instances;
    std::vector<TrackRef> track_scripts;
    std::vector<TrackInterface> track_interfaces;
    std::vector<TrackRef> track_files;
    std::vector<TrackRef> track_processes;
    std::vector<TrackRef> track_bfds;
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
    // static_ipaddress, static_routes, static_rules: present while the daemon runs.
    std::vector<VirtualAddress> static_addresses;
    std::vector<VirtualRoute> static_routes;
    std::vector<VirtualRule> static_rules;
    // vrrp_strict without accept: the nftables table (family inet) that blocks the VIPs of
    // masters. One per daemon: derive it from the pid file when several run on one host.
    std::string nft_table = "vigil_vrrp";
    std::vector<GarpGroupConfig> garp_groups;
    // dynamic_interfaces: interfaces may be missing at start, deleted and re-created.
    bool dynamic_interfaces = false;
};

}  // namespace vigil::vrrp
