// keepalived tunes its VRRP and checker child processes separately (vrrp_priority,
// checker_rt_priority, ...). vigild is one process: the two sets merge into one, and the
// result is applied to the daemon at start-up. Scripts get the daemon's original settings.
#pragma once

#include "config/config.hpp"
#include "scripts.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vigil {

// What vigild applies to itself.
struct ProcessSettings {
    std::optional<int> nice;         // not applied under SCHED_RR, as keepalived
    std::optional<int> rt_priority;  // SCHED_RR
    std::vector<int> cpu_affinity;
    bool no_swap = false;
    std::uint32_t rlimit_rttime = 10000;  // hard RLIMIT_RTTIME with rt_priority; soft is half
    bool any() const { return nice || rt_priority || !cpu_affinity.empty() || no_swap; }
    bool operator==(const ProcessSettings&) const = default;
};

struct MergedSettings {
    ProcessSettings settings;
    std::vector<std::string> conflicts;  // one line per keyword pair that disagrees
};

// The vrrp_* value of each keyword governs (failover timing is what it protects); a checker_*
// value is used only when its vrrp_* counterpart is absent.
MergedSettings merge_process_settings(const config::ProcessTuning& vrrp,
                                      const config::ProcessTuning& checker);

struct TuningOutcome {
    std::vector<std::string> applied;  // one line per setting applied
    std::vector<std::string> errors;   // one line per setting the kernel refused
    // The scheduling scripts must get back; nullopt when nothing was changed.
    std::optional<ChildScheduling> child;
};

// Applies S to the calling thread (call before any other thread exists, so they inherit it).
TuningOutcome apply_process_settings(const ProcessSettings& s);

}  // namespace vigil
