// Configuration of virtual servers: plain values filled by the daemon's config parser.
#pragma once

#include "vigil/common/boxed.hpp"

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vigil::ipvs {

using Address = boost::asio::ip::address;

enum class Protocol { tcp, udp, sctp };
enum class Forwarding { nat, dr, tun };
enum class Backend { automatic, ipvs, nftables };

struct Command {
    std::vector<std::string> argv;
    std::string user;
    std::string group;
    bool empty() const { return argv.empty(); }
};

// Tens of thousands of these may exist: rarely-set parts are shared pointers, the source file
// is an index.
struct RealServerConfig {
    std::uint32_t file = 0;  // index into the loader's list of files (config::Config::files)
    std::uint32_t line = 0;
    Address address;
    std::uint16_t port = 0;
    std::optional<Forwarding> forwarding;  // per-server lb_kind; empty: the service's
    bool inhibit_on_failure = false;
    bool smtp_alert = false;
    bool alpha = false;  // starts down until its checkers pass
    int weight = 1;
    std::uint32_t upper_threshold = 0;
    std::uint32_t lower_threshold = 0;
    std::uint32_t checker_count = 0;             // none: always alive
    std::shared_ptr<const Command> notify_up;    // null: none
    std::shared_ptr<const Command> notify_down;  // null: none
};

// The address part of a service: one of these.
struct ServiceKey {
    std::optional<Address> address;  // with port
    std::uint16_t port = 0;
    std::uint32_t fwmark = 0;  // when set, address is empty
    bool ipv6 = false;         // for fwmark services ("inet6")
};

struct VirtualServerConfig {
    std::string file;
    unsigned line = 0;

    std::vector<ServiceKey> keys;  // one, or the members of a virtual_server_group
    std::string group;             // the virtual_server_group name, if any
    Protocol protocol = Protocol::tcp;
    std::string scheduler = "wlc";            // lb_algo
    Forwarding forwarding = Forwarding::nat;  // lb_kind
    std::optional<std::chrono::seconds> persistence_timeout;
    std::optional<Address> persistence_granularity;  // netmask
    bool ops = false;
    std::vector<std::string> sched_flags;  // sh-fallback, sh-port, mh-fallback, mh-port, flag-1..3

    unsigned quorum = 1;
    unsigned hysteresis = 0;
    std::shared_ptr<const Command> quorum_up;    // null: none
    std::shared_ptr<const Command> quorum_down;  // null: none
    bool alpha = false;
    bool omega = false;
    bool inhibit_on_failure = false;
    HeapOptional<RealServerConfig> sorry_server;  // rarely set: one pointer when not
    bool sorry_server_inhibit = false;
    std::optional<Forwarding> sorry_server_lvs_method;
    std::string virtualhost;
    bool smtp_alert = false;
    // ha_suspend: its checkers run only while one of its addresses is on this host.
    bool ha_suspend = false;
    std::vector<RealServerConfig> real_servers;
};

// lvs_timeouts: IPVS connection timeouts in seconds; 0 leaves the kernel's value.
struct Timeouts {
    std::uint32_t tcp = 0;
    std::uint32_t tcp_fin = 0;
    std::uint32_t udp = 0;
    friend bool operator==(const Timeouts&, const Timeouts&) = default;
};

// lvs_flush_on_stop: what stop() removes besides nothing-but-Vigil's-own (none: Vigil's
// services, each deleted whole); all: the kernel's whole table, foreign services included.
enum class FlushOnStop { none, all, services };

struct Config {
    Backend backend = Backend::automatic;
    bool flush_at_start = false;  // lvs_flush: the kernel's whole table, before the first apply
    FlushOnStop flush_on_stop = FlushOnStop::none;
    std::optional<Timeouts> timeouts;
    // nftables backend: the one table Vigil owns (`table inet NAME`); give each daemon on a
    // host its own when they share a network namespace.
    std::string nft_table = "vigil";
    // nftables backend: cut a removed real server's flows (conntrack entries), as IPVS
    // drops a deleted destination's connections.
    bool nft_flush_flows = true;
    std::vector<VirtualServerConfig> virtual_servers;
};

}  // namespace vigil::ipvs
