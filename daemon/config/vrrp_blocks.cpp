// vrrp_instance, vrrp_sync_group, vrrp_script, vrrp_track_file, vrrp_track_process, static_*,
// garp_group and bfd_instance blocks.
#include <net/if.h>

#include <algorithm>

#include "config/context.hpp"

namespace vigil::config {
namespace {

using I = vrrp::InstanceConfig;

struct InstanceTarget {
    I& in;
    InstanceExtra& ex;
};

void notify(Ctx& c, const Node& n, vrrp::Command& out) {
    vrrp::Command cmd;
    if (user_command_into(c, n, cmd, ScriptUse::Kind::notify)) out = std::move(cmd);
}

void vip_block(Ctx& c, const Node& n, std::vector<vrrp::VirtualAddress>& out) {
    for (const auto& line : n.children)
        if (auto v = parse_address_line(c, line)) out.push_back(std::move(*v));
}

void route_block(Ctx& c, const Node& n, std::vector<vrrp::VirtualRoute>& out) {
    for (const auto& line : n.children)
        if (auto r = parse_route_line(c, line)) out.push_back(std::move(*r));
}

void rule_block(Ctx& c, const Node& n, std::vector<vrrp::VirtualRule>& out) {
    for (const auto& line : n.children)
        if (auto r = parse_rule_line(c, line)) out.push_back(std::move(*r));
}

void track_interface(Ctx& c, const Node& n, std::vector<vrrp::TrackInterface>& out) {
    for (const auto& line : n.children) {
        vrrp::TrackInterface t;
        t.name = std::string(line.key.text);
        c.interface_exists(line.key, line.key.text);
        if (line.args.size() >= 2 && line.args[0].text == "weight") {
            Node tmp = line;
            tmp.args.erase(tmp.args.begin());
            if (auto w = c.integer(tmp, 0, -254, 254)) t.weight = int(*w);
        }
        out.push_back(std::move(t));
    }
}

std::vector<vrrp::TrackRef> track_refs(Ctx& c, const Node& n,
                                       std::vector<std::pair<std::string, SourceLoc>>* names) {
    std::vector<vrrp::TrackRef> out;
    for (const auto& line : n.children) {
        vrrp::TrackRef r;
        r.name = std::string(line.key.text);
        if (line.args.size() >= 2 && line.args[0].text == "weight") {
            Node tmp = line;
            tmp.args.erase(tmp.args.begin());
            if (auto w = c.integer(tmp, 0, -254, 254)) r.weight = int(*w);
            if (line.args.size() >= 3 && line.args[2].text == "reverse") r.reverse = true;
        }
        if (names) names->push_back({r.name, line.key});
        out.push_back(std::move(r));
    }
    return out;
}

// track_process { NAME [weight W [reverse|noreverse]] } with keepalived's messages. As in
// keepalived, the vrrp_track_process must come first in the file; the weight and direction are
// resolved here.
std::vector<vrrp::TrackRef> track_process_refs(Ctx& c, const Node& n, const std::string& owner) {
    std::vector<vrrp::TrackRef> out;
    for (const auto& line : n.children) {
        const std::string name(line.key.text);
        const auto& procs = c.cfg.vrrp.track_processes;
        auto p =
            std::find_if(procs.begin(), procs.end(), [&](const auto& x) { return x.name == name; });
        if (p == procs.end()) {
            c.strict(line.key, "(" + owner + ") track process " + name + " not found, ignoring...");
            continue;
        }
        if (std::any_of(out.begin(), out.end(), [&](const auto& r) { return r.name == name; })) {
            c.strict(line.key, "(" + owner + ") duplicate track_process " + name + " - ignoring");
            continue;
        }
        vrrp::TrackRef r{name, p->weight, p->weight_reverse};
        const auto& a = line.args;
        if (!a.empty()) {
            if (a[0].text != "weight") {
                c.strict(a[0], "(" + owner + ") unknown track process " + name + " option " +
                                   std::string(a[0].text) + " - ignoring");
                continue;
            }
            if (a.size() < 2) {
                c.strict(a[0], "(" + owner + ") weight without value specified for track process " +
                                   name + " - ignoring");
                continue;
            }
            auto w = parse_integer(a[1].text);
            if (w && *w >= -254 && *w <= 254)
                r.weight = int(*w);
            else
                c.error(a[1], "(" + owner + ") weight for track process " + name +
                                  " must be in [-254..254] inclusive. Ignoring...");
            if (a.size() >= 3) {
                if (a[2].text == "reverse")
                    r.reverse = true;
                else if (a[2].text == "noreverse")
                    r.reverse = false;
                else
                    c.error(a[2], "(" + owner + ") unknown track_process " + name +
                                      " weight option " + std::string(a[2].text) + " - ignoring");
            }
        }
        out.push_back(std::move(r));
    }
    return out;
}

void auth_block(Ctx& c, const Node& n, InstanceTarget& t) {
    t.ex.auth_block = true;
    for (const auto& ch : n.children) {
        if (ch.key.text == "auth_type") {
            if (!c.need_args(ch, 1)) continue;
            auto v = ch.args[0].text;
            if (v == "PASS")
                t.in.auth = I::Auth::pass;
            else if (v == "AH") {
                t.in.auth = I::Auth::ah;
                t.ex.ah_tok = ch.args[0];
            } else
                c.error(ch.args[0], "auth_type: expected PASS or AH, got '" + std::string(v) + "'");
        } else if (ch.key.text == "auth_pass") {
            if (!c.need_args(ch, 1)) continue;
            t.in.auth_pass = c.string_arg(ch);
            if (t.in.auth_pass.size() > 8) {
                t.ex.long_pass = ch.args[0];
                t.in.auth_pass.resize(8);
            }
        } else {
            c.unknown(ch);
        }
    }
}

// use_ipvlan [NAME] [ADDRESS[/LEN]] [bridge|private|vepa], in that order, each optional.
void use_ipvlan(Ctx& c, const Node& n, InstanceTarget& t) {
    t.in.use_ipvlan = true;
    t.ex.ipvlan_tok = n.key;
    auto mode = [](std::string_view w) -> std::optional<I::IpvlanMode> {
        if (w == "bridge") return I::IpvlanMode::bridge;
        if (w == "private") return I::IpvlanMode::private_;
        if (w == "vepa") return I::IpvlanMode::vepa;
        return std::nullopt;
    };
    std::size_t i = 0;
    if (i < n.args.size() && !parse_prefix(n.args[i].text) && !mode(n.args[i].text)) {
        if (n.args[i].text.size() >= IF_NAMESIZE)
            c.strict(n.key, "(" + t.in.name + ") IPVLAN interface name '" +
                                std::string(n.args[i].text) + "' too long - ignoring");
        else
            t.in.ipvlan_name = std::string(n.args[i].text);
        ++i;
    }
    if (i < n.args.size())
        if (auto p = parse_prefix(n.args[i].text)) {
            vrrp::VirtualAddress a;
            a.address = p->address;
            a.prefix_len = p->has_length ? p->length : (p->address.is_v4() ? 32 : 128);
            t.in.ipvlan_address = a;
            ++i;
        }
    if (i < n.args.size())
        if (auto m = mode(n.args[i].text)) {
            t.in.ipvlan_mode = *m;
            ++i;
        }
    if (i < n.args.size())
        c.strict(n.key, "(" + t.in.name + ") IPVLAN interface already specified - ignoring '" +
                            std::string(n.args[i].text) + "'");
}

void garp_secs(Ctx& c, const Node& n, vrrp::Duration& out, bool& set) {
    if (auto v = c.integer(n, 0, 0, 4294967)) {
        out = std::chrono::seconds(*v);
        set = true;
    }
}

const KeywordTable<InstanceTarget>& instance_table() {
    using T = InstanceTarget;
    static const KeywordTable<T> t{
        {"state",
         [](Ctx& c, const Node& n, T& t) {
             if (!c.need_args(n, 1)) return;
             auto v = n.args[0].text;
             if (v == "MASTER")
                 t.in.state = I::InitialState::master;
             else if (v == "BACKUP")
                 t.in.state = I::InitialState::backup;
             else
                 c.strict(n.args[0], "unknown state '" + std::string(v) +
                                         "', expected MASTER or BACKUP; defaulting to BACKUP");
         }},
        {"interface",
         [](Ctx& c, const Node& n, T& t) {
             if (!c.need_args(n, 1)) return;
             t.in.interface = std::string(n.args[0].text);
             c.interface_exists(n.args[0], n.args[0].text);
         }},
        {"virtual_router_id",
         [](Ctx& c, const Node& n, T& t) {
             if (auto v = c.integer(n, 0, 1, 255, true)) t.in.vrid = std::uint8_t(*v);
         }},
        {"priority",
         [](Ctx& c, const Node& n, T& t) {
             t.ex.priority_set = true;
             if (auto v = c.integer(n, 0, 1, 255)) t.in.priority = std::uint8_t(*v);
         }},
        {"advert_int",
         [](Ctx& c, const Node& n, T& t) {
             if (auto v = c.seconds(n, 0, 0.01, 255)) {
                 t.ex.advert = *v;
                 t.ex.advert_tok = n.args[0];
             }
         }},
        {"version",
         [](Ctx& c, const Node& n, T& t) {
             if (auto v = c.integer(n, 0, 2, 3)) t.ex.version = int(*v);
         }},
        {"nopreempt",
         [](Ctx&, const Node& n, T& t) {
             t.in.preempt = false;
             t.ex.nopreempt = true;
             t.ex.nopreempt_tok = n.key;
         }},
        {"preempt", [](Ctx&, const Node&, T& t) { t.in.preempt = true; }},
        {"preempt_delay",
         [](Ctx& c, const Node& n, T& t) {
             if (auto v = c.seconds(n, 0, 0, 1000)) t.in.preempt_delay = *v;
         }},
        {"authentication", [](Ctx& c, const Node& n, T& t) { auth_block(c, n, t); }},
        {"mcast_src_ip",
         [](Ctx& c, const Node& n, T& t) {
             if (!c.need_args(n, 1)) return;
             auto p = parse_prefix(n.args[0].text);
             if (!p)
                 c.error(n.args[0], "mcast_src_ip: expected an address, got '" +
                                        std::string(n.args[0].text) + "'");
             else
                 t.in.mcast_src = p->address;
         }},
        {"unicast_src_ip",
         [](Ctx& c, const Node& n, T& t) {
             t.ex.unicast_kw = n.key;
             if (!c.need_args(n, 1)) return;
             auto p = parse_prefix(n.args[0].text);
             if (!p)
                 c.error(n.args[0], "unicast_src_ip: expected an address, got '" +
                                        std::string(n.args[0].text) + "'");
             else
                 t.in.unicast_src = p->address;
         }},
        {"unicast_ttl",
         [](Ctx& c, const Node& n, T& t) {
             t.ex.unicast_kw = n.key;
             if (auto v = c.integer(n, 0, 1, 255)) t.in.unicast_ttl = std::uint8_t(*v);
         }},
        {"unicast_peer",
         [](Ctx& c, const Node& n, T& t) {
             t.ex.unicast_kw = n.key;
             for (const auto& line : n.children) {
                 auto p = parse_prefix(line.key.text);
                 if (!p)
                     c.error(line.key, "unicast_peer: expected an address, got '" +
                                           std::string(line.key.text) + "'");
                 else
                     t.in.unicast_peers.push_back(p->address);
             }
         }},
        {"mcast_dst_ip",
         [](Ctx& c, const Node& n, T& t) {
             if (auto a = c.address(n, 0)) t.in.mcast_group = a;
         }},
        {"virtual_ipaddress", [](Ctx& c, const Node& n, T& t) { vip_block(c, n, t.in.vips); }},
        {"virtual_ipaddress_excluded",
         [](Ctx& c, const Node& n, T& t) { vip_block(c, n, t.in.excluded_vips); }},
        {"virtual_routes", [](Ctx& c, const Node& n, T& t) { route_block(c, n, t.in.routes); }},
        {"virtual_rules", [](Ctx& c, const Node& n, T& t) { rule_block(c, n, t.in.rules); }},
        {"track_interface",
         [](Ctx& c, const Node& n, T& t) { track_interface(c, n, t.in.track_interfaces); }},
        {"track_script", [](Ctx& c, const Node& n,
                            T& t) { t.in.track_scripts = track_refs(c, n, &t.ex.track_scripts); }},
        {"track_file",
         [](Ctx& c, const Node& n, T& t) { t.in.track_files = track_refs(c, n, nullptr); }},
        {"track_process", [](Ctx& c, const Node& n,
                             T& t) { t.in.track_processes = track_process_refs(c, n, t.in.name); }},
        {"track_bfd",
         [](Ctx& c, const Node& n, T& t) { t.in.track_bfds = track_bfd_refs(c, n, t.in.name); }},
        {"notify_master",
         [](Ctx& c, const Node& n, T& t) { notify(c, n, t.in.notify.edit().master); }},
        {"notify_backup",
         [](Ctx& c, const Node& n, T& t) { notify(c, n, t.in.notify.edit().backup); }},
        {"notify_fault",
         [](Ctx& c, const Node& n, T& t) { notify(c, n, t.in.notify.edit().fault); }},
        {"notify_stop", [](Ctx& c, const Node& n, T& t) { notify(c, n, t.in.notify.edit().stop); }},
        {"notify", [](Ctx& c, const Node& n, T& t) { notify(c, n, t.in.notify.edit().generic); }},
        {"notify_master_rx_lower_pri",
         [](Ctx& c, const Node& n, T& t) { notify(c, n, t.in.notify.edit().master_rx_lower_pri); }},
        {"notify_deleted", unsupported_kw<T>},
        {"notify_priority_changes",
         [](Ctx& c, const Node& n, T& t) {
             t.in.notify.edit().priority_changes = flag_value(c, n);
         }},
        {"smtp_alert",
         [](Ctx& c, const Node& n, T& t) {
             t.in.smtp_alert = flag_value(c, n);
             t.ex.smtp_alert_set = true;
         }},
        {"garp_master_delay",
         [](Ctx& c, const Node& n, T& t) {
             garp_secs(c, n, t.in.garp.master_delay, t.ex.garp_delay);
         }},
        {"garp_master_repeat",
         [](Ctx& c, const Node& n, T& t) {
             if (auto v = c.integer(n, 0, 0, 255)) {
                 t.in.garp.master_repeat = unsigned(*v);
                 t.ex.garp_repeat = true;
             }
         }},
        {"garp_master_refresh",
         [](Ctx& c, const Node& n, T& t) {
             garp_secs(c, n, t.in.garp.master_refresh, t.ex.garp_refresh);
         }},
        {"garp_master_refresh_repeat",
         [](Ctx& c, const Node& n, T& t) {
             if (auto v = c.integer(n, 0, 0, 255)) {
                 t.in.garp.master_refresh_repeat = unsigned(*v);
                 t.ex.garp_refresh_repeat = true;
             }
         }},
        {"garp_lower_prio_delay",
         [](Ctx& c, const Node& n, T& t) {
             if (auto v = c.integer(n, 0, 0, 4294967)) {
                 t.in.garp.lower_prio_delay = std::chrono::seconds(*v);
                 t.ex.garp_lower_delay = true;
             }
         }},
        {"garp_lower_prio_repeat",
         [](Ctx& c, const Node& n, T& t) {
             if (auto v = c.integer(n, 0, 0, 255)) {
                 t.in.garp.lower_prio_repeat = unsigned(*v);
                 t.ex.garp_lower_repeat = true;
             }
         }},
        {"garp_interval",
         [](Ctx& c, const Node& n, T& t) {
             if (auto v = c.seconds(n, 0, 0.000001, 4294.967295)) {
                 t.in.garp.interval = *v;
                 t.ex.garp_interval = true;
             }
         }},
        {"gna_interval",
         [](Ctx& c, const Node& n, T& t) {
             if (auto v = c.seconds(n, 0, 0.000001, 4294.967295)) {
                 t.in.garp.na_interval = *v;
                 t.ex.gna_interval = true;
             }
         }},
        {"use_vmac",
         [](Ctx&, const Node& n, T& t) {
             t.in.use_vmac = true;
             if (!n.args.empty()) t.in.vmac_name = std::string(n.args[0].text);
         }},
        {"vmac_xmit_base", [](Ctx&, const Node&, T& t) { t.in.vmac_xmit_base = true; }},
        {"accept", [](Ctx&, const Node&, T& t) { t.in.accept = true; }},
        {"no_accept", [](Ctx&, const Node&, T& t) { t.in.accept = false; }},
        {"dont_track_primary", [](Ctx&, const Node&, T& t) { t.in.dont_track_primary = true; }},
        {"strict_mode", [](Ctx& c, const Node& n, T& t) { t.in.strict = flag_value(c, n); }},
        {"skip_check_adv_addr",
         [](Ctx& c, const Node& n, T& t) { t.in.skip_check_adv_addr = flag_value(c, n); }},
        {"lvs_sync_daemon_interface",
         [](Ctx& c, const Node& n, T& t) {
             c.strict(n.key,
                      "lvs_sync_daemon_interface in a vrrp_instance is deprecated: use "
                      "lvs_sync_daemon in global_defs");
             // keepalived still runs it, bound to this instance, unless lvs_sync_daemon is set.
             auto& g = c.cfg.global;
             if (g.lvs_sync_daemon || !c.need_args(n, 1)) return;
             GlobalConfig::LvsSyncDaemon d;
             d.daemon.interface = std::string(n.args[0].text);
             d.instance = t.in.name;
             g.lvs_sync_daemon = std::move(d);
             c.lvs_sync = LvsSyncUse{n.key, false};
         }},
        {"debug", unsupported_kw<T>},
        {"garp_extra_if",
         [](Ctx& c, const Node& n, T& t) {
             const bool all = !n.args.empty() && n.args[0].text == "all";
             const std::size_t at = all ? 1 : 0;
             if (n.args.size() <= at) {
                 c.strict(n.key, "(" + t.in.name +
                                     "): garp_extra_if specified without time - "
                                     "ignoring");
                 return;
             }
             if (auto v = c.integer(n, at, 0, 86400)) {
                 t.in.garp.extra_if = std::chrono::seconds(*v);
                 t.in.garp.extra_if_all = all;
                 t.ex.garp_extra_if = true;
             }
         }},
        {"check_unicast_src",
         [](Ctx& c, const Node& n, T& t) {
             t.ex.unicast_kw = n.key;  // keepalived counts it as a unicast keyword
             t.in.check_unicast_src = flag_value(c, n);
         }},
        {"down_timer_adverts",
         [](Ctx& c, const Node& n, T& t) {
             if (auto v = c.integer(n, 0, 1, 100)) t.ex.down_timer_adverts = int(*v);
         }},
        {"higher_prio_send_advert",
         [](Ctx& c, const Node& n, T& t) { t.ex.higher_prio_send_advert = flag_value(c, n); }},
        {"lower_prio_no_advert",
         [](Ctx& c, const Node& n, T& t) { t.ex.lower_prio_no_advert = flag_value(c, n); }},
        {"kernel_rx_buf_size", unsupported_kw<T>},
        {"linkbeat_use_polling", unsupported_kw<T>},
        {"native_ipv6", unsupported_kw<T>},
        {"old_unicast_checksum", unsupported_kw<T>},
        {"promote_secondaries",
         [](Ctx&, const Node& n, T& t) {
             t.in.promote_secondaries = true;
             t.ex.promote_secondaries = n.key;
         }},
        {"track_src_ip", [](Ctx&, const Node&, T& t) { t.in.track_src_ip = true; }},
        {"unicast_fault_no_peer",
         [](Ctx&, const Node&, T& t) { t.in.unicast_fault_no_peer = true; }},
        {"use_ipvlan", [](Ctx& c, const Node& n, T& t) { use_ipvlan(c, n, t); }},
        {"use_vmac_addr", [](Ctx&, const Node&, T& t) { t.in.use_vmac_addr = true; }},
        {"vrf", unsupported_kw<T>},
    };
    return t;
}

}  // namespace

void parse_vrrp_instance(Ctx& c, const Node& block) {
    auto& instances = c.cfg.vrrp.instances;
    I in;
    InstanceExtra ex;
    ex.key = block.key;
    if (block.args.empty())
        c.error(block.key, "vrrp_instance: expected a name");
    else
        in.name = std::string(block.args[0].text);
    in.file = c.files[block.key.loc.file];
    in.line = block.key.loc.line;
    InstanceTarget t{in, ex};
    dispatch(c, block, t, instance_table());
    if (in.vrid == 0) {
        c.fatal(block.key, "vrrp_instance " + in.name + ": virtual_router_id is missing");
    }
    if (in.interface.empty())
        c.strict(block.key, "vrrp_instance " + in.name + ": no interface specified");
    instances.push_back(std::move(in));
    c.inst_extra.push_back(std::move(ex));
}

void parse_vrrp_sync_group(Ctx& c, const Node& block) {
    vrrp::SyncGroupConfig g;
    if (!block.args.empty()) g.name = std::string(block.args[0].text);
    for (const auto& n : block.children) {
        auto k = n.key.text;
        if (k == "group") {
            for (const auto& line : n.children) {
                g.instances.emplace_back(line.key.text);
                c.sync_group_instances.push_back(
                    {g.name + '\0' + std::string(line.key.text), line.key});
                for (const auto& a : line.args) {
                    g.instances.emplace_back(a.text);
                    c.sync_group_instances.push_back({g.name + '\0' + std::string(a.text), a});
                }
            }
        } else if (k == "notify_master")
            notify(c, n, g.notify.master);
        else if (k == "notify_backup")
            notify(c, n, g.notify.backup);
        else if (k == "notify_fault")
            notify(c, n, g.notify.fault);
        else if (k == "notify_stop")
            notify(c, n, g.notify.stop);
        else if (k == "notify")
            notify(c, n, g.notify.generic);
        else if (k == "smtp_alert") {
            g.smtp_alert = flag_value(c, n);
            c.sync_group_smtp_set.push_back(c.cfg.vrrp.sync_groups.size());
        } else if (k == "track_script")
            g.track_scripts = track_refs(c, n, nullptr);
        else if (k == "track_file")
            g.track_files = track_refs(c, n, nullptr);
        else if (k == "track_interface")
            track_interface(c, n, g.track_interfaces);
        else if (k == "track_process")
            g.track_processes = track_process_refs(c, n, g.name);
        else if (k == "track_bfd")
            g.track_bfds = track_bfd_refs(c, n, g.name);
        else if (k == "sync_group_tracking_weight")
            g.tracking_weight = true;
        else if (k == "global_tracking") {
            c.warn(n.key, "global_tracking is deprecated - use sync_group_tracking_weight");
            g.tracking_weight = true;
        } else if (k == "notify_priority_changes")
            g.notify.priority_changes = flag_value(c, n);
        else
            c.unknown(n);
    }
    if (!g.tracking_weight) drop_process_weights(c, g.track_processes, g.name, block.key);
    if (g.instances.empty())
        c.strict(block.key, "vrrp_sync_group " + g.name + " has no 'group { ... }' of instances");
    c.cfg.vrrp.sync_groups.push_back(std::move(g));
}

void parse_vrrp_script(Ctx& c, const Node& block) {
    vrrp::ScriptConfig s;
    if (!block.args.empty()) s.name = std::string(block.args[0].text);
    for (const auto& n : block.children) {
        auto k = n.key.text;
        if (k == "script") {
            s.command.argv = c.command(n);
            if (s.command.argv.empty()) c.error(n.key, "script: expected a command");
        } else if (k == "interval") {
            if (auto v = c.seconds(n, 0, 0.000001, 4294.967295)) s.interval = *v;
        } else if (k == "timeout") {
            if (auto v = c.seconds(n, 0, 0.000001, 4294.967295)) s.timeout = *v;
        } else if (k == "weight") {
            if (auto v = c.integer(n, 0, -253, 253)) s.weight = int(*v);
            if (n.args.size() > 1 && n.args[1].text == "reverse") s.weight_reverse = true;
        } else if (k == "rise") {
            if (auto v = c.integer(n, 0, 1, 2147483647)) s.rise = int(*v);
        } else if (k == "fall") {
            if (auto v = c.integer(n, 0, 1, 2147483647)) s.fall = int(*v);
        } else if (k == "user") {
            if (c.need_args(n, 1)) {
                s.command.user = std::string(n.args[0].text);
                if (n.args.size() > 1) s.command.group = std::string(n.args[1].text);
            }
        } else if (k == "init_fail") {
            s.init_fail = true;
        } else {
            c.unknown(n);
        }
    }
    if (s.command.argv.empty()) {
        c.strict(Ctx::block_end(block), "No script set for vrrp_script " + s.name + " - removing");
        c.removed_scripts.push_back({s.name, block.key});
        return;
    }
    c.scripts.push_back({s.command.argv, s.command.user, Ctx::block_end(block).loc,
                         ScriptUse::Kind::track, s.name});
    c.cfg.vrrp.scripts.push_back(std::move(s));
}

void parse_vrrp_track_file(Ctx& c, const Node& block) {
    vrrp::TrackFileConfig f;
    if (!block.args.empty()) f.name = std::string(block.args[0].text);
    for (const auto& n : block.children) {
        auto k = n.key.text;
        if (k == "file") {
            if (c.need_args(n, 1)) f.path = std::string(n.args[0].text);
        } else if (k == "weight") {
            if (auto v = c.integer(n, 0, -254, 254)) f.weight = int(*v);
            if (n.args.size() > 1 && n.args[1].text == "reverse") f.weight_reverse = true;
        } else if (k == "init_file") {
            f.init_file = 0;
            if (!n.args.empty())
                if (auto v = parse_integer(n.args[0].text)) f.init_file = int(*v);
        } else {
            c.unknown(n);
        }
    }
    if (f.path.empty()) c.strict(block.key, "vrrp_track_file " + f.name + " has no file");
    c.cfg.vrrp.track_files.push_back(std::move(f));
}

// keepalived's vrrp_track_process: each bad value is reported and ignored, keeping the default.
void parse_vrrp_track_process(Ctx& c, const Node& block) {
    using PM = vrrp::TrackProcessConfig::ParamMatch;
    vrrp::TrackProcessConfig p;
    if (!block.args.empty()) p.name = std::string(block.args[0].text);
    bool have_process = false, weight_set = false;
    auto delay = [&](const Node& n, bool fork, bool terminate) {
        const std::string prefix = fork && terminate ? "" : fork ? "fork_" : "terminate_";
        auto v = n.args.empty() ? std::nullopt : parse_seconds(n.args[0].text);
        if (!v || *v < std::chrono::microseconds(1) || *v > std::chrono::seconds(3600)) {
            c.error(n.args.empty() ? n.key : n.args[0],
                    prefix + "delay (" + std::string(c.arg(n, 0)) + ") for vrrp_track_process " +
                        p.name + " must be between [0.000001..3600] inclusive. Ignoring...");
            return;
        }
        if (fork) p.fork_delay = *v;
        if (terminate) p.terminate_delay = *v;
    };
    for (const auto& n : block.children) {
        auto k = n.key.text;
        if (k == "process") {
            if (have_process) {
                c.strict(n.key, "Process already set for track process " + p.name + " - ignoring " +
                                    std::string(c.arg(n, 0)));
                continue;
            }
            if (!c.need_args(n, 1)) continue;
            have_process = true;
            p.process = std::string(n.args[0].text);
            for (std::size_t i = 1; i < n.args.size(); ++i) p.params.emplace_back(n.args[i].text);
            if (!p.params.empty()) {
                if (p.param_match == PM::none) p.param_match = PM::exact;
                p.full_command = true;
            }
        } else if (k == "param_match") {
            if (n.args.empty())
                p.param_match = PM::exact;
            else if (n.args[0].text == "initial")
                p.param_match = PM::initial;
            else if (n.args[0].text == "partial")
                p.param_match = PM::partial;
            else {
                c.error(n.args[0],
                        "Invalid param_match type " + std::string(n.args[0].text) + " - ignoring");
                continue;
            }
            p.full_command = true;
        } else if (k == "weight") {
            if (n.args.empty()) {
                c.error(n.key, "No weight specified for track process " + p.name + " - ignoring");
                continue;
            }
            if (weight_set) {
                c.error(n.args[0], "Weight already set for track process " + p.name +
                                       " - ignoring " + std::string(n.args[0].text));
                continue;
            }
            auto w = parse_integer(n.args[0].text);
            if (!w || *w < -254 || *w > 254) {
                c.error(n.args[0], "Weight (" + std::string(n.args[0].text) +
                                       ") for vrrp_track_process " + p.name +
                                       " must be between [-254..254] inclusive. Ignoring...");
                continue;
            }
            if (n.args.size() >= 2) {
                if (n.args[1].text == "reverse")
                    p.weight_reverse = true;
                else
                    c.error(n.args[1], "vrrp_track_process " + p.name + " unknown weight option " +
                                           std::string(n.args[1].text));
            }
            p.weight = int(*w);
            weight_set = p.weight != 0;  // keepalived: a weight of 0 may be set again
        } else if (k == "quorum") {
            auto q = n.args.empty() ? std::nullopt : parse_integer(n.args[0].text);
            if (!q || *q < 1 || *q > 65535) {
                c.error(n.args.empty() ? n.key : n.args[0],
                        "Quorum (" + std::string(c.arg(n, 0)) + ") for vrrp_track_process " +
                            p.name + " must be between [1..65535] inclusive. Ignoring...");
                continue;
            }
            if (unsigned(*q) > p.quorum_max) {
                c.error(n.args[0], "Quorum is greater than quorum_max - ignoring");
                continue;
            }
            p.quorum = unsigned(*q);
        } else if (k == "quorum_max") {
            auto q = n.args.empty() ? std::nullopt : parse_integer(n.args[0].text);
            if (!q || *q < 0 || *q > 65535) {
                c.error(n.args.empty() ? n.key : n.args[0],
                        "quorum_max (" + std::string(c.arg(n, 0)) + ") for vrrp_track_process " +
                            p.name + " must be between [0..65535] inclusive. Ignoring...");
                continue;
            }
            // quorum_max 0 without a quorum means "must not run".
            if ((*q != 0 || p.quorum > 1) && unsigned(*q) < p.quorum) {
                c.error(n.args[0], "quorum_max is less than quorum - ignoring");
                continue;
            }
            p.quorum_max = unsigned(*q);
            if (p.quorum_max == 0)
                p.quorum = 0;
            else if (p.quorum == 0)
                p.quorum = 1;
        } else if (k == "delay") {
            delay(n, true, true);
        } else if (k == "fork_delay") {
            delay(n, true, false);
        } else if (k == "terminate_delay") {
            delay(n, false, true);
        } else if (k == "full_command") {
            p.full_command = true;
        } else {
            c.unknown(n);
        }
    }
    if (!have_process) {
        c.strict(block.key, "track process '" + p.name + "' process name not specified");
        return;
    }
    if (!p.full_command && p.process.size() > 15)
        c.warn(block.key, "vrrp_track_process " + p.name + ": process name '" + p.process +
                              "' is longer than the 15 characters of a process name and never "
                              "matches; use full_command");
    c.cfg.vrrp.track_processes.push_back(std::move(p));
}

void parse_static_block(Ctx& c, const Node& block) {
    auto k = block.key.text;
    auto& v = c.cfg.vrrp;
    if (k == "static_ipaddress") {
        c.static_block = true;
        vip_block(c, block, v.static_addresses);
        c.static_block = false;
    } else if (k == "static_routes")
        route_block(c, block, v.static_routes);
    else
        rule_block(c, block, v.static_rules);
}

void parse_garp_group(Ctx& c, const Node& block) {
    vrrp::GarpGroupConfig g;
    bool delay = false, single = false, list = false;
    for (const auto& n : block.children) {
        auto k = n.key.text;
        if (k == "garp_interval" || k == "gna_interval") {
            if (auto v = c.seconds(n, 0, 0.000001, 4294.967295)) {
                (k == "garp_interval" ? g.garp_interval : g.gna_interval) = *v;
                delay = true;
            }
        } else if (k == "interface") {
            if (!c.need_args(n, 1)) continue;
            c.interface_exists(n.args[0], n.args[0].text);
            g.interfaces.emplace_back(n.args[0].text);
            single = true;
        } else if (k == "interfaces") {
            for (const auto& line : n.children) {
                c.interface_exists(line.key, line.key.text);
                g.interfaces.emplace_back(line.key.text);
                for (const auto& a : line.args) {
                    c.interface_exists(a, a.text);
                    g.interfaces.emplace_back(a.text);
                }
            }
            list = true;
        } else {
            c.unknown(n);
        }
    }
    if (!delay) {
        c.strict(Ctx::block_end(block),
                 "garp_group has no garp_interval or gna_interval - ignoring");
        return;
    }
    if (single && list)
        c.warn(Ctx::block_end(block), "garp_group: use either interface or interfaces");
    c.cfg.vrrp.garp_groups.push_back(std::move(g));
}

}  // namespace vigil::config
