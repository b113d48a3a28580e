// vrrp_track_process: which processes of a /proc snapshot match, and the quorum status with
// fork/terminate delays. Pure: the table and the clock come from the caller.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>

#include "vigil/vrrp/config.hpp"

namespace vigil::vrrp {

// One process as a /proc scan saw it.
struct ProcessEntry {
    int pid = 0;
    std::string comm;     // /proc/PID/stat's name (at most 15 characters)
    std::string cmdline;  // /proc/PID/cmdline, NUL-separated, possibly cut to a read limit
    bool zombie = false;  // state Z: not running
};

// keepalived's rules: an exact comparison of the comm (or of argv[0] with full_command), then
// of the parameters per param_match. Zombies never match.
bool process_matches(const ProcessEntry& p, const TrackProcessConfig& c);
unsigned count_matching(std::span<const ProcessEntry> table, const TrackProcessConfig& c);

// Bytes of /proc/PID/cmdline a scan must read for C to tell a match from a longer command line.
std::size_t cmdline_bytes_needed(const TrackProcessConfig& c);

// The quorum (quorum <= count <= quorum_max) as tracking sees it: a change counts once it has
// held for fork_delay (gained) or terminate_delay (lost); going back in between cancels it.
class ProcessQuorum {
  public:
    using TimePoint = std::chrono::steady_clock::time_point;

    // The first scan sets the status at once, as keepalived does at start-up.
    void initialise(unsigned count, const TrackProcessConfig& c);
    // A later scan; returns true when the status changed.
    bool update(unsigned count, const TrackProcessConfig& c, TimePoint now);
    // When a running delay ends (a scan is due then); nullopt when none runs.
    std::optional<TimePoint> due(const TrackProcessConfig& c) const;

    bool up() const { return up_; }
    unsigned count() const { return count_; }

  private:
    bool up_ = false;
    unsigned count_ = 0;
    std::optional<TimePoint> changed_since_;  // the raw status has differed from up_ since
};

bool quorum_met(unsigned count, const TrackProcessConfig& c);

}  // namespace vigil::vrrp
