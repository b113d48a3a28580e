// Tracking: how interfaces, scripts and files move an instance's priority or put it in FAULT.
// The arithmetic is pure; TrackFileReader reads a file's value (no loop needed).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace vigil::vrrp {

struct TrackedInterface {
    int weight = 0;  // 0: down means FAULT
    bool reverse = false;
    bool up = true;
};

// Also a vrrp_track_process, with ok meaning its quorum is met.
struct TrackedScript {
    int weight =
        0;  // 0: failing means FAULT (OK with reverse); >0 added while OK; <0 while failing
    bool reverse = false;
    bool ok = true;
};

struct TrackedFile {
    int weight = 1;  // 0: a non-zero value means FAULT
    bool reverse = false;
    long value = 0;
};

struct Priority {
    std::uint8_t effective = 100;
    bool fault = false;
    bool operator==(const Priority&) const = default;
};

// keepalived's rules: weights sum onto the base; the result stays in 1..254 unless nothing
// moved an owner's 255; a file value times its weight at or below -254 is a FAULT.
Priority compute_priority(std::uint8_t base, std::span<const TrackedInterface> interfaces,
                          std::span<const TrackedScript> scripts,
                          std::span<const TrackedFile> files);

// rise/fall hysteresis of a vrrp_script: the status flips after `rise` successes in a row or
// `fall` failures in a row.
struct ScriptHealth {
    bool ok = true;
    int streak = 0;  // results in a row that disagree with ok
    // Returns true when ok changed.
    bool record(bool success, int rise, int fall);
};

// The integer a track file holds (keepalived reads it with strtol; garbage counts as 0).
long parse_track_file(std::string_view contents);
std::optional<long> read_track_file(const std::string& path);

}  // namespace vigil::vrrp
