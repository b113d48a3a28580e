#include "rules.hpp"

#include <fmt/format.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <sys/socket.h>

#include "addresses.hpp"

namespace vigil::vrrp {

namespace {

std::uint8_t action_of(VirtualRule::Action a) {
    using A = VirtualRule::Action;
    switch (a) {
        case A::table:
            return FR_ACT_TO_TBL;
        case A::goto_:
            return FR_ACT_GOTO;
        case A::nop:
            return FR_ACT_NOP;
        case A::blackhole:
            return FR_ACT_BLACKHOLE;
        case A::unreachable:
            return FR_ACT_UNREACHABLE;
        case A::prohibit:
            return FR_ACT_PROHIBIT;
    }
    return FR_ACT_TO_TBL;
}

std::expected<void, std::string> selector(rtnl_rule* r, const std::optional<Address>& a, int len,
                                          bool v6, bool src) {
    if (!a) return {};
    if (a->is_v6() != v6) return std::unexpected(std::string("rule: mixed address families"));
    auto n = to_nl_addr(*a, len);
    if (!n) return std::unexpected(n.error());
    int err = src ? rtnl_rule_set_src(r, n->get()) : rtnl_rule_set_dst(r, n->get());
    if (err < 0) return std::unexpected("netlink: " + nl_error_text(err));
    return {};
}

}  // namespace

std::string describe(const VirtualRule& r) {
    std::string s = r.invert ? "not " : "";
    s += r.from ? fmt::format("from {}/{}", r.from->to_string(), r.from_len) : "from all";
    if (r.to) s += fmt::format(" to {}/{}", r.to->to_string(), r.to_len);
    if (r.fwmark) s += fmt::format(" fwmark {:#x}", *r.fwmark);
    if (!r.iif.empty()) s += " iif " + r.iif;
    if (!r.oif.empty()) s += " oif " + r.oif;
    if (r.action == VirtualRule::Action::table) s += fmt::format(" lookup {}", r.table);
    if (r.action == VirtualRule::Action::goto_) s += fmt::format(" goto {}", r.goto_target);
    if (r.priority) s += fmt::format(" pref {}", *r.priority);
    return s;
}

std::expected<RtnlRule, std::string> make_rule(const VirtualRule& rule) {
    RtnlRule r(rtnl_rule_alloc());
    if (!r) return std::unexpected(std::string("netlink: out of memory"));
    const bool v6 = rule.ipv6;
    rtnl_rule_set_family(r.get(), v6 ? AF_INET6 : AF_INET);
    if (auto x = selector(r.get(), rule.from, rule.from_len, v6, true); !x)
        return std::unexpected(x.error());
    if (auto x = selector(r.get(), rule.to, rule.to_len, v6, false); !x)
        return std::unexpected(x.error());
    if (rule.priority) rtnl_rule_set_prio(r.get(), *rule.priority);
    rtnl_rule_set_action(r.get(), action_of(rule.action));
    if (rule.action == VirtualRule::Action::table) rtnl_rule_set_table(r.get(), rule.table);
    if (rule.action == VirtualRule::Action::goto_) rtnl_rule_set_goto(r.get(), rule.goto_target);
    if (rule.fwmark) rtnl_rule_set_mark(r.get(), *rule.fwmark);
    if (rule.fwmask) rtnl_rule_set_mask(r.get(), *rule.fwmask);
    if (rule.tos) rtnl_rule_set_dsfield(r.get(), *rule.tos);
    if (rule.realms) rtnl_rule_set_realms(r.get(), *rule.realms);
    if (rule.l3mdev) rtnl_rule_set_l3mdev(r.get(), 1);
    auto check = [](int err) -> std::expected<void, std::string> {
        if (err < 0) return std::unexpected("netlink: " + nl_error_text(err));
        return {};
    };
    std::expected<void, std::string> ok;
    if (ok && !rule.iif.empty()) ok = check(rtnl_rule_set_iif(r.get(), rule.iif.c_str()));
    if (ok && !rule.oif.empty()) ok = check(rtnl_rule_set_oif(r.get(), rule.oif.c_str()));
    if (ok) ok = check(rtnl_rule_set_protocol(r.get(), rule.protocol.value_or(kRouteProtocol)));
    if (ok && rule.ipproto) ok = check(rtnl_rule_set_ipproto(r.get(), *rule.ipproto));
    if (ok && rule.sport)
        ok = check(rtnl_rule_set_sport_range(r.get(), rule.sport->first, rule.sport->second));
    if (ok && rule.dport)
        ok = check(rtnl_rule_set_dport_range(r.get(), rule.dport->first, rule.dport->second));
    if (!ok) return std::unexpected(ok.error());
    return r;
}

std::expected<NlMsg, std::string> rule_request(const VirtualRule& rule, bool add) {
    auto r = make_rule(rule);
    if (!r) return std::unexpected(r.error());
    nl_msg* raw = nullptr;
    // NLM_F_EXCL: the kernel otherwise adds an identical rule a second time.
    int err = add ? rtnl_rule_build_add_request(r->get(), NLM_F_EXCL, &raw)
                  : rtnl_rule_build_delete_request(r->get(), 0, &raw);
    if (err < 0) return std::unexpected("netlink: " + nl_error_text(err));
    NlMsg msg(raw);
    if (rule.invert)
        static_cast<fib_rule_hdr*>(nlmsg_data(nlmsg_hdr(raw)))->flags |= FIB_RULE_INVERT;
    bool fits = true;
    if (rule.uidrange) {
        const fib_rule_uid_range u{rule.uidrange->first, rule.uidrange->second};
        fits = fits && nla_put(raw, FRA_UID_RANGE, sizeof u, &u) >= 0;
    }
    if (rule.suppress_prefixlength)
        fits = fits && nla_put_u32(raw, FRA_SUPPRESS_PREFIXLEN, *rule.suppress_prefixlength) >= 0;
    if (rule.suppress_ifgroup)
        fits = fits && nla_put_u32(raw, FRA_SUPPRESS_IFGROUP, *rule.suppress_ifgroup) >= 0;
    if (!fits) return std::unexpected(std::string("netlink: message too long"));
    return msg;
}

std::expected<RuleManager, std::string> RuleManager::open() {
    auto sk = open_route_socket();
    if (!sk) return std::unexpected(sk.error());
    return RuleManager(std::move(*sk));
}

std::expected<void, std::string> RuleManager::add(const VirtualRule& rule) {
    auto msg = rule_request(rule, true);
    if (!msg) {
        ++counters_.add_failed;
        return std::unexpected(msg.error());
    }
    int err = send_and_ack(sk_.get(), std::move(*msg));
    if (err == -NLE_EXIST) {
        ++counters_.already_present;
        return {};
    }
    if (err < 0) {
        ++counters_.add_failed;
        return std::unexpected(
            fmt::format("adding rule {}: {}", describe(rule), nl_error_text(err)));
    }
    ++counters_.added;
    return {};
}

std::expected<void, std::string> RuleManager::remove(const VirtualRule& rule) {
    auto msg = rule_request(rule, false);
    if (!msg) {
        ++counters_.remove_failed;
        return std::unexpected(msg.error());
    }
    int err = send_and_ack(sk_.get(), std::move(*msg));
    if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NOADDR) {
        ++counters_.already_absent;
        return {};
    }
    if (err < 0) {
        ++counters_.remove_failed;
        return std::unexpected(
            fmt::format("removing rule {}: {}", describe(rule), nl_error_text(err)));
    }
    ++counters_.removed;
    return {};
}

}  // namespace vigil::vrrp
