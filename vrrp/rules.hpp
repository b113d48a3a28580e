// Policy routing rules (virtual_rules, static_rules) in the kernel, through libnl-route.
#pragma once

#include <cstdint>
#include <expected>
#include <string>

#include "netlink_socket.hpp"
#include "vigil/vrrp/config.hpp"

namespace vigil::vrrp {

// The libnl object for a rule (pure: no socket), with keepalived's protocol unless it says one.
std::expected<RtnlRule, std::string> make_rule(const VirtualRule& rule);

// The whole RTM_NEWRULE / RTM_DELRULE request, with what libnl has no setter for ("not",
// uidrange, suppress_prefixlength, suppress_ifgroup).
std::expected<NlMsg, std::string> rule_request(const VirtualRule& rule, bool add);

// "from 10.0.0.0/8 lookup 100 pref 100", for messages.
std::string describe(const VirtualRule& rule);

struct RuleCounters {
    std::uint64_t added = 0;
    std::uint64_t already_present = 0;
    std::uint64_t add_failed = 0;
    std::uint64_t removed = 0;
    std::uint64_t already_absent = 0;
    std::uint64_t remove_failed = 0;
};

// Adds and removes rules. Idempotent as AddressManager: an identical rule present is success.
class RuleManager {
  public:
    static std::expected<RuleManager, std::string> open();

    std::expected<void, std::string> add(const VirtualRule& rule);
    std::expected<void, std::string> remove(const VirtualRule& rule);

    const RuleCounters& counters() const { return counters_; }

  private:
    explicit RuleManager(NlSock sk) : sk_(std::move(sk)) {}
    NlSock sk_;
    RuleCounters counters_;
};

}  // namespace vigil::vrrp
