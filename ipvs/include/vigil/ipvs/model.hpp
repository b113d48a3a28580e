// The virtual-server model: configuration plus health in, desired table and events out.
// Pure: no sockets, no timers. Follows keepalived's check_* semantics (quorum with
// hysteresis, sorry server, inhibit_on_failure, alpha, omega).
#pragma once

#include <cstddef>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/ipvs/config.hpp"
#include "vigil/ipvs/result.hpp"
#include "vigil/ipvs/table.hpp"

namespace vigil::ipvs {

enum class EventKind {
    real_server_up,
    real_server_down,
    quorum_up,
    quorum_down,
    sorry_server_in,
    sorry_server_out
};
std::string to_string(EventKind kind);

inline constexpr std::size_t no_index = std::numeric_limits<std::size_t>::max();

struct Event {
    EventKind kind;
    std::size_t virtual_server;          // index into Config::virtual_servers
    std::size_t real_server = no_index;  // for real_server_up/down
    long weight_sum = 0;                 // alive weight when a quorum event fired
    friend bool operator==(const Event&, const Event&) = default;
};

// The operator's say over a real server (vigilctl), beside its checkers' verdict: a disabled
// server leaves the pool, a draining one stays with weight 0 so that its connections finish.
// Neither counts toward quorum; neither is a real-server event (no notify_down, no alert).
enum class Admin : std::uint8_t { enabled, disabled, draining };
std::string to_string(Admin admin);

struct RealServerState {
    bool alive = true;
    std::optional<int> dynamic_weight;  // set by a checker (misc_dynamic and friends)
    Admin admin = Admin::enabled;
};

struct VirtualServerState {
    std::vector<RealServerState> real_servers;
    bool quorum_up = false;
    bool sorry_active = false;
};

// The configuration as a Model reads it, to be shared with whoever else does: as keepalived, a
// quorum the configured weights can never reach is lowered to their total, and the hysteresis
// kept below the quorum.
std::shared_ptr<const Config> shared_config(Config config);

class Model {
  public:
    explicit Model(Config config);
    // A configuration made by shared_config.
    explicit Model(std::shared_ptr<const Config> config);

    // Evaluates quorum for every virtual server as keepalived does at start-up.
    std::vector<Event> start();
    // Carries health and quorum state over from `previous` for virtual servers and real
    // servers that exist in both (matched by service keys and address:port); new ones start
    // as at start-up.
    std::vector<Event> start_from(const Model& previous);

    // A checker verdict. Out-of-range indices are ignored (returns no events).
    std::vector<Event> set_health(std::size_t vs, std::size_t rs, bool alive,
                                  std::optional<int> weight = std::nullopt);

    // An operator override. Out-of-range indices are ignored (returns no events).
    std::vector<Event> set_admin(std::size_t vs, std::size_t rs, Admin admin);

    // On shutdown: omega virtual servers report quorum_down and their alive real servers down.
    // Afterwards the desired table is empty.
    std::vector<Event> shutdown();

    Table desired() const;
    const Config& config() const { return *config_; }
    const std::vector<VirtualServerState>& state() const { return state_; }
    long alive_weight(std::size_t vs) const;
    int effective_weight(std::size_t vs, std::size_t rs) const;

  private:
    bool ignored(std::size_t vs) const;
    void update_quorum(std::size_t vs, bool init, std::vector<Event>& out);

    std::shared_ptr<const Config> config_;
    std::vector<VirtualServerState> state_;
    bool stopped_ = false;
};

// The services of one virtual server (one per key) with their settings but no destinations.
std::vector<Service> services_of(const VirtualServerConfig& vs);

// How status, logs and vigilctl name things: "10.0.0.1:80", "[fd00::1]:80", "FWM 7" or the
// virtual_server_group's name; a real server as "ADDR:PORT".
std::string endpoint_name(const Address& a, std::uint16_t port);
std::string protocol_name(Protocol p);  // "tcp", "udp", "sctp"
// Whether the data plane's destination `d` is real server `rs`: only NAT maps ports, DR and
// TUN destinations carry the service's port.
bool is_destination_of(const Destination& d, const RealServerConfig& rs);
std::string service_name(const VirtualServerConfig& vs);

// The virtual server and real server an operator names: VS as service_name() gives it,
// optionally "tcp:", "udp:" or "sctp:" first; RS as "ADDR:PORT", or "ADDR" when only one of
// the service's real servers has it. The error says what did not match.
struct Target {
    std::size_t vs = 0, rs = 0;
};
Result<Target> locate(const Config& config, std::string_view vs, std::string_view rs);

}  // namespace vigil::ipvs
