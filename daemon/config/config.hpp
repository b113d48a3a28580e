// The whole parsed configuration, and the entry points that read it.
#pragma once

#include <vigil/bfd/config.hpp>
#include <vigil/checkers/config.hpp>
#include <vigil/ipvs/config.hpp>
#include <vigil/ipvs/sync_daemon.hpp>
#include <vigil/vrrp/config.hpp>

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::config {

class Host;

using Address = boost::asio::ip::address;

// notify_fifo FILE [user [group]] with its *_fifo_script CMD [user [group]].
struct NotifyFifoConfig {
    std::string path;                 // empty: none
    std::string user, group;          // owner of the FIFO when Vigil creates it
    std::vector<std::string> script;  // the FIFO path is appended when it starts
    std::string script_user, script_group;
    bool operator==(const NotifyFifoConfig&) const = default;
};

// keepalived's vrrp_* / checker_* process keywords: how its child process is scheduled.
struct ProcessTuning {
    std::optional<int> nice;                     // *_priority, -20..19
    std::optional<int> rt_priority;              // *_rt_priority, 1..99: SCHED_RR
    std::vector<int> cpu_affinity;               // *_cpu_affinity; empty: unchanged
    bool no_swap = false;                        // *_no_swap: mlockall
    std::optional<std::uint32_t> rlimit_rttime;  // *_rlimit_rttime, microseconds
    bool operator==(const ProcessTuning&) const = default;
};

struct GlobalConfig {
    int vrrp_version = 2;
    bool vrrp_strict = false;
    std::optional<Address> vrrp_mcast_group4;
    std::optional<Address> vrrp_mcast_group6;
    bool vrrp_skip_check_adv_addr = false;
    std::uint8_t vrrp_garp_master_repeat = 5;
    std::chrono::microseconds vrrp_garp_master_delay = std::chrono::seconds(5);
    std::chrono::microseconds vrrp_garp_master_refresh{0};
    unsigned vrrp_garp_master_refresh_repeat = 1;
    std::optional<std::chrono::microseconds> vrrp_garp_lower_prio_delay;
    std::optional<unsigned> vrrp_garp_lower_prio_repeat;
    std::chrono::microseconds vrrp_garp_interval{0};
    std::chrono::microseconds vrrp_gna_interval{0};
    std::chrono::microseconds vrrp_startup_delay{0};
    std::string router_id;                   // empty: the host name
    std::string default_interface = "eth0";  // of static_ipaddress lines without dev
    std::vector<std::string> notification_email;
    std::string notification_email_from;
    std::optional<Address> smtp_server;
    std::string smtp_server_name;  // smtp_server given as a host name (resolve it off the loop)
    std::uint16_t smtp_port = 25;
    std::string smtp_helo_name;
    std::chrono::microseconds smtp_connect_timeout = std::chrono::seconds(30);
    bool smtp_alert = false;
    std::optional<bool> smtp_alert_vrrp;
    std::optional<bool> smtp_alert_checker;
    std::string script_user;
    std::string script_group;
    bool enable_script_security = false;
    // Vigil's own: a notify script still running after this is killed with its process group.
    std::chrono::microseconds notify_timeout = std::chrono::seconds(10);
    NotifyFifoConfig notify_fifo;                // VRRP and LVS lines
    NotifyFifoConfig vrrp_notify_fifo;           // VRRP lines only
    NotifyFifoConfig lvs_notify_fifo;            // checker (VS/RS) lines only
    bool vrrp_notify_priority_changes = false;   // default of notify_priority_changes
    std::string status_socket;                   // empty: derived from the pid file
    std::optional<unsigned> status_socket_mode;  // chmod of the socket; unset: as umask leaves it
    std::string status_socket_group;             // chgrp of the socket: who may read the state
    std::string metrics_listen;                  // "ADDR:PORT"; empty: off
    std::string data_file;                       // SIGUSR1 dump; empty: derived
    std::string stats_file;                      // SIGUSR2 dump; empty: derived
    std::string tmp_dir;                         // for the dumps
    checkers::TlsClientConfig tls;  // the top-level SSL { ca certificate key password } block
    bool checker_log_all_failures = false;  // default of each checker's log_all_failures
    std::string net_namespace;              // run inside /run/netns/NAME
    bool no_email_faults = false;           // no SMTP alert on entering FAULT
    int vrrp_down_timer_adverts = 3;
    bool fifo_write_vrrp_states_on_reload = false;  // every instance's state line after a reload
    std::string vmac_prefix;       // use_vmac without a name: PREFIX.VRID (keepalived: "vrrp")
    std::string vmac_addr_prefix;  // use_vmac_addr's VMACs; empty: vmac_prefix
    std::optional<bool> vrrp_lower_prio_no_advert;  // unset: as the instance's strict mode
    bool vrrp_higher_prio_send_advert = false;
    bool vrrp_check_unicast_src = false;              // default of check_unicast_src
    std::chrono::microseconds vrrp_garp_extra_if{0};  // default of garp_extra_if (0: off)
    bool vrrp_garp_extra_if_all = false;
    bool dynamic_interfaces = false;  // missing interfaces are no error; followed as they come
    bool allow_if_changes = false;
    bool no_checker_emails = false;  // real-server alerts only on add/remove
    std::optional<unsigned> umask;   // for files the daemon creates
    // Run once before anything starts and once after everything stopped, bounded in time.
    struct Script {
        std::vector<std::string> argv;
        std::string user, group;
        std::chrono::microseconds timeout = std::chrono::seconds(10);
        bool operator==(const Script&) const = default;
    };
    Script startup_script, shutdown_script;
    // lvs_sync_daemon IFACE INSTANCE [id N] [maxlen N] [port N] [ttl N] [group ADDR]: the kernel's
    // sync daemon follows the instance (master while it is MASTER, else backup).
    struct LvsSyncDaemon {
        ipvs::SyncDaemonConfig daemon;  // sync_id defaults to the instance's VRID
        std::string instance;
        bool operator==(const LvsSyncDaemon&) const = default;
    };
    std::optional<LvsSyncDaemon> lvs_sync_daemon;
    ProcessTuning vrrp_process, checker_process;
};

// A checker bound to the real server it watches: indices into ipvs::Config.
struct CheckBinding {
    std::size_t virtual_server = 0;
    std::size_t real_server = 0;  // == real_servers.size(): the sorry server
    checkers::CheckConfig check;
};

// BFD_CHECK: the real server is alive only while the named BFD session is Up.
struct BfdCheckBinding {
    std::size_t virtual_server = 0;
    std::size_t real_server = 0;
    std::string session;
};

struct Config {
    std::vector<std::string> files;  // the main file and its includes, as named in diagnostics
    GlobalConfig global;
    vrrp::Config vrrp;
    ipvs::Config lvs;
    std::vector<CheckBinding> checks;
    bfd::Config bfd;
    std::vector<BfdCheckBinding> bfd_checks;
    std::vector<std::string> unsupported_keywords;  // accepted with a warning, in file order
};

enum class Severity { warning, error };

struct Diagnostic {
    Severity severity = Severity::error;
    std::string file;
    unsigned line = 0;  // 0: no line (a whole-file problem)
    unsigned column = 0;
    std::string message;
    // The daemon refuses to start with this (keepalived would stop or Vigil is stricter).
    bool fatal_at_startup = false;
    // A reload with this is refused whole: the old configuration keeps running.
    bool refuse_reload = false;
    // keepalived's order of reporting: an extra '}' (0, found before parsing), then what its
    // checker process parses (1: global_defs and LVS blocks), then the VRRP side (2).
    int pass = 2;
};

struct LoadOptions {
    std::string config_id;             // "-i": enables @config_id lines; empty: the host name
    std::vector<std::string> defines;  // "NAME=value" set before reading
    bool check_scripts = true;         // look script files up on this host
    bool check_interfaces = true;      // interfaces must exist on this host
    bool check_users = true;           // script_user / keepalived_script looked up here
    bool allow_includes = true;        // false: "include" is an error
    unsigned max_include_depth = 16;   // includes within includes
    // Files read in all, the first one included: a file that includes itself or its siblings
    // at every level reads exponentially many (the fuzz target bounds it).
    std::size_t max_files = std::numeric_limits<std::size_t>::max();
    // "-t": real servers and checkers are checked but not kept (lvs.virtual_servers have no
    // real_servers, checks stays empty), which bounds memory on very large files.
    bool check_only = false;
    // Bytes read from a file at a time; the text of each finished statement is freed.
    std::size_t read_chunk = 256u << 10;
    // Where iproute2's name files (rt_tables, rt_protos, ...) are looked up, in order.
    std::vector<std::string> iproute2_dirs = {"/etc/iproute2", "/usr/share/iproute2"};
};

struct LoadResult {
    Config config;
    std::vector<Diagnostic> diagnostics;
    bool ok() const;          // no diagnostic of Severity::error: the "-t" verdict
    bool startable() const;   // no fatal_at_startup diagnostic: the daemon may run it
    bool reloadable() const;  // no refuse_reload diagnostic: a reload may apply it
};

// Reads FILE with its includes. Never throws; every problem becomes a Diagnostic. All that is
// asked of the machine (files, names, interfaces, users) is asked of HOST (config/host.hpp).
LoadResult load_file(const std::string& path, const LoadOptions& options, Host& host);
// Same, from text in memory ("name" is used in messages; includes resolve from the cwd).
LoadResult load_string(std::string_view text, const std::string& name, const LoadOptions& options,
                       Host& host);
// The same on this machine (SystemHost).
LoadResult load_file(const std::string& path, const LoadOptions& options = {});
LoadResult load_string(std::string_view text, const std::string& name,
                       const LoadOptions& options = {});

// "FILE:LINE:COL: error: MESSAGE" (LINE and COL left out when 0).
std::string format(const Diagnostic& d);

// The configuration as JSON, for --dump-config and tests.
std::string to_json(const Config& config);

}  // namespace vigil::config
