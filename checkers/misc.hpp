// MISC_CHECK verdicts from a script's exit code, without processes.
#pragma once

#include "probe.hpp"

namespace vigil::checkers {

// 0 up; 1 down; 2..255 up with weight code - 2 under misc_dynamic, down otherwise;
// -1 (killed after misc_timeout) and -2 (not started) down.
ProbeOutcome misc_outcome(int exit_code, bool dynamic);

// misc_timeout, or delay_loop when unset.
Duration misc_timeout(const CheckConfig& cfg);

}  // namespace vigil::checkers
