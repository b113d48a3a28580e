// FILE_CHECK: the value of a track file and what it means for a real server, without I/O
// beyond one small read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "probe.hpp"

namespace vigil::checkers {

// keepalived reads up to 127 bytes as strtol(.., 0): empty or no digits is 0. nullopt: a number
// out of [INT32_MIN, INT32_MAX + 1], to be ignored (the last value stays).
std::optional<std::int64_t> parse_track_value(std::string_view text);

// The file's value; a missing or unreadable file is 0, as keepalived.
std::optional<std::int64_t> read_track_value(const std::string& path);

// weight 0: value != 0 is down (reversed: == 0). Else value * weight * (reverse ? -1 : 1),
// clamped to int, is the weight offset; at INT_MIN it is down.
ProbeOutcome file_outcome(std::int64_t value, int weight, bool reverse);

}  // namespace vigil::checkers
