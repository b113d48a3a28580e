// Cross-references, global defaults and keepalived's start-up checks, once the file is read.
#include "config/context.hpp"

#include <algorithm>
#include <memory>
#include <set>
#include <unordered_set>

namespace vigil::config {
namespace {

using I = vrrp::InstanceConfig;

void finalize_instance(Ctx& c, I& in, const InstanceExtra& ex) {
    const auto& g = c.cfg.global;
    if (!in.vips.empty()) in.ipv6 = in.vips.front().address.is_v6();
    // keepalived: IPv6 speaks VRRPv3 unless the instance itself says otherwise; global
    // vrrp_version applies to IPv4 only.
    in.version = ex.version.value_or(in.ipv6 ? 3 : g.vrrp_version);
    in.strict = in.strict || g.vrrp_strict;
    in.down_timer_adverts = ex.down_timer_adverts.value_or(g.vrrp_down_timer_adverts);
    if (in.use_vmac && in.vmac_name.empty() && !g.vmac_prefix.empty())
        in.vmac_name = g.vmac_prefix + "." + std::to_string(in.vrid);
    in.lower_prio_no_advert =
        ex.lower_prio_no_advert.value_or(g.vrrp_lower_prio_no_advert.value_or(in.strict));
    in.higher_prio_send_advert =
        ex.higher_prio_send_advert.value_or(g.vrrp_higher_prio_send_advert);
    in.skip_check_adv_addr = in.skip_check_adv_addr || g.vrrp_skip_check_adv_addr;
    if (!in.mcast_group) in.mcast_group = in.ipv6 ? g.vrrp_mcast_group6 : g.vrrp_mcast_group4;
    if (!ex.garp_delay) in.garp.master_delay = g.vrrp_garp_master_delay;
    if (!ex.garp_repeat) in.garp.master_repeat = g.vrrp_garp_master_repeat;
    if (!ex.garp_refresh) in.garp.master_refresh = g.vrrp_garp_master_refresh;
    if (!ex.garp_refresh_repeat) in.garp.master_refresh_repeat = g.vrrp_garp_master_refresh_repeat;
    if (!ex.garp_lower_delay) in.garp.lower_prio_delay = g.vrrp_garp_lower_prio_delay;
    if (!ex.garp_lower_repeat) in.garp.lower_prio_repeat = g.vrrp_garp_lower_prio_repeat;
    if (!ex.garp_interval) in.garp.interval = g.vrrp_garp_interval;
    if (!ex.gna_interval) in.garp.na_interval = g.vrrp_gna_interval;
    // An interface in a garp_group is paced by the group (across instances), not the global.
    for (const auto& gg : c.cfg.vrrp.garp_groups)
        if (std::find(gg.interfaces.begin(), gg.interfaces.end(), in.interface) !=
            gg.interfaces.end()) {
            if (!ex.garp_interval) in.garp.interval = {};
            if (!ex.gna_interval) in.garp.na_interval = {};
        }
    if (!ex.garp_extra_if) {
        in.garp.extra_if = g.vrrp_garp_extra_if;
        in.garp.extra_if_all = g.vrrp_garp_extra_if_all;
    }
    in.check_unicast_src = in.check_unicast_src || g.vrrp_check_unicast_src;
    in.vmac_addr_prefix = !g.vmac_addr_prefix.empty() ? g.vmac_addr_prefix
                          : !g.vmac_prefix.empty()    ? g.vmac_prefix
                                                      : "vrrp";
    if (in.use_ipvlan && in.ipvlan_name.empty() && !g.vmac_prefix.empty())
        in.ipvlan_name = g.vmac_prefix + "." + std::to_string(in.vrid);

    using std::chrono::microseconds;
    microseconds advert = ex.advert.value_or(std::chrono::seconds(1));
    if (in.version == 2) {
        long long secs = (advert.count() + 500'000) / 1'000'000;
        if (secs < 1) secs = 1;
        if (secs * 1'000'000 != advert.count())
            c.strict(ex.advert_tok, "(" + in.name +
                                        ") VRRPv2 advertisement interval must be an integer: "
                                        "rounded to " +
                                        std::to_string(secs) + " s");
        in.advert_interval = std::chrono::seconds(secs);
    } else {
        long long cs = (advert.count() + 5'000) / 10'000;
        if (cs < 1) cs = 1;
        if (cs > 4095) {
            c.error(ex.advert_tok, "(" + in.name + ") VRRPv3 advert_int must be at most 40.95 s");
            cs = 4095;
        }
        if (cs * 10'000 != advert.count())
            c.strict(ex.advert_tok, "(" + in.name + ") VRRPv3 advert_int rounded to " +
                                        std::to_string(cs * 10) + " ms");
        in.advert_interval = microseconds(cs * 10'000);
    }

    if (!in.preempt && in.preempt_delay.count() != 0) {
        c.strict(ex.key,
                 "(" + in.name + ") preempt_delay is incompatible with nopreempt mode - resetting");
        in.preempt_delay = {};
    }
    if (in.vips.empty())
        c.strict(ex.key, "(" + in.name + ") No VIP specified; at least one is sensible");
    if (ex.nopreempt && in.state == I::InitialState::master) {
        c.strict(ex.nopreempt_tok, "(" + in.name +
                                       ") Warning - nopreempt will not work with initial state "
                                       "MASTER - clearing");
        in.preempt = true;
    }
    // keepalived: a MASTER with no priority is the address owner.
    if (!ex.priority_set && in.state == I::InitialState::master) in.priority = 255;
    for (const auto& t : in.track_interfaces)
        if (t.name == in.interface && !in.interface.empty())
            c.strict(ex.key, "(" + in.name + ") Ignoring track_interface " + t.name +
                                 " since own interface");
    if (in.auth == I::Auth::ah && in.state == I::InitialState::master && in.priority != 255) {
        c.strict(ex.key, "(" + in.name +
                             ") Initial state master is incompatible with AH authentication - "
                             "clearing");
        in.state = I::InitialState::backup;
    }
    if (ex.long_pass)
        c.strict(*ex.long_pass, "(" + in.name + ") Truncating auth_pass to 8 characters");
    if (ex.promote_secondaries && (in.use_vmac || in.use_ipvlan)) {
        c.strict(*ex.promote_secondaries,
                 "(" + in.name + ") promote_secondaries is automatically set for vmacs - ignoring");
        in.promote_secondaries = false;
    }
    // keepalived takes both silently; the ipvlan is what it makes.
    if (in.use_ipvlan) in.use_vmac = false;
    if (in.use_ipvlan && in.ipvlan_address && in.ipvlan_address->address.is_v6() != in.ipv6) {
        c.error(*ex.ipvlan_tok, "(" + in.name + "): address family must match VRRP instance [" +
                                    in.ipvlan_address->address.to_string() + "] - ignoring");
        in.ipvlan_address.reset();
    }
    if (in.use_ipvlan && !in.ipv6 && !in.ipvlan_address)
        c.strict(*ex.ipvlan_tok, "(" + in.name +
                                     ") IPv4 ipvlan requires a source ip address to be "
                                     "configured. setting instance to fault state");
    if (in.vmac_xmit_base && in.use_ipvlan) {
        c.strict(ex.key, "(" + in.name + ") vmac_xmit_base is only valid with a vmac");
        in.vmac_xmit_base = false;
    }
    if (ex.unicast_kw && in.unicast_peers.empty() && !in.unicast_fault_no_peer)
        c.strict(*ex.unicast_kw, "(" + in.name +
                                     ") A unicast keyword has been specified without any unicast "
                                     "peers. Defaulting to multicast.");
    if (in.strict) {
        if (in.auth != I::Auth::none) {
            c.strict(ex.key,
                     "(" + in.name + ") Strict mode does not support authentication. Ignoring.");
            in.auth = I::Auth::none;
        }
        if (!in.unicast_peers.empty())
            c.strict(ex.key, "(" + in.name + ") Strict mode does not support unicast.");
        if (in.accept && in.version == 2) {
            c.strict(ex.key, "(" + in.name +
                                 ") Strict mode requires no accept mode for VRRPv2 - disabling");
            in.accept = false;
        }
    }
    if (in.version == 3 && in.auth != I::Auth::none) {
        c.strict(ex.key, "(" + in.name + ") VRRPv3 does not support authentication - clearing");
        in.auth = I::Auth::none;
    }
    for (const auto& v : in.vips)
        if (v.address.is_v6() != in.ipv6) {
            c.strict(ex.key, "(" + in.name + ") address family of the virtual addresses differ");
            break;
        }
}

// Commands without their own user run as the global script_user, or as keepalived does
// without one: keepalived_script when that user exists, else root. Looked up at the first
// command that needs it: a configuration without scripts reads no user database.
struct ScriptUser {
    Ctx& c;
    std::optional<std::string> name;
    const std::string& get() {
        if (!name) {
            const auto& g = c.cfg.global;
            name = !g.script_user.empty() ? g.script_user
                   : c.opt.check_users && c.host.user_exists("keepalived_script")
                       ? "keepalived_script"
                       : "root";
        }
        return *name;
    }
};

template <class Cmd>
void fill_user(Cmd& cmd, ScriptUser& user, const std::string& group) {
    if (cmd.argv.empty() || !cmd.user.empty()) return;
    cmd.user = user.get();
    if (cmd.group.empty()) cmd.group = group;
}

template <class Cmd>
void fill_user(std::shared_ptr<const Cmd>& cmd, ScriptUser& user, const std::string& group) {
    if (!cmd || cmd->argv.empty() || !cmd->user.empty()) return;
    auto filled = std::make_shared<Cmd>(*cmd);
    fill_user(*filled, user, group);
    cmd = std::move(filled);
}

void apply_script_user(Ctx& c) {
    ScriptUser user{c, std::nullopt};
    const std::string group = c.cfg.global.script_group;
    auto n = [&](vrrp::NotifyConfig& nc) {
        for (auto* cmd :
             {&nc.master, &nc.backup, &nc.fault, &nc.stop, &nc.generic, &nc.master_rx_lower_pri})
            fill_user(*cmd, user, group);
    };
    for (auto& in : c.cfg.vrrp.instances)
        if (*in.notify != vrrp::NotifyConfig{}) n(in.notify.edit());
    for (auto& sg : c.cfg.vrrp.sync_groups) n(sg.notify);
    for (auto& s : c.cfg.vrrp.scripts) fill_user(s.command, user, group);
    for (auto* f : {&c.cfg.global.notify_fifo, &c.cfg.global.vrrp_notify_fifo,
                    &c.cfg.global.lvs_notify_fifo}) {
        // keepalived: a FIFO it creates belongs to the script user unless its line names one.
        if (!f->path.empty() && f->user.empty()) {
            f->user = user.get();
            if (f->group.empty()) f->group = group;
        }
        if (!f->script.empty() && f->script_user.empty()) {
            f->script_user = user.get();
            if (f->script_group.empty()) f->script_group = group;
        }
    }
    for (auto& vs : c.cfg.lvs.virtual_servers) {
        fill_user(vs.quorum_up, user, group);
        fill_user(vs.quorum_down, user, group);
        for (auto& rs : vs.real_servers) {
            fill_user(rs.notify_up, user, group);
            fill_user(rs.notify_down, user, group);
        }
    }
    for (auto& b : c.cfg.checks)
        if (auto* m = std::get_if<checkers::MiscCheck>(&b.check.kind))
            fill_user(m->command, user, group);
}

// Global smtp_alert / smtp_alert_vrrp / smtp_alert_checker are defaults for what does not
// say smtp_alert itself.
void apply_smtp_alert(Ctx& c) {
    const auto& g = c.cfg.global;
    bool vrrp_default = g.smtp_alert_vrrp.value_or(g.smtp_alert);
    bool checker_default = g.smtp_alert_checker.value_or(g.smtp_alert);
    auto& vr = c.cfg.vrrp;
    for (std::size_t i = 0; i < vr.instances.size(); ++i)
        if (!c.inst_extra[i].smtp_alert_set) vr.instances[i].smtp_alert = vrrp_default;
    std::unordered_set<std::size_t> sg_set(c.sync_group_smtp_set.begin(),
                                           c.sync_group_smtp_set.end());
    for (std::size_t i = 0; i < vr.sync_groups.size(); ++i)
        if (!sg_set.count(i)) vr.sync_groups[i].smtp_alert = vrrp_default;
    if (!checker_default) return;  // the parsed values already say false
    std::set<std::pair<std::size_t, std::size_t>> set(c.lvs_smtp_set.begin(), c.lvs_smtp_set.end());
    auto& vss = c.cfg.lvs.virtual_servers;
    for (std::size_t v = 0; v < vss.size(); ++v) {
        if (!set.count({v, std::size_t(-1)})) vss[v].smtp_alert = true;
        for (std::size_t r = 0; r < vss[v].real_servers.size(); ++r)
            if (!set.count({v, r})) vss[v].real_servers[r].smtp_alert = true;
    }
}

// checker_log_all_failures is the default of checkers that do not say log_all_failures.
void apply_log_all_failures(Ctx& c) {
    if (!c.cfg.global.checker_log_all_failures) return;
    const auto& set = c.log_all_failures_set;  // ascending
    auto& checks = c.cfg.checks;
    for (std::size_t i = 0; i < checks.size(); ++i)
        if (!std::binary_search(set.begin(), set.end(), i)) checks[i].check.log_all_failures = true;
}

// keepalived: members of a sync group without sync_group_tracking_weight lose their tracking
// weights (interfaces, files and processes then put the instance in FAULT) and weighted
// scripts are dropped.
void drop_sync_group_weights(Ctx& c) {
    auto& vr = c.cfg.vrrp;
    std::unordered_set<std::string> weighted_ok;
    for (const auto& sg : vr.sync_groups)
        if (sg.tracking_weight) weighted_ok.insert(sg.name);
    std::unordered_map<std::string, int> script_weight;
    for (const auto& s : vr.scripts) script_weight[s.name] = s.weight;
    std::unordered_map<std::string, int> file_weight;
    for (const auto& f : vr.track_files) file_weight[f.name] = f.weight;
    for (std::size_t i = 0; i < vr.instances.size(); ++i) {
        auto& in = vr.instances[i];
        if (in.sync_group.empty() || weighted_ok.count(in.sync_group)) continue;
        const SourceLoc at = c.inst_extra[i].key;
        bool if_warning = false;
        for (auto& t : in.track_interfaces)
            if (t.weight != 0) {
                t.weight = 0;
                if_warning = true;
            }
        if (if_warning)
            c.warn(at, "(" + in.name + ") ignoring weights of tracked interface due to SYNC group");
        std::erase_if(in.track_scripts, [&](const vrrp::TrackRef& r) {
            auto it = script_weight.find(r.name);
            int w = r.weight.value_or(it == script_weight.end() ? 0 : it->second);
            if (w == 0) return false;
            c.warn(at, "(" + in.name + ") ignoring tracked script " + r.name +
                           " with weights due to SYNC group");
            return true;
        });
        // A tracked process counts by its quorum alone (weight 0: lost means FAULT).
        drop_process_weights(c, in.track_processes, in.name, at);
        for (auto& r : in.track_files) {
            auto it = file_weight.find(r.name);
            int w = r.weight.value_or(it == file_weight.end() ? 0 : it->second);
            if (w == 0) continue;
            r.weight = 0;
            c.warn(at, "(" + in.name + ") ignoring weight of tracked file " + r.name +
                           " due to SYNC group");
        }
    }
}

// IPSEC-AH is not implemented: an AH instance does not run rather than advertise
// unauthenticated. Last, as it breaks the parallel indexing of inst_extra.
void refuse_ah(Ctx& c) {
    auto& v = c.cfg.vrrp.instances;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i].auth != I::Auth::ah) continue;
        const auto& ex = c.inst_extra[i];
        c.strict(ex.ah_tok ? *ex.ah_tok : ex.key,
                 "(" + v[i].name +
                     ") auth_type AH is not supported by vigild: the instance is disabled rather "
                     "than advertise unauthenticated");
    }
    std::erase_if(v, [](const I& in) { return in.auth == I::Auth::ah; });
}

}  // namespace

void drop_process_weights(Ctx& c, std::vector<vrrp::TrackRef>& refs, const std::string& owner,
                          SourceLoc at) {
    for (auto& r : refs)
        if (r.weight.value_or(0) != 0) {
            c.warn(at, "(" + owner + ") ignoring weight of tracked process " + r.name +
                           " due to SYNC group");
            r.weight = 0;
        }
}

// keepalived disables the sync daemon when its instance is missing; its syncid defaults to
// the instance's VRID.
void bind_lvs_sync_daemon(Ctx& c) {
    auto& sd = c.cfg.global.lvs_sync_daemon;
    if (!sd || !c.lvs_sync) return;
    for (const auto& in : c.cfg.vrrp.instances)
        if (in.name == sd->instance) {
            if (!c.lvs_sync->id_set) sd->daemon.sync_id = in.vrid;
            return;
        }
    c.warn(c.lvs_sync->instance,
           "lvs_sync_daemon vrrp instance " + sd->instance + " not found - disabling syncd");
    sd.reset();
}

void validate(Ctx& c) {
    auto& vr = c.cfg.vrrp;
    vr.startup_delay = c.cfg.global.vrrp_startup_delay;
    vr.dynamic_interfaces = c.cfg.global.dynamic_interfaces;
    for (auto& a : vr.static_addresses)
        if (a.dev.empty()) a.dev = c.cfg.global.default_interface;

    for (std::size_t i = 0; i < vr.instances.size(); ++i)
        finalize_instance(c, vr.instances[i], c.inst_extra[i]);

    // Duplicate names and VRIDs on one interface.
    std::unordered_map<std::string, std::size_t> by_name;
    for (std::size_t i = 0; i < vr.instances.size(); ++i) {
        auto [it, fresh] = by_name.emplace(vr.instances[i].name, i);
        if (!fresh)
            c.error(c.inst_extra[i].key,
                    "vrrp_instance " + vr.instances[i].name + " is defined twice");
    }

    // Sync groups fill each instance's sync_group.
    for (const auto& [key, tok] : c.sync_group_instances) {
        auto sep = key.find('\0');
        std::string group = key.substr(0, sep), name = key.substr(sep + 1);
        auto it = by_name.find(name);
        if (it == by_name.end()) {
            c.strict(tok, "vrrp_sync_group " + group + ": virtual router " + name +
                              " specified but not found");
            continue;
        }
        auto& in = vr.instances[it->second];
        if (!in.sync_group.empty() && in.sync_group != group)
            c.strict(tok, "vrrp_instance " + name + " is already in sync group " + in.sync_group);
        else
            in.sync_group = group;
    }

    drop_sync_group_weights(c);
    drop_bfd_sync_weights(c);

    for (const auto& sg : vr.sync_groups)
        if (sg.instances.size() == 1)
            c.strict_noloc("Sync group " + sg.name +
                           " has only 1 virtual router(s) - this "
                           "probably isn't what you want");

    // Track script references.
    std::unordered_set<std::string> scripts;
    for (const auto& s : vr.scripts) scripts.insert(s.name);
    for (const auto& ex : c.inst_extra)
        for (const auto& [name, tok] : ex.track_scripts)
            if (!scripts.count(name))
                c.strict(tok, "track_script " + name +
                                  " not found (no vrrp_script of that name), ignoring");

    // keepalived runs no vrrp_script that nothing tracks.
    std::unordered_set<std::string> used;
    for (const auto& in : vr.instances)
        for (const auto& r : in.track_scripts) used.insert(r.name);
    for (const auto& sg : vr.sync_groups)
        for (const auto& r : sg.track_scripts) used.insert(r.name);
    std::erase_if(vr.scripts, [&](const vrrp::ScriptConfig& s) {
        if (used.count(s.name)) return false;
        c.warn_noloc("Warning - script " + s.name + " is not used");
        return true;
    });

    // Script files and script security.
    if (c.opt.check_scripts) {
        const auto& g = c.cfg.global;
        const bool have_ka_user =
            c.scripts.empty() || !c.opt.check_users || c.host.user_exists("keepalived_script");
        bool violation = false;
        std::unordered_set<std::string> disabled;
        for (const auto& s : c.scripts) {
            // keepalived looks a bare name up in PATH, as the script runner does.
            bool present =
                !s.argv.empty() && !s.argv.front().empty() && c.host.executable(s.argv.front());
            Token at;
            at.loc = s.loc;
            if (g.enable_script_security && g.script_user.empty() && s.user.empty() &&
                !have_ka_user)
                c.strict(at, "Unable to set default user keepalived_script for script " +
                                 (s.argv.empty() ? std::string() : s.argv.front()));
            if (!present) {
                if (s.kind == ScriptUse::Kind::track && disabled.insert(s.owner).second)
                    c.strict(at,
                             "Disabling track script " + s.owner + " since not found/accessible");
                continue;
            }
            bool as_root;
            if (!s.user.empty())
                as_root = s.user == "root";
            else if (!g.script_user.empty())
                as_root = g.script_user == "root";
            else
                as_root = !have_ka_user;
            if (as_root && !g.enable_script_security && !violation) {
                violation = true;
                c.strict(at,
                         "SECURITY VIOLATION - scripts are being executed but script_security not "
                         "enabled.");
            }
        }
    }
    bind_lvs_sync_daemon(c);
    apply_script_user(c);
    apply_smtp_alert(c);
    apply_log_all_failures(c);
    refuse_ah(c);
}

}  // namespace vigil::config
