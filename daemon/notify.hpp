// Which notify scripts a VRRP state change runs, with keepalived's arguments. Pure.
#pragma once

#include <vigil/vrrp/config.hpp>

#include <string>
#include <vector>

namespace vigil {

struct NotifyCommand {
    std::vector<std::string> argv;
    std::string user;
    std::string group;
};

class Notifier {
  public:
    // The state's own script (notify_master, ...) first, then the generic "notify" script with
    // "INSTANCE" NAME STATE PRIORITY appended.
    std::vector<NotifyCommand> instance_commands(const vrrp::InstanceConfig& cfg,
                                                 const std::string& state, int priority) const;
    // Same for a sync group: "GROUP" NAME STATE PRIORITY(0).
    std::vector<NotifyCommand> group_commands(const vrrp::SyncGroupConfig& cfg,
                                              const std::string& state) const;
};

}  // namespace vigil
