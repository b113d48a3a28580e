// The virtual-server model: configuration plus health in, desired table and events out.
// Pure: no sockets, no timers. Follows keepalived's check_* semantics (quorum with
// hysteresis, sorry server, inhibit_on_failure, alpha, omega).
#pragma once

#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "vigil/ipvs/config.hpp"
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

struct RealServerState {
    bool alive = true;
    std::optional<int> dynamic_weight;  // set by a checker (misc_dynamic and friends)
};

struct VirtualServerState {
    std::vector<RealServerState> real_servers;
    bool quorum_up = false;
    bool sorry_active = false;
};

class Model {
  public:
    explicit Model(Config config);

    // Evaluates quorum for every virtual server as keepalived does at start-up.
    std::vector<Event> start();
    // Carries health and quorum state over from `previous` for virtual servers and real
    // servers that exist in both (matched by service keys and address:port); new ones start
    // as at start-up.
    std::vector<Event> start_from(const Model& previous);

    // A checker verdict. Out-of-range indices are ignored (returns no events).
    std::vector<Event> set_health(std::size_t vs, std::size_t rs, bool alive,
                                  std::optional<int> weight = std::nullopt);

    // On shutdown: omega virtual servers report quorum_down and their alive real servers down.
    // Afterwards the desired table is empty.
    std::vector<Event> shutdown();

    Table desired() const;
    const Config& config() const { return config_; }
    const std::vector<VirtualServerState>& state() const { return state_; }
    long alive_weight(std::size_t vs) const;
    int effective_weight(std::size_t vs, std::size_t rs) const;

  private:
    bool ignored(std::size_t vs) const;
    void update_quorum(std::size_t vs, bool init, std::vector<Event>& out);

    Config config_;
    std::vector<VirtualServerState> state_;
    bool stopped_ = false;
};

// The services of one virtual server (one per key) with their settings but no destinations.
std::vector<Service> services_of(const VirtualServerConfig& vs);

}  // namespace vigil::ipvs
