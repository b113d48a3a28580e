// BFD as the daemon sees it: sessions started, reloaded and stopped from a Config on the one
// io_context, state changes through a callback, a status snapshot for status and metrics.
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
#include <vector>

#include "vigil/bfd/config.hpp"
#include "vigil/bfd/types.hpp"
#include "vigil/common/clock.hpp"

namespace vigil::bfd {

struct StateChange {
    std::string name;
    State from = State::down;
    State to = State::down;
    Diag diag = Diag::none;
};

struct Hooks {
    std::function<void(const StateChange&)> on_state_change;
    std::function<void(int level, std::string message)> log;  // syslog levels
    std::function<std::uint64_t()> random;  // discriminators, ports, jitter; default: seeded
};

struct SessionStatus {
    std::string name;
    std::string neighbor;
    std::string source;  // empty: chosen by the kernel
    std::uint16_t port = kPort;
    State state = State::down;
    State remote_state = State::down;
    Diag diag = Diag::none;
    std::uint32_t local_discriminator = 0;
    std::uint32_t remote_discriminator = 0;
    std::uint8_t remote_multiplier = 0;
    Duration tx_interval{0};     // negotiated, before jitter
    Duration rx_interval{0};     // negotiated
    Duration detection_time{0};  // 0 until the peer is heard
    bool polling = false;
    std::uint64_t state_changes = 0;
    std::uint64_t packets_in = 0;
    std::uint64_t packets_out = 0;
    std::uint64_t send_errors = 0;
    std::map<std::string, std::uint64_t> drops;  // packets from this neighbour, by reason
    Clock::time_point last_change{};
};

struct Status {
    std::vector<SessionStatus> sessions;
    std::map<std::string, std::uint64_t> drops;  // every dropped packet, by reason
};

class Engine {
  public:
    // Sessions' timers and time on clock, which outlives the engine.
    Engine(boost::asio::io_context& io, Clock& clock, Hooks hooks);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // A session whose socket cannot be opened is logged and left out; the error says which.
    std::expected<void, std::string> start(const Config& config);
    // Sessions are matched by name: unchanged ones keep running, changed intervals are
    // negotiated with a poll sequence, a changed neighbour, source, port or TTL restarts the
    // session, removed ones send AdminDown and stop.
    std::expected<void, std::string> reload(const Config& config);
    // AdminDown to every peer, repeated for a detection time (bounded) on the loop; done runs
    // once the last has been sent and the sockets are closed.
    void stop(std::function<void()> done = {});

    std::optional<State> state(const std::string& name) const;
    Status status() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::bfd
