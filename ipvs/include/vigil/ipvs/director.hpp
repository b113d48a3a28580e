// The director: the virtual-server model on the daemon's loop, feeding a data plane.
// Health changes are coalesced: many verdicts in one loop turn give one apply.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/common/clock.hpp"
#include "vigil/ipvs/config.hpp"
#include "vigil/ipvs/dataplane.hpp"
#include "vigil/ipvs/model.hpp"

namespace vigil::ipvs {

struct DirectorHooks {
    LogFn log;
    // Real server up/down, quorum up/down, sorry server in/out; `config` names the commands.
    std::function<void(const Event&, const Config& config)> on_event;
    // Runs a command (argv) without blocking the loop; used to cut a removed real server's
    // flows with conntrack(8) under the nftables backend. May be empty.
    std::function<void(std::vector<std::string> argv)> run_command;
};

using DataPlaneFactory =
    std::function<Result<std::unique_ptr<DataPlane>>(const Config&, const LogFn&)>;

struct DirectorCounters {
    std::uint64_t applies = 0;
    std::uint64_t apply_failures = 0;
    std::uint64_t health_updates = 0;
    std::uint64_t health_ignored = 0;  // index out of range or not running
    std::uint64_t events = 0;
    std::uint64_t flow_flushes = 0;
    std::uint64_t open_failures = 0;      // the data plane could not be opened (no IPVS...)
    std::uint64_t refusals = 0;           // operations the kernel refused, each counted once
    std::uint64_t drains_completed = 0;   // drained to zero connections
    std::uint64_t drains_timed_out = 0;   // removed at the timeout with connections left
    std::uint64_t overrides_dropped = 0;  // their target left the configuration on reload
    std::uint64_t kernel_reads = 0;       // the data plane read the kernel's whole table
};

// An operator's override of one real server (vigilctl enable/disable/drain), kept by identity
// across reloads.
struct Override {
    std::string vs;  // [PROTO:]service_name as given, canonical
    std::string rs;  // endpoint_name
    Admin admin = Admin::disabled;
    std::optional<Clock::time_point> deadline;  // draining: removed by then
    std::uint64_t connections = 0;              // draining: active connections at the last look
};

struct DirectorStatus {
    bool running = false;
    std::string backend;
    Table desired;
    Table applied;  // the last table the data plane accepted
    std::vector<VirtualServerState> state;
    DirectorCounters counters;
    std::string last_error;
    std::vector<std::string> refused;  // what the kernel refuses now, and why
    std::vector<Override> overrides;
};

class Director {
  public:
    // Retries and drain deadlines on clock, which outlives the director.
    Director(boost::asio::io_context& io, Clock& clock, DirectorHooks hooks,
             DataPlaneFactory factory = make_dataplane);
    ~Director();
    Director(const Director&) = delete;
    Director& operator=(const Director&) = delete;

    // Opens the data plane and applies the start-up table at once. When that first apply
    // fails the error is returned and the director keeps retrying every second.
    Result<void> start(Config config);
    // The same, with a configuration (made by shared_config) shared with its owner: the
    // director keeps no copy of its own.
    Result<void> start(std::shared_ptr<const Config> config);
    void set_health(std::size_t vs, std::size_t rs, bool alive,
                    std::optional<int> weight = std::nullopt);
    // Keeps health of what survives; reopens the data plane when the backend changes.
    Result<void> reload(Config config);
    Result<void> reload(std::shared_ptr<const Config> config);
    // Omega notifications, then removes everything Vigil added.
    void stop();
    DirectorStatus status() const;

    // vigilctl: `enabled` removes the override; `draining` gives the server weight 0 and
    // removes it once its connections are gone or after `drain_timeout` (none: no limit).
    // Returns the override's canonical "VS RS".
    Result<std::string> set_admin(std::string_view vs, std::string_view rs, Admin admin,
                                  std::optional<std::chrono::seconds> drain_timeout = {});
    // Removes every override; returns how many there were.
    std::size_t clear_overrides();
    // The table as the data plane runs it, with its counters.
    Result<LiveTable> live();
    // How often a draining server's connections are counted.
    static constexpr std::chrono::seconds kDrainPoll{1};

  private:
    void emit(const std::vector<Event>& events);
    void schedule_apply();
    void apply();
    void flush_flows(const Table& before, const Table& after);
    void report_refusals();
    void set_timeouts(const Config& config);
    std::string origin(const ServiceId& id) const;
    void log(std::string_view line) const;
    void apply_overrides(bool drop_missing);
    void watch_drains();
    void check_drains();
    std::uint64_t connections_of(const LiveTable& live, const Target& t) const;

    boost::asio::io_context& io_;
    Clock& clock_;
    DirectorHooks hooks_;
    DataPlaneFactory factory_;
    std::unique_ptr<DataPlane> plane_;
    std::optional<Model> model_;
    Clock::Alarm retry_;
    Clock::Alarm drain_timer_;
    std::vector<Override> overrides_;
    bool apply_pending_ = false;
    bool running_ = false;
    Table applied_;
    DirectorCounters counters_;
    std::string last_error_;
    std::vector<std::string> warned_;
    std::vector<std::string> refused_;
    std::set<std::string> reported_;  // refusals logged since the last (re)load
    // Cancels posted work that outlives the director.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Destinations whose flows should be cut: in `before` with weight > 0, now absent or weight 0.
std::vector<std::pair<ServiceId, Destination>> removed_destinations(const Table& before,
                                                                    const Table& after);

}  // namespace vigil::ipvs
