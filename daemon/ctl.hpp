// vigilctl: the operator's side of the control protocol (also `vigild --ctl ...`).
#pragma once

#include <expected>
#include <string>
#include <vector>

#include "control.hpp"

namespace vigil {

struct CtlCommand {
    std::string socket;  // -p / --socket; empty: the default daemon's
    ControlRequest request;
    bool json = false;     // show --json, lvs --json
    std::string lvs_mode;  // lvs: "", "stats", "rate" or "connections"
};

// argv after the program name (or after `--ctl`).
std::expected<CtlCommand, std::string> parse_ctl(const std::vector<std::string>& args);
std::string ctl_usage(const std::string& program);

// What vigilctl prints for an answer of the daemon. Pure.
std::string render_show(const std::string& status_json);
// `ipvsadm -L -n` layout (with --stats or --rate), or the connection list.
std::string render_lvs(const std::string& lvs_json, const std::string& mode);

// Runs the command against the daemon; output on stdout, errors on stderr; the exit code
// (0 done, 1 refused or failed, 2 usage, 3 no daemon).
int run_ctl(const std::vector<std::string>& args, const std::string& program);

}  // namespace vigil
