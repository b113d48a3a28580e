// vrrp_instance, vrrp_sync_group, vrrp_script, vrrp_track_file, vrrp_track_process, static_*,
// garp_group and bfd_instance blocks.
#include "config/context.hpp"

namespace vigil::config {
namespace {

using I = vrrp::InstanceConfig;

struct InstanceTarget {
    I& in;
    InstanceExtra& ex;
};

vrrp::Command to_command(std::vector<std::string> argv) {
    vrrp::Command c;
    c.argv = std::move(argv);
    return c;
}

void notify(Ctx& c, const Node& n, vrrp::Command& out) {
    auto argv = c.command(n);
    if (argv.empty()) {
        c.error(n.key, "'" + std::string(n.key.text) + "' expects a command");
        return;
    }
    c.scripts.push_back({argv, {}, n.key.loc, ScriptUse::Kind::notify, {}});
    out = to_command(std::move(argv));
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
                                       std::vector<std::pair<std::string, Token>>* names) {
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

void auth_block(Ctx& c, const Node& n, InstanceTarget& t) {
    t.ex.auth_block = true;
    for (const auto& ch : n.children) {
        if (ch.key.text == "auth_type") {
            if (!c.need_args(ch, 1)) continue;
            auto v = ch.args[0].text;
            if (v == "PASS")
                t.in.auth = I::Auth::pass;
            else if (v == "AH")
                t.in.auth = I::Auth::ah;
            else
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
        {"track_process", [](Ctx& c, const Node& n, T&) { track_refs(c, n, nullptr); }},
        {"track_bfd", [](Ctx& c, const Node& n, T&) { track_refs(c, n, nullptr); }},
        {"notify_master", [](Ctx& c, const Node& n, T& t) { notify(c, n, t.in.notify.master); }},
        {"notify_backup", [](Ctx& c, const Node& n, T& t) { notify(c, n, t.in.notify.backup); }},
        {"notify_fault", [](Ctx& c, const Node& n, T& t) { notify(c, n, t.in.notify.fault); }},
        {"notify_stop", [](Ctx& c, const Node& n, T& t) { notify(c, n, t.in.notify.stop); }},
        {"notify", [](Ctx& c, const Node& n, T& t) { notify(c, n, t.in.notify.generic); }},
        {"notify_master_rx_lower_pri",
         [](Ctx& c, const Node& n, T& t) { notify(c, n, t.in.notify.master_rx_lower_pri); }},
        {"notify_deleted", [](Ctx&, const Node&, T&) {}},
        {"notify_priority_changes", [](Ctx&, const Node&, T&) {}},
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
         [](Ctx& c, const Node& n, T&) {
             c.strict(n.key,
                      "lvs_sync_daemon_interface in a vrrp_instance is deprecated: use "
                      "lvs_sync_daemon in global_defs");
         }},
        {"debug", ignore_kw<T>},
        {"garp_extra_if", ignore_kw<T>},
        {"check_unicast_src", ignore_kw<T>},
        {"down_timer_adverts", ignore_kw<T>},
        {"higher_prio_send_advert", ignore_kw<T>},
        {"lower_prio_no_advert", ignore_kw<T>},
        {"kernel_rx_buf_size", ignore_kw<T>},
        {"linkbeat_use_polling", ignore_kw<T>},
        {"native_ipv6", ignore_kw<T>},
        {"old_unicast_checksum", ignore_kw<T>},
        {"promote_secondaries", ignore_kw<T>},
        {"track_src_ip", ignore_kw<T>},
        {"unicast_fault_no_peer", ignore_kw<T>},
        {"use_ipvlan", ignore_kw<T>},
        {"use_vmac_addr", ignore_kw<T>},
        {"vrf", ignore_kw<T>},
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
        else if (k == "track_process" || k == "track_bfd")
            track_refs(c, n, nullptr);
        else if (k == "global_tracking" || k == "sync_group_tracking_weight" ||
                 k == "notify_priority_changes") {
        } else
            c.unknown(n);
    }
    if (g.instances.empty())
        c.strict(block.key, "vrrp_sync_group " + g.name + " has no 'group { ... }' of instances");
    c.cfg.vrrp.sync_groups.push_back(std::move(g));
}

void parse_vrrp_script(Ctx& c, const Node& block) {
    vrrp::ScriptConfig s;
    if (!block.args.empty()) s.name = std::string(block.args[0].text);
    std::optional<SourceLoc> script_loc;
    for (const auto& n : block.children) {
        auto k = n.key.text;
        if (k == "script") {
            s.command.argv = c.command(n);
            if (s.command.argv.empty())
                c.error(n.key, "script: expected a command");
            else
                script_loc = n.key.loc;
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
        c.strict(block.key, "No script set for vrrp_script " + s.name + " - removing");
        c.removed_scripts.push_back({s.name, block.key});
        return;
    }
    c.scripts.push_back(
        {s.command.argv, s.command.user, *script_loc, ScriptUse::Kind::track, s.name});
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

void parse_vrrp_track_process(Ctx& c, const Node& block) {
    static constexpr std::string_view known[] = {"process",    "weight",       "quorum",
                                                 "quorum_max", "delay",        "terminate_delay",
                                                 "fork_delay", "full_command", "param_match"};
    for (const auto& n : block.children) {
        bool ok = false;
        for (auto k : known) ok = ok || n.key.text == k;
        if (!ok) c.unknown(n);
    }
}

void parse_static_block(Ctx& c, const Node& block) {
    auto k = block.key.text;
    auto& v = c.cfg.vrrp;
    if (k == "static_ipaddress")
        vip_block(c, block, v.static_addresses);
    else if (k == "static_routes")
        route_block(c, block, v.static_routes);
    else
        rule_block(c, block, v.static_rules);
}

void parse_garp_group(Ctx& c, const Node& block) {
    bool delay = false;
    for (const auto& n : block.children) {
        auto k = n.key.text;
        if (k == "garp_interval" || k == "gna_interval") {
            delay = c.seconds(n, 0, 0.000001, 4294.967295).has_value() || delay;
        } else if (k == "interface") {
            if (c.need_args(n, 1)) c.interface_exists(n.args[0], n.args[0].text);
        } else if (k == "interfaces") {
            for (const auto& line : n.children) {
                c.interface_exists(line.key, line.key.text);
                for (const auto& a : line.args) c.interface_exists(a, a.text);
            }
        } else {
            c.unknown(n);
        }
    }
    if (!delay) c.strict(block.key, "garp_group has no garp_interval or gna_interval - ignoring");
}

void parse_bfd_instance(Ctx& c, const Node& block) {
    bool neighbor = false;
    static constexpr std::string_view known[] = {"source_ip",  "min_rx",   "min_tx", "idle_tx",
                                                 "multiplier", "passive",  "ttl",    "max_hops",
                                                 "weight",     "hoplimit", "vrrp",   "checker"};
    for (const auto& n : block.children) {
        if (n.key.text == "neighbor_ip") {
            neighbor = c.address(n, 0).has_value() || neighbor;
            continue;
        }
        bool ok = false;
        for (auto k : known) ok = ok || n.key.text == k;
        if (!ok) c.unknown(n);
    }
    if (!neighbor)
        c.strict(block.key,
                 "Configuration error: BFD instance " +
                     (block.args.empty() ? std::string() : std::string(block.args[0].text)) +
                     " has no neighbor address set, disabling instance");
}

}  // namespace vigil::config
