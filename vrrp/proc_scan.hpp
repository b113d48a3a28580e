// The /proc scan behind vrrp_track_process: one pass over the daemon's PID namespace. /proc
// answers in any network namespace, where keepalived's proc connector does not.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "track_process.hpp"

namespace vigil::vrrp {

struct ScanNeeds {
    bool comm = false;              // read /proc/PID/stat (name and zombie state)
    std::size_t cmdline_bytes = 0;  // read that much of /proc/PID/cmdline; 0: none
};

// Processes that end during the scan are left out; nothing here throws.
std::vector<ProcessEntry> scan_processes(const ScanNeeds& needs,
                                         const std::string& proc_root = "/proc");

}  // namespace vigil::vrrp
