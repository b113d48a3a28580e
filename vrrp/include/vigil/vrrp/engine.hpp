// The VRRP engine as the daemon sees it: start, reload and stop from a Config, transitions and
// script runs through callbacks, a status snapshot for status and metrics.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/common/clock.hpp"
#include "vigil/vrrp/config.hpp"

namespace vigil::vrrp {

enum class State : std::uint8_t { init, backup, master, fault, stop };
std::string_view to_string(State);

struct TransitionEvent {
    std::string instance;
    std::string group;  // empty unless the instance is in a sync group
    State from = State::init;
    State to = State::init;
    int priority = 0;  // effective priority at the transition
};

enum class LogLevel : int { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

struct Hooks {
    // Notify scripts, SMTP alerts, log lines: the daemon's side effects.
    std::function<void(const TransitionEvent&)> on_transition;
    // A master received an advert of lower priority (notify_master_rx_lower_pri).
    std::function<void(const std::string& instance)> on_master_rx_lower_priority;
    // The effective priority of a running instance changed (tracking weights).
    std::function<void(const std::string& instance, State state, int priority)> on_priority_change;
    // Runs a track script; done gets the exit status, -1 on timeout or failure to start.
    std::function<void(const Command&, std::chrono::microseconds timeout,
                       std::function<void(int exit_status)> done)>
        run_script;
    std::function<void(LogLevel, std::string)> log;
};

struct InstanceStatus {
    std::string name;
    std::string group;
    std::string interface;
    std::uint8_t vrid = 0;
    int version = 2;
    State state = State::init;
    int base_priority = 0;
    int effective_priority = 0;
    bool faulted = false;
    bool maintenance = false;           // held in BACKUP by the operator
    std::string last_cause;             // why the last transition happened
    std::vector<std::string> tracking;  // "script chk failing: -20", "interface eth1 down: FAULT"
    std::optional<Address> master;      // last accepted sender while backup; own address as master
    Clock::time_point last_transition{};
    std::uint64_t adverts_sent = 0;
    std::uint64_t adverts_received = 0;
    std::uint64_t priority_zero_sent = 0;
    std::uint64_t priority_zero_received = 0;
    std::uint64_t became_master = 0;
    std::uint64_t released_master = 0;
    std::map<std::string, std::uint64_t> drops;   // received adverts dropped, by reason
    std::map<std::string, std::uint64_t> errors;  // failed sends, VIP changes, ..., by reason
};

struct TrackProcessStatus {
    std::string name;
    unsigned running = 0;  // matching processes at the last scan
    bool quorum = false;   // as tracking sees it (after fork/terminate delays)
};

struct Status {
    std::vector<InstanceStatus> instances;
    std::vector<TrackProcessStatus> track_processes;
    // Packets no instance could be blamed for (bad checksum, unknown VRID, ...), by reason.
    std::map<std::string, std::uint64_t> drops;
};

class Engine {
  public:
    // Timers and time come from clock, which outlives the engine.
    Engine(boost::asio::io_context& io, Clock& clock, Hooks hooks);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // The instances' configurations are kept by the engine alone (config_of).
    std::expected<void, std::string> start(Config config);
    // Instances are matched by name: unchanged ones keep their state and VIPs, new ones start,
    // removed ones stop cleanly (priority-0 advert, VIPs removed). Changed ones keep their
    // state and take the new priority, timers, VIPs and tracking; a changed identity
    // (interface, VRID, version, family, peers, vmac, sync group) restarts the instance.
    std::expected<void, std::string> reload(Config config);
    // Priority-0 adverts and VIP removal for every instance, then done() on the loop.
    void stop(std::function<void()> done);

    // Holds the instance, and the rest of its sync group, in BACKUP (a master sends a
    // priority-0 advert and steps down), or releases it. Kept across reloads while the
    // instance exists. Returns the instances changed; empty: no such instance.
    std::vector<std::string> set_maintenance(const std::string& name, bool on);
    // A BFD session's state from outside the module (track_bfd); every session is down until
    // told otherwise.
    void set_bfd_state(const std::string& session, bool up);

    Status status() const;
    // One instance's state and effective priority without building the whole status;
    // nullopt: no such instance.
    struct InstanceState {
        State state;
        int priority;
    };
    std::optional<InstanceState> state_of(const std::string& name) const;
    // The running configuration of one instance (nullptr: none), valid until the next
    // start, reload or stop; and of all of them, in the file's order.
    const InstanceConfig* config_of(std::string_view name) const;
    std::vector<InstanceConfig> instance_configs() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::vrrp
