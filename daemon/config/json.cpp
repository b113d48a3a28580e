// to_json: the whole configuration for --dump-config. Durations are integer microseconds in
// fields ending "_us"; addresses are strings.
#include "config/config.hpp"

#include <nlohmann/json.hpp>

namespace vigil::config {
namespace {

using nlohmann::json;

template <class A>
json addr(const std::optional<A>& a) {
    return a ? json(a->to_string()) : json(nullptr);
}

json cmd(const auto& c) {
    json j = json::object();
    j["argv"] = c.argv;
    if (!c.user.empty()) j["user"] = c.user;
    if (!c.group.empty()) j["group"] = c.group;
    return j;
}

std::string file_name(const Config& config, std::uint32_t index) {
    return index < config.files.size() ? config.files[index] : std::string();
}

std::string fwd(ipvs::Forwarding f) {
    switch (f) {
        case ipvs::Forwarding::nat:
            return "NAT";
        case ipvs::Forwarding::dr:
            return "DR";
        case ipvs::Forwarding::tun:
            return "TUN";
    }
    return "NAT";
}

json vaddr(const vrrp::VirtualAddress& v) {
    json j{{"address", v.address.to_string()}, {"prefix_len", v.prefix_len}};
    if (v.broadcast) j["broadcast"] = v.broadcast->to_string();
    if (!v.dev.empty()) j["dev"] = v.dev;
    if (!v.label.empty()) j["label"] = v.label;
    if (!v.scope.empty()) j["scope"] = v.scope;
    if (v.no_track) j["no_track"] = true;
    if (v.peer) j["peer"] = v.peer->to_string();
    for (auto [name, on] : {std::pair{"home", v.home},
                            {"nodad", v.nodad},
                            {"mngtmpaddr", v.mngtmpaddr},
                            {"noprefixroute", v.noprefixroute},
                            {"autojoin", v.autojoin},
                            {"use_vmac", v.use_vmac}})
        if (on) j[name] = true;
    if (v.preferred_lft) j["preferred_lft"] = *v.preferred_lft;
    if (v.valid_lft) j["valid_lft"] = *v.valid_lft;
    if (v.metric) j["metric"] = *v.metric;
    return j;
}

json vroute(const vrrp::VirtualRoute& r) {
    json j{{"destination", r.destination.to_string()}, {"prefix_len", r.prefix_len}};
    if (r.gateway) j["via"] = r.gateway->to_string();
    if (r.or_gateway) j["or"] = r.or_gateway->to_string();
    if (r.source) j["src"] = r.source->to_string();
    if (!r.dev.empty()) j["dev"] = r.dev;
    if (r.metric) j["metric"] = *r.metric;
    if (r.table) j["table"] = *r.table;
    if (r.protocol) j["protocol"] = *r.protocol;
    if (!r.scope.empty()) j["scope"] = r.scope;
    if (r.type != vrrp::VirtualRoute::Type::unicast) j["type"] = int(r.type);
    if (!r.nexthops.empty()) j["nexthops"] = r.nexthops.size();
    if (r.no_track) j["no_track"] = true;
    return j;
}

json vrule(const vrrp::VirtualRule& r) {
    json j{{"family", r.ipv6 ? "inet6" : "inet"}, {"action", int(r.action)}, {"table", r.table}};
    if (r.from) j["from"] = r.from->to_string() + "/" + std::to_string(r.from_len);
    if (r.to) j["to"] = r.to->to_string() + "/" + std::to_string(r.to_len);
    if (r.priority) j["priority"] = *r.priority;
    if (r.fwmark) j["fwmark"] = *r.fwmark;
    if (!r.iif.empty()) j["iif"] = r.iif;
    if (!r.oif.empty()) j["oif"] = r.oif;
    if (r.invert) j["not"] = true;
    if (r.no_track) j["no_track"] = true;
    return j;
}

template <class T, class F>
json list(const std::vector<T>& v, F f) {
    json a = json::array();
    for (const auto& x : v) a.push_back(f(x));
    return a;
}

json refs(const std::vector<vrrp::TrackRef>& v) {
    json a = json::array();
    for (const auto& r : v) {
        json j{{"name", r.name}, {"reverse", r.reverse}};
        if (r.weight) j["weight"] = *r.weight;
        a.push_back(j);
    }
    return a;
}

json notify(const vrrp::NotifyConfig& n) {
    json j = json::object();
    auto put = [&](const char* k, const vrrp::Command& c) {
        if (!c.empty()) j[k] = cmd(c);
    };
    put("master", n.master);
    put("backup", n.backup);
    put("fault", n.fault);
    put("stop", n.stop);
    put("notify", n.generic);
    put("master_rx_lower_pri", n.master_rx_lower_pri);
    return j;
}

json instance(const vrrp::InstanceConfig& in) {
    json j;
    j["name"] = in.name;
    j["file"] = in.file;
    j["line"] = in.line;
    j["state"] = in.state == vrrp::InstanceConfig::InitialState::master ? "MASTER" : "BACKUP";
    j["interface"] = in.interface;
    j["virtual_router_id"] = in.vrid;
    j["priority"] = in.priority;
    j["advert_interval_us"] = in.advert_interval.count();
    j["version"] = in.version;
    j["ipv6"] = in.ipv6;
    j["preempt"] = in.preempt;
    j["preempt_delay_us"] = in.preempt_delay.count();
    j["auth_type"] = in.auth == vrrp::InstanceConfig::Auth::pass ? "PASS"
                     : in.auth == vrrp::InstanceConfig::Auth::ah ? "AH"
                                                                 : "none";
    if (!in.auth_pass.empty()) j["auth_pass"] = in.auth_pass;
    j["mcast_group"] = addr(in.mcast_group);
    j["mcast_src_ip"] = addr(in.mcast_src);
    j["unicast_src_ip"] = addr(in.unicast_src);
    json peers = json::array();
    for (const auto& p : in.unicast_peers) peers.push_back(p.to_string());
    j["unicast_peers"] = peers;
    j["unicast_ttl"] = in.unicast_ttl;
    json vips = json::array(), ex = json::array(), routes = json::array();
    for (const auto& v : in.vips) vips.push_back(vaddr(v));
    for (const auto& v : in.excluded_vips) ex.push_back(vaddr(v));
    for (const auto& r : in.routes) routes.push_back(vroute(r));
    j["virtual_rules"] = list(in.rules, vrule);
    j["virtual_ipaddress"] = vips;
    j["virtual_ipaddress_excluded"] = ex;
    j["virtual_routes"] = routes;
    json ti = json::array();
    for (const auto& t : in.track_interfaces)
        ti.push_back({{"name", t.name}, {"weight", t.weight}});
    j["track_interface"] = ti;
    j["track_script"] = refs(in.track_scripts);
    j["track_file"] = refs(in.track_files);
    j["track_process"] = refs(in.track_processes);
    j["track_bfd"] = refs(in.track_bfds);
    j["dont_track_primary"] = in.dont_track_primary;
    j["notify"] = notify(*in.notify);
    j["smtp_alert"] = in.smtp_alert;
    j["garp"] = {{"master_delay_us", in.garp.master_delay.count()},
                 {"master_repeat", in.garp.master_repeat},
                 {"master_refresh_us", in.garp.master_refresh.count()},
                 {"master_refresh_repeat", in.garp.master_refresh_repeat},
                 {"interval_us", in.garp.interval.count()},
                 {"na_interval_us", in.garp.na_interval.count()},
                 {"extra_if_us", in.garp.extra_if.count()},
                 {"extra_if_all", in.garp.extra_if_all}};
    j["promote_secondaries"] = in.promote_secondaries;
    j["check_unicast_src"] = in.check_unicast_src;
    j["unicast_fault_no_peer"] = in.unicast_fault_no_peer;
    j["track_src_ip"] = in.track_src_ip;
    j["use_ipvlan"] = in.use_ipvlan;
    j["use_vmac_addr"] = in.use_vmac_addr;
    j["vmac_addr_prefix"] = in.vmac_addr_prefix;
    if (in.use_ipvlan) {
        j["ipvlan_name"] = in.ipvlan_name;
        if (in.ipvlan_address) j["ipvlan_address"] = vaddr(*in.ipvlan_address);
        j["ipvlan_mode"] = in.ipvlan_mode == vrrp::InstanceConfig::IpvlanMode::private_ ? "private"
                           : in.ipvlan_mode == vrrp::InstanceConfig::IpvlanMode::vepa   ? "vepa"
                                                                                        : "bridge";
    }
    j["use_vmac"] = in.use_vmac;
    if (!in.vmac_name.empty()) j["vmac_name"] = in.vmac_name;
    j["vmac_xmit_base"] = in.vmac_xmit_base;
    j["accept"] = in.accept;
    j["strict"] = in.strict;
    j["skip_check_adv_addr"] = in.skip_check_adv_addr;
    j["sync_group"] = in.sync_group;
    return j;
}

json real_server(const Config& config, const ipvs::RealServerConfig& r) {
    json j{{"address", r.address.to_string()},
           {"port", r.port},
           {"weight", r.weight},
           {"inhibit_on_failure", r.inhibit_on_failure},
           {"checkers", r.checker_count},
           {"file", file_name(config, r.file)},
           {"line", r.line}};
    if (r.forwarding) j["lvs_method"] = fwd(*r.forwarding);
    if (r.notify_up) j["notify_up"] = cmd(*r.notify_up);
    if (r.notify_down) j["notify_down"] = cmd(*r.notify_down);
    if (r.upper_threshold) j["uthreshold"] = r.upper_threshold;
    if (r.lower_threshold) j["lthreshold"] = r.lower_threshold;
    return j;
}

std::string hex(const std::vector<std::uint8_t>& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (auto b : bytes) {
        s += digits[b >> 4];
        s += digits[b & 15];
    }
    return s;
}

json check(const Config& config, const CheckBinding& b) {
    const auto& c = b.check;
    json j{{"virtual_server", b.virtual_server},
           {"real_server", b.real_server},
           {"file", file_name(config, c.file)},
           {"line", c.line},
           {"target", c.target.to_string()},
           {"target_port", c.target_port},
           {"connect_timeout_us", c.connect_timeout.count()},
           {"delay_loop_us", c.delay_loop.count()},
           {"warmup_us", c.warmup ? json(c.warmup->count()) : json(nullptr)},
           {"retry", c.retry},
           {"delay_before_retry_us", c.delay_before_retry.count()},
           {"connect_ip", addr(c.connect_ip)},
           {"bindto", addr(c.bind_to)}};
    if (c.connect_port) j["connect_port"] = *c.connect_port;
    if (c.bind_port) j["bind_port"] = *c.bind_port;
    if (!c.bind_if.empty()) j["bind_if"] = c.bind_if;
    if (c.fwmark) j["fwmark"] = c.fwmark;
    j["log_all_failures"] = c.log_all_failures;
    std::visit(
        [&](const auto& k) {
            using K = std::decay_t<decltype(k)>;
            if constexpr (std::is_same_v<K, checkers::TcpCheck>)
                j["type"] = "TCP_CHECK";
            else if constexpr (std::is_same_v<K, checkers::HttpCheck>) {
                j["type"] = k.ssl ? "SSL_GET" : "HTTP_GET";
                json urls = json::array();
                for (const auto& u : k.urls) {
                    json uj{{"path", u.path}};
                    if (u.digest) {
                        static const char* hex = "0123456789abcdef";
                        std::string d;
                        for (auto byte : *u.digest) {
                            d += hex[byte >> 4];
                            d += hex[byte & 15];
                        }
                        uj["digest"] = d;
                    }
                    json sc = json::array();
                    for (const auto& r : u.status_codes) sc.push_back({r.low, r.high});
                    uj["status_code"] = sc;
                    if (!u.virtualhost.empty()) uj["virtualhost"] = u.virtualhost;
                    if (!u.regex.empty()) {
                        uj["regex"] = u.regex;
                        uj["regex_no_match"] = u.regex_no_match;
                        uj["regex_options"] = u.regex_options;
                        uj["regex_min_offset"] = u.regex_min_offset;
                        uj["regex_max_offset"] = u.regex_max_offset;
                    }
                    urls.push_back(uj);
                }
                j["url"] = urls;
                if (!k.virtualhost.empty()) j["virtualhost"] = k.virtualhost;
            } else if constexpr (std::is_same_v<K, checkers::MiscCheck>) {
                j["type"] = "MISC_CHECK";
                j["misc_path"] = cmd(k.command);
                j["misc_timeout_us"] = k.timeout.count();
                j["misc_dynamic"] = k.dynamic;
            } else if constexpr (std::is_same_v<K, checkers::DnsCheck>) {
                j["type"] = "DNS_CHECK";
                j["query_type"] = k.type;
                j["name"] = k.name;
            } else if constexpr (std::is_same_v<K, checkers::SmtpCheck>) {
                j["type"] = "SMTP_CHECK";
                j["helo_name"] = k.helo_name;
            } else if constexpr (std::is_same_v<K, checkers::UdpCheck>) {
                j["type"] = "UDP_CHECK";
                j["require_reply"] = k.require_reply;
                j["payload"] = hex(k.payload);
                j["reply_data"] = hex(k.reply_data);
                j["reply_mask"] = hex(k.reply_mask);
            } else if constexpr (std::is_same_v<K, checkers::PingCheck>)
                j["type"] = "PING_CHECK";
            else if constexpr (std::is_same_v<K, checkers::FileCheck>) {
                j["type"] = "FILE_CHECK";
                j["track_file"] = k.track_file;
                j["path"] = k.path;
                j["weight"] = k.weight;
                j["reverse"] = k.reverse;
            }
        },
        c.kind);
    return j;
}

json fifo(const NotifyFifoConfig& f) {
    return {{"path", f.path},
            {"user", f.user},
            {"group", f.group},
            {"script", f.script},
            {"script_user", f.script_user},
            {"script_group", f.script_group}};
}

}  // namespace

std::string to_json(const Config& config) {
    const auto& g = config.global;
    json root;
    json gj{{"router_id", g.router_id},
            {"notification_email", g.notification_email},
            {"notification_email_from", g.notification_email_from},
            {"smtp_server", addr(g.smtp_server)},
            {"smtp_server_name", g.smtp_server_name},
            {"smtp_port", g.smtp_port},
            {"smtp_helo_name", g.smtp_helo_name},
            {"smtp_connect_timeout_us", g.smtp_connect_timeout.count()},
            {"smtp_alert", g.smtp_alert},
            {"script_user", g.script_user},
            {"script_group", g.script_group},
            {"enable_script_security", g.enable_script_security},
            {"notify_timeout_us", g.notify_timeout.count()},
            {"vrrp_version", g.vrrp_version},
            {"vrrp_strict", g.vrrp_strict},
            {"vrrp_startup_delay_us", g.vrrp_startup_delay.count()},
            {"status_socket", g.status_socket},
            {"metrics_listen", g.metrics_listen},
            {"tmp_dir", g.tmp_dir},
            {"data_file", g.data_file},
            {"stats_file", g.stats_file},
            {"checker_log_all_failures", g.checker_log_all_failures},
            {"notify_fifo", fifo(g.notify_fifo)},
            {"vrrp_notify_fifo", fifo(g.vrrp_notify_fifo)},
            {"lvs_notify_fifo", fifo(g.lvs_notify_fifo)},
            {"vrrp_notify_priority_changes", g.vrrp_notify_priority_changes},
            {"ssl",
             {{"ca", g.tls.ca},
              {"certificate", g.tls.certificate},
              {"key", g.tls.key},
              {"password_set", !g.tls.password.empty()}}}};
    root["global_defs"] = gj;
    json vr;
    json insts = json::array();
    for (const auto& in : config.vrrp.instances) insts.push_back(instance(in));
    vr["instances"] = insts;
    json groups = json::array();
    for (const auto& sg : config.vrrp.sync_groups)
        groups.push_back({{"name", sg.name},
                          {"group", sg.instances},
                          {"track_script", refs(sg.track_scripts)},
                          {"track_process", refs(sg.track_processes)},
                          {"track_bfd", refs(sg.track_bfds)},
                          {"notify", notify(sg.notify)}});
    vr["sync_groups"] = groups;
    json scripts = json::array();
    for (const auto& s : config.vrrp.scripts)
        scripts.push_back({{"name", s.name},
                           {"script", cmd(s.command)},
                           {"interval_us", s.interval.count()},
                           {"timeout_us", s.timeout.count()},
                           {"weight", s.weight},
                           {"rise", s.rise},
                           {"fall", s.fall}});
    vr["scripts"] = scripts;
    json tfs = json::array();
    for (const auto& f : config.vrrp.track_files)
        tfs.push_back({{"name", f.name}, {"file", f.path}, {"weight", f.weight}});
    vr["track_files"] = tfs;
    json tps = json::array();
    for (const auto& p : config.vrrp.track_processes) {
        static constexpr const char* match[] = {"none", "exact", "partial", "initial"};
        tps.push_back({{"name", p.name},
                       {"process", p.process},
                       {"params", p.params},
                       {"param_match", match[static_cast<int>(p.param_match)]},
                       {"full_command", p.full_command},
                       {"quorum", p.quorum},
                       {"quorum_max", p.quorum_max},
                       {"weight", p.weight},
                       {"reverse", p.weight_reverse},
                       {"fork_delay_us", p.fork_delay.count()},
                       {"terminate_delay_us", p.terminate_delay.count()}});
    }
    vr["track_processes"] = tps;
    vr["static_ipaddress"] = list(config.vrrp.static_addresses, vaddr);
    vr["static_routes"] = list(config.vrrp.static_routes, vroute);
    vr["static_rules"] = list(config.vrrp.static_rules, vrule);
    root["vrrp"] = vr;

    json lvs;
    lvs["backend"] = config.lvs.backend == ipvs::Backend::ipvs       ? "ipvs"
                     : config.lvs.backend == ipvs::Backend::nftables ? "nftables"
                                                                     : "auto";
    json vss = json::array();
    for (const auto& vs : config.lvs.virtual_servers) {
        json keys = json::array();
        for (const auto& k : vs.keys) {
            if (k.fwmark)
                keys.push_back({{"fwmark", k.fwmark}, {"ipv6", k.ipv6}});
            else
                keys.push_back({{"address", addr(k.address)}, {"port", k.port}});
        }
        json rss = json::array();
        const std::size_t vi = vss.size();
        for (std::size_t ri = 0; ri < vs.real_servers.size(); ++ri) {
            json rj = real_server(config, vs.real_servers[ri]);
            json bfd = json::array();
            for (const auto& b : config.bfd_checks)
                if (b.virtual_server == vi && b.real_server == ri) bfd.push_back(b.session);
            if (!bfd.empty()) rj["bfd_check"] = bfd;
            rss.push_back(rj);
        }
        json v{{"file", vs.file},
               {"line", vs.line},
               {"keys", keys},
               {"group", vs.group},
               {"protocol", vs.protocol == ipvs::Protocol::tcp   ? "TCP"
                            : vs.protocol == ipvs::Protocol::udp ? "UDP"
                                                                 : "SCTP"},
               {"lb_algo", vs.scheduler},
               {"lb_kind", fwd(vs.forwarding)},
               {"quorum", vs.quorum},
               {"hysteresis", vs.hysteresis},
               {"alpha", vs.alpha},
               {"omega", vs.omega},
               {"inhibit_on_failure", vs.inhibit_on_failure},
               {"real_servers", rss}};
        if (vs.persistence_timeout) v["persistence_timeout_s"] = vs.persistence_timeout->count();
        if (vs.persistence_granularity)
            v["persistence_granularity"] = vs.persistence_granularity->to_string();
        if (vs.sorry_server) v["sorry_server"] = real_server(config, *vs.sorry_server);
        if (vs.quorum_up) v["quorum_up"] = cmd(*vs.quorum_up);
        if (vs.quorum_down) v["quorum_down"] = cmd(*vs.quorum_down);
        if (!vs.virtualhost.empty()) v["virtualhost"] = vs.virtualhost;
        vss.push_back(v);
    }
    lvs["virtual_servers"] = vss;
    root["lvs"] = lvs;
    json bfds = json::array();
    for (const auto& b : config.bfd.instances) {
        json bj{{"name", b.name},
                {"file", b.file},
                {"line", b.line},
                {"neighbor_ip", b.neighbor.to_string()},
                {"min_rx_us", b.min_rx.count()},
                {"min_tx_us", b.min_tx.count()},
                {"idle_tx_us", b.idle_tx.count()},
                {"multiplier", b.multiplier},
                {"passive", b.passive},
                {"ttl", b.ttl},
                {"hoplimit", b.hoplimit},
                {"sent_ttl", b.sent_ttl()},
                {"max_hops", b.max_hops},
                {"weight", b.weight},
                {"reverse", b.weight_reverse},
                {"vrrp", b.vrrp},
                {"checker", b.checker}};
        if (b.source) bj["source_ip"] = b.source->to_string();
        bfds.push_back(bj);
    }
    root["bfd_instances"] = bfds;
    json checks = json::array();
    for (const auto& b : config.checks) checks.push_back(check(config, b));
    root["checks"] = checks;
    // Config text need not be UTF-8: replace bad bytes rather than throw.
    return root.dump(2, ' ', false, json::error_handler_t::replace);
}

}  // namespace vigil::config
