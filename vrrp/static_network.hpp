// static_ipaddress, static_routes and static_rules: installed at start, kept in step with each
// reload, removed at stop (as keepalived: present while the daemon runs).
#pragma once

#include <string>
#include <vector>

#include "instance.hpp"
#include "vigil/vrrp/config.hpp"

namespace vigil::vrrp {

struct StaticConfig {
    std::vector<VirtualAddress> addresses;
    std::vector<VirtualRoute> routes;
    std::vector<VirtualRule> rules;
    bool operator==(const StaticConfig&) const = default;
};

class StaticNetwork {
  public:
    explicit StaticNetwork(InstanceIo& io) : io_(io) {}

    // Removes what NEXT no longer has, then adds what it has (addresses before the routes that
    // may use them, rules last); a failed add is tried again on the next call. Returns one
    // message per failure.
    std::vector<std::string> apply(const StaticConfig& next);
    std::vector<std::string> clear() { return apply({}); }
    const StaticConfig& installed() const { return installed_; }

  private:
    InstanceIo& io_;
    StaticConfig installed_;
};

}  // namespace vigil::vrrp
