// global_defs { ... }
#include "config/context.hpp"

#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace vigil::config {
namespace {

using G = GlobalConfig;

bool is_host_name(std::string_view s) {
    if (s.empty() || s.size() > 253) return false;
    for (char ch : s)
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '.'))
            return false;
    return s.front() != '-' && s.front() != '.';
}

// lvs_sync_daemon IFACE INSTANCE [SYNCID] [id N] [maxlen N] [port N] [ttl N] [group ADDR].
void lvs_sync_daemon(Ctx& c, const Node& n, G& g) {
    const std::string kw(n.key.text);
    if (g.lvs_sync_daemon) {
        c.strict(n.key, kw + " has already been specified as " +
                            g.lvs_sync_daemon->daemon.interface + " " +
                            g.lvs_sync_daemon->instance + " - ignoring");
        return;
    }
    if (n.args.size() < 2) {
        c.error(n.key, kw + " requires interface, VRRP instance");
        return;
    }
    for (std::size_t i = 0; i < 2; ++i)
        if (n.args[i].text.size() >= 16) {
            c.error(n.args[i], kw + ": name '" + std::string(n.args[i].text) + "' too long");
            return;
        }
    G::LvsSyncDaemon d;
    d.daemon.interface = std::string(n.args[0].text);
    d.instance = std::string(n.args[1].text);
    bool id_set = false;
    std::size_t i = 2;
    // The syncid without "id", as keepalived still reads it.
    if (n.args.size() > 2 && !n.args[2].text.empty() && std::isdigit(n.args[2].text[0])) {
        c.warn(n.args[2], "Please use keyword \"id\" before lvs_sync_daemon syncid value");
        if (auto v = c.integer(n, 2, 0, 255)) {
            d.daemon.sync_id = std::uint32_t(*v);
            id_set = true;
        }
        i = 3;
    }
    for (; i < n.args.size(); i += 2) {
        const auto opt = n.args[i].text;
        if (opt != "id" && opt != "maxlen" && opt != "port" && opt != "ttl" && opt != "group") {
            c.error(n.args[i], kw + ": unknown option '" + std::string(opt) + "'");
            return;
        }
        if (i + 1 >= n.args.size()) {
            c.error(n.args[i], kw + ": no value for '" + std::string(opt) + "'");
            return;
        }
        if (opt == "group") {
            auto a = parse_address(n.args[i + 1].text);
            if (!a || !a->is_multicast()) {
                c.error(n.args[i + 1], kw + ": group must be a multicast address, got '" +
                                           std::string(n.args[i + 1].text) + "'");
                return;
            }
            d.daemon.group = *a;
            continue;
        }
        const long long hi = opt == "id"       ? 255
                             : opt == "maxlen" ? 65507
                             : opt == "port"   ? 65535
                                               : 255;
        auto v = c.integer(n, i + 1, opt == "id" ? 0 : 1, hi);
        if (!v) return;
        if (opt == "id") {
            d.daemon.sync_id = std::uint32_t(*v);
            id_set = true;
        } else if (opt == "maxlen") {
            d.daemon.maxlen = std::uint16_t(*v);
        } else if (opt == "port") {
            d.daemon.port = std::uint16_t(*v);
        } else {
            d.daemon.ttl = std::uint8_t(*v);
        }
    }
    // The kernel refuses a missing interface when the daemon starts; logged then.
    if (!c.interface_exists(n.args[0], n.args[0].text, false))
        c.warn(n.args[0],
               kw + ": interface '" + d.daemon.interface + "' does not exist on this host");
    c.lvs_sync = LvsSyncUse{n.args[1], id_set};
    g.lvs_sync_daemon = std::move(d);
}

// keepalived rejects an out-of-range garp interval at "-t" and ignores it at run time.
void garp_interval(Ctx& c, const Node& n, std::chrono::microseconds& out) {
    if (!c.need_args(n, 1)) return;
    auto v = parse_seconds(n.args[0].text);
    if (!v || v->count() < 1 || v->count() > 4'294'967'295LL) {
        c.strict(n.args[0], "'" + std::string(n.key.text) + "': number '" +
                                std::string(n.args[0].text) +
                                "' outside range [0.000001, 4294.967295]; ignored");
        return;
    }
    out = *v;
}

// FILE [username [groupname]]: the words after the path name the FIFO's owner.
void fifo(Ctx& c, const Node& n, NotifyFifoConfig& out) {
    if (!c.need_args(n, 1)) return;
    if (!out.path.empty()) {
        c.strict(n.args[0], std::string(n.key.text) + " already specified - ignoring " +
                                std::string(n.args[0].text));
        return;
    }
    out.path = std::string(n.args[0].text);
    out.user = std::string(c.arg(n, 1));
    out.group = std::string(c.arg(n, 2));
}

void path_kw(Ctx& c, const Node& n, std::string& out) {
    if (!c.need_args(n, 1)) return;
    if (n.args.size() > 1) {
        c.error(n.args[1], "'" + std::string(n.key.text) + "': expected one path");
        return;
    }
    out = std::string(n.args[0].text);
}

// STRING|QUOTED_STRING [username [groupname]]: the command is the first word (or the quoted
// string); the words after it are the user and group it runs as.
void fifo_script(Ctx& c, const Node& n, NotifyFifoConfig& out) {
    auto argv = n.args.empty()     ? std::vector<std::string>{}
                : n.args[0].quoted ? split_command(n.args[0].text)
                                   : std::vector<std::string>{std::string(n.args[0].text)};
    if (argv.empty()) {
        c.error(n.key, "'" + std::string(n.key.text) + "' expects a command");
        return;
    }
    const std::string user(c.arg(n, 1));
    c.scripts.push_back({argv, user, n.key.loc, ScriptUse::Kind::fifo, {}});
    out.script = std::move(argv);
    out.script_user = user;
    out.script_group = std::string(c.arg(n, 2));
}

void script(Ctx& c, const Node& n, G::Script& out) {
    user_command_into(c, n, out, ScriptUse::Kind::notify);
}

// umask NUMBER (hex, octal or decimal) or BITS such as IWGRP|IWOTH.
void umask_kw(Ctx& c, const Node& n, G& g) {
    if (!c.need_args(n, 1)) return;
    std::string text;
    for (const auto& a : n.args) text += a.text;
    unsigned mask = 0;
    if (text[0] >= '0' && text[0] <= '9') {
        char* end = nullptr;
        errno = 0;
        unsigned long v = std::strtoul(text.c_str(), &end, 0);  // 0x.., 0.. (octal), decimal
        if (errno != 0 || *end != '\0' || v > 0777) {
            c.error(n.args[0], "umask: expected a number in [0, 0777] or BITS, got '" + text + "'");
            return;
        }
        mask = unsigned(v);
    } else {
        static constexpr std::pair<std::string_view, unsigned> bits[] = {
            {"IRUSR", 0400}, {"IWUSR", 0200}, {"IXUSR", 0100}, {"IRGRP", 040}, {"IWGRP", 020},
            {"IXGRP", 010},  {"IROTH", 04},   {"IWOTH", 02},   {"IXOTH", 01}};
        std::string_view rest = text;
        while (!rest.empty()) {
            auto bar = rest.find('|');
            auto word = rest.substr(0, bar);
            bool found = false;
            for (const auto& [name, bit] : bits)
                if (word == name) {
                    mask |= bit;
                    found = true;
                }
            if (!found) {
                c.error(n.args[0], "umask: unknown bit '" + std::string(word) + "'");
                return;
            }
            rest = bar == std::string_view::npos ? std::string_view{} : rest.substr(bar + 1);
        }
    }
    g.umask = mask;
}

// vrrp_* / checker_* process keywords: keepalived's ranges and messages; a bad value is
// reported (an error for "-t") and ignored, as keepalived does at run time.
std::string process_name(const Node& n) {
    return n.key.text.starts_with("vrrp") ? "vrrp" : "checker";
}
ProcessTuning& tuning_of(const Node& n, G& g) {
    return n.key.text.starts_with("vrrp") ? g.vrrp_process : g.checker_process;
}

void process_priority(Ctx& c, const Node& n, G& g) {
    const auto who = process_name(n);
    if (n.args.empty()) return c.strict(n.key, "No " + who + " process priority specified");
    auto v = parse_integer(n.args[0].text);
    if (!v || *v < -20 || *v > 19)
        return c.strict(n.args[0], "Invalid " + who + " process priority '" +
                                       std::string(n.args[0].text) + "': expected -20 to 19");
    tuning_of(n, g).nice = int(*v);
}

void process_rt_priority(Ctx& c, const Node& n, G& g) {
    const auto who = process_name(n);
    if (n.args.empty())
        return c.strict(n.key, "No " + who + " process real-time priority specified");
    auto v = parse_integer(n.args[0].text);
    if (!v)
        return c.strict(n.args[0], who + " process real-time priority '" +
                                       std::string(n.args[0].text) + "' invalid");
    const auto [lo, hi] = c.host.rt_priority_range();
    long long p = *v;
    if (p < lo) {
        c.strict(n.args[0], who + " process real-time priority " + std::to_string(p) +
                                " less than minimum " + std::to_string(lo) +
                                " - setting to minimum");
        p = lo;
    } else if (p > hi) {
        c.strict(n.args[0], who + " process real-time priority " + std::to_string(p) +
                                " greater than maximum " + std::to_string(hi) +
                                " - setting to maximum");
        p = hi;
    }
    tuning_of(n, g).rt_priority = int(p);
}

void process_rlimit_rttime(Ctx& c, const Node& n, G& g) {
    const auto who = process_name(n);
    if (!c.need_args(n, 1)) return;
    auto v = parse_integer(n.args[0].text);
    if (!v || *v < 1 || *v > 4294967295LL)
        return c.strict(n.args[0], "Invalid " + who + " real-time limit - " +
                                       std::string(n.args[0].text) +
                                       " (microseconds, 1 to 4294967295)");
    tuning_of(n, g).rlimit_rttime = std::uint32_t(*v);
}

// The old spelling keepalived 2.2.7 still takes.
void process_rlimit_rtime(Ctx& c, const Node& n, G& g) {
    const std::string kw(n.key.text);
    c.warn(n.key, "Keyword '" + kw + "' is deprecated - please use '" +
                      kw.substr(0, kw.size() - 5) + "rttime'");
    process_rlimit_rttime(c, n, g);
}

void process_cpu_affinity(Ctx& c, const Node& n, G& g) {
    const auto who = process_name(n);
    if (n.args.empty()) return c.strict(n.key, "No " + who + " cpu_id set specified");
    const long cpus = c.host.cpu_count();
    std::vector<int> ids;
    for (const auto& a : n.args) {
        auto v = parse_integer(a.text);
        if (!v || *v < 0 || *v >= cpus)
            return c.strict(a, "Invalid cpu_id:" + std::string(a.text) + " specified for " + who +
                                   " process (this host has CPUs 0 to " + std::to_string(cpus - 1) +
                                   ")");
        ids.push_back(int(*v));
    }
    tuning_of(n, g).cpu_affinity = std::move(ids);
}

// lvs_flush_on_stop [VS]: no argument flushes the whole table; anything but VS is refused.
void lvs_flush_on_stop(Ctx& c, const Node& n, G&) {
    if (n.args.empty()) {
        c.cfg.lvs.flush_on_stop = ipvs::FlushOnStop::all;
    } else if (n.args[0].text == "VS") {
        c.cfg.lvs.flush_on_stop = ipvs::FlushOnStop::services;
    } else {
        c.strict(n.args[0],
                 "Unknown lvs_flush_on_stop type " + std::string(n.args[0].text) + " - ignoring");
    }
}

const KeywordTable<G>& table() {
    static const KeywordTable<G> t{
        {"router_id",
         [](Ctx& c, const Node& n, G& g) {
             if (c.need_args(n, 1)) g.router_id = std::string(n.args[0].text);
         }},
        {"notification_email",
         [](Ctx& c, const Node& n, G& g) {
             for (const auto& ch : n.children) {
                 g.notification_email.emplace_back(ch.key.text);
                 for (const auto& a : ch.args) g.notification_email.emplace_back(a.text);
             }
             for (const auto& a : n.args) g.notification_email.emplace_back(a.text);
             if (g.notification_email.empty())
                 c.strict(Ctx::block_end(n), "empty notification_email block");
         }},
        {"notification_email_from",
         [](Ctx& c, const Node& n, G& g) {
             if (c.need_args(n, 1)) g.notification_email_from = std::string(n.args[0].text);
         }},
        {"smtp_server",
         [](Ctx& c, const Node& n, G& g) {
             if (!c.need_args(n, 1)) return;
             auto a = parse_address(n.args[0].text);
             if (!a) {
                 if (!is_host_name(n.args[0].text)) {
                     c.error(n.args[0], "Invalid smtp server '" + c.string_arg(n) +
                                            "': expected ADDRESS|HOSTNAME [PORT]");
                     return;
                 }
                 g.smtp_server_name = std::string(n.args[0].text);
             }
             g.smtp_server = a;
             if (n.args.size() > 1)
                 if (auto p = c.integer(n, 1, 1, 65535)) g.smtp_port = std::uint16_t(*p);
         }},
        {"smtp_helo_name",
         [](Ctx& c, const Node& n, G& g) {
             if (c.need_args(n, 1)) g.smtp_helo_name = std::string(n.args[0].text);
         }},
        {"smtp_connect_timeout",
         [](Ctx& c, const Node& n, G& g) {
             if (auto v = c.integer(n, 0, 1, 86400))
                 g.smtp_connect_timeout = std::chrono::seconds(*v);
         }},
        {"smtp_alert", [](Ctx& c, const Node& n, G& g) { g.smtp_alert = flag_value(c, n); }},
        {"smtp_alert_vrrp",
         [](Ctx& c, const Node& n, G& g) { g.smtp_alert_vrrp = flag_value(c, n); }},
        {"smtp_alert_checker",
         [](Ctx& c, const Node& n, G& g) { g.smtp_alert_checker = flag_value(c, n); }},
        {"script_user",
         [](Ctx& c, const Node& n, G& g) {
             if (!c.need_args(n, 1)) return;
             g.script_user = std::string(n.args[0].text);
             if (n.args.size() > 1) g.script_group = std::string(n.args[1].text);
             if (!c.opt.check_users) return;
             bool ok = c.host.user_exists(g.script_user);
             if (ok && !g.script_group.empty()) ok = c.host.group_exists(g.script_group);
             if (!ok) {
                 c.global_script_user_failed = true;
                 c.strict(n.args[0],
                          "Error setting global script uid/gid: no user '" + g.script_user + "'" +
                              (g.script_group.empty() ? "" : " or group '" + g.script_group + "'"));
             }
         }},
        {"enable_script_security",
         [](Ctx& c, const Node& n, G& g) { g.enable_script_security = flag_value(c, n); }},
        {"notify_fifo", [](Ctx& c, const Node& n, G& g) { fifo(c, n, g.notify_fifo); }},
        {"vrrp_notify_fifo", [](Ctx& c, const Node& n, G& g) { fifo(c, n, g.vrrp_notify_fifo); }},
        {"lvs_notify_fifo", [](Ctx& c, const Node& n, G& g) { fifo(c, n, g.lvs_notify_fifo); }},
        {"notify_fifo_script",
         [](Ctx& c, const Node& n, G& g) { fifo_script(c, n, g.notify_fifo); }},
        {"vrrp_notify_fifo_script",
         [](Ctx& c, const Node& n, G& g) { fifo_script(c, n, g.vrrp_notify_fifo); }},
        {"lvs_notify_fifo_script",
         [](Ctx& c, const Node& n, G& g) { fifo_script(c, n, g.lvs_notify_fifo); }},
        {"vrrp_version",
         [](Ctx& c, const Node& n, G& g) {
             if (auto v = c.integer(n, 0, 2, 3)) g.vrrp_version = int(*v);
         }},
        {"vrrp_strict", [](Ctx& c, const Node& n, G& g) { g.vrrp_strict = flag_value(c, n); }},
        {"vrrp_mcast_group4",
         [](Ctx& c, const Node& n, G& g) {
             auto a = c.address(n, 0);
             if (a && !(a->is_v4() && a->to_v4().is_multicast()))
                 c.error(n.args[0], "vrrp_mcast_group4: expected an IPv4 multicast address");
             else if (a)
                 g.vrrp_mcast_group4 = a;
         }},
        {"vrrp_mcast_group6",
         [](Ctx& c, const Node& n, G& g) {
             auto a = c.address(n, 0);
             if (a && !(a->is_v6() && a->to_v6().is_multicast()))
                 c.error(n.args[0], "vrrp_mcast_group6: expected an IPv6 multicast address");
             else if (a)
                 g.vrrp_mcast_group6 = a;
         }},
        {"vrrp_skip_check_adv_addr",
         [](Ctx& c, const Node& n, G& g) { g.vrrp_skip_check_adv_addr = flag_value(c, n); }},
        {"vrrp_startup_delay",
         [](Ctx& c, const Node& n, G& g) {
             if (auto v = c.seconds(n, 0, 0, 3600)) g.vrrp_startup_delay = *v;
         }},
        {"vrrp_garp_master_delay",
         [](Ctx& c, const Node& n, G& g) {
             if (auto v = c.integer(n, 0, 0, 255))
                 g.vrrp_garp_master_delay = std::chrono::seconds(*v);
         }},
        {"vrrp_garp_master_repeat",
         [](Ctx& c, const Node& n, G& g) {
             if (auto v = c.integer(n, 0, 0, 255)) g.vrrp_garp_master_repeat = std::uint8_t(*v);
         }},
        {"vrrp_garp_master_refresh",
         [](Ctx& c, const Node& n, G& g) {
             if (auto v = c.integer(n, 0, 0, 4294967))
                 g.vrrp_garp_master_refresh = std::chrono::seconds(*v);
         }},
        {"vrrp_garp_master_refresh_repeat",
         [](Ctx& c, const Node& n, G& g) {
             if (auto v = c.integer(n, 0, 0, 255)) g.vrrp_garp_master_refresh_repeat = unsigned(*v);
         }},
        {"vrrp_garp_lower_prio_delay",
         [](Ctx& c, const Node& n, G& g) {
             if (auto v = c.integer(n, 0, 0, 4294967))
                 g.vrrp_garp_lower_prio_delay = std::chrono::seconds(*v);
         }},
        {"vrrp_garp_lower_prio_repeat",
         [](Ctx& c, const Node& n, G& g) {
             if (auto v = c.integer(n, 0, 0, 255)) g.vrrp_garp_lower_prio_repeat = unsigned(*v);
         }},
        {"vrrp_garp_interval",
         [](Ctx& c, const Node& n, G& g) { garp_interval(c, n, g.vrrp_garp_interval); }},
        {"vrrp_gna_interval",
         [](Ctx& c, const Node& n, G& g) { garp_interval(c, n, g.vrrp_gna_interval); }},
        {"vrrp_iptables",
         [](Ctx& c, const Node& n, G&) {
             c.strict(n.key,
                      "iptables not supported, using nftables instead: replace 'vrrp_iptables' "
                      "and 'vrrp_ipsets' with 'nftables'");
         }},
        {"lvs_backend",
         [](Ctx& c, const Node& n, G&) {
             if (!c.need_args(n, 1)) return;
             auto v = n.args[0].text;
             if (v == "ipvs")
                 c.cfg.lvs.backend = ipvs::Backend::ipvs;
             else if (v == "nftables")
                 c.cfg.lvs.backend = ipvs::Backend::nftables;
             else if (v == "auto")
                 c.cfg.lvs.backend = ipvs::Backend::automatic;
             else
                 c.error(n.args[0], "lvs_backend: expected ipvs, nftables or auto, got '" +
                                        std::string(v) + "'");
         }},
        {"lvs_timeouts",
         [](Ctx& c, const Node& n, G&) {
             ipvs::Timeouts t;
             if (!c.need_args(n, 2)) return;
             for (std::size_t i = 0; i < n.args.size(); i += 2) {
                 const auto k = n.args[i].text;
                 if (k != "tcp" && k != "tcpfin" && k != "udp") {
                     c.error(n.args[i], "lvs_timeouts: expected tcp, tcpfin or udp, got '" +
                                            std::string(k) + "'");
                     return;
                 }
                 if (i + 1 >= n.args.size()) {
                     c.error(n.args[i], "lvs_timeouts: '" + std::string(k) + "' needs seconds");
                     return;
                 }
                 auto v = c.integer(n, i + 1, 1, 2678400);
                 if (!v) return;
                 (k == "tcp" ? t.tcp : k == "tcpfin" ? t.tcp_fin : t.udp) = std::uint32_t(*v);
             }
             c.cfg.lvs.timeouts = t;
         }},
        {"status_socket",
         [](Ctx& c, const Node& n, G& g) {
             if (c.need_args(n, 1)) g.status_socket = std::string(n.args[0].text);
         }},
        // Vigil's own: who may open the status socket (read-only commands; changes need root).
        {"status_socket_mode",
         [](Ctx& c, const Node& n, G& g) {
             if (!c.need_args(n, 1)) return;
             const auto t = n.args[0].text;
             char* end = nullptr;
             const std::string v(t);
             const unsigned long m = std::strtoul(v.c_str(), &end, 8);
             if (v.empty() || *end || m > 07777)
                 c.error(n.args[0], "status_socket_mode: expected an octal mode, got '" + v + "'");
             else
                 g.status_socket_mode = unsigned(m);
         }},
        {"status_socket_group",
         [](Ctx& c, const Node& n, G& g) {
             if (!c.need_args(n, 1)) return;
             g.status_socket_group = std::string(n.args[0].text);
             if (c.opt.check_users && !c.host.group_exists(g.status_socket_group))
                 c.warn(n.args[0], "status_socket_group: no group '" + g.status_socket_group +
                                       "' on this host");
         }},
        {"metrics_listen",
         [](Ctx& c, const Node& n, G& g) {
             if (!c.need_args(n, 1)) return;
             auto s = n.args[0].text;
             auto colon = s.rfind(':');
             bool ok = colon != std::string_view::npos;
             if (ok) {
                 auto host = s.substr(0, colon);
                 if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
                     host = host.substr(1, host.size() - 2);
                 auto port = parse_integer(s.substr(colon + 1));
                 ok = parse_address(host) && port && *port >= 1 && *port <= 65535;
             }
             if (!ok)
                 c.error(n.args[0],
                         "metrics_listen: expected ADDR:PORT, got '" + std::string(s) + "'");
             else
                 g.metrics_listen = std::string(s);
         }},
        {"checker_log_all_failures",
         [](Ctx& c, const Node& n, G& g) { g.checker_log_all_failures = flag_value(c, n); }},
        // Vigil's own: where SIGUSR1/SIGUSR2 dumps go (keepalived uses $TMPDIR).
        {"tmp_dir", [](Ctx& c, const Node& n, G& g) { path_kw(c, n, g.tmp_dir); }},
        {"data_file", [](Ctx& c, const Node& n, G& g) { path_kw(c, n, g.data_file); }},
        {"stats_file", [](Ctx& c, const Node& n, G& g) { path_kw(c, n, g.stats_file); }},
        // keepalived keywords with no effect on Vigil.
        {"bfd_cpu_affinity", unsupported_kw<G>},
        {"bfd_no_swap", unsupported_kw<G>},
        {"bfd_priority", unsupported_kw<G>},
        {"bfd_process_name", unsupported_kw<G>},
        {"bfd_rlimit_rttime", unsupported_kw<G>},
        {"bfd_rt_priority", unsupported_kw<G>},
        {"checker_cpu_affinity", process_cpu_affinity},
        {"checker_no_swap", [](Ctx&, const Node& n, G& g) { tuning_of(n, g).no_swap = true; }},
        {"checker_priority", process_priority},
        {"checker_process_name", unsupported_kw<G>},
        {"checker_rlimit_rttime", process_rlimit_rttime},
        {"checker_rlimit_rtime", process_rlimit_rtime},
        {"checker_rt_priority", process_rt_priority},
        {"config_save_dir", unsupported_kw<G>},
        {"data_use_instance", unsupported_kw<G>},
        {"dbus_service_name", unsupported_kw<G>},
        {"default_interface",
         [](Ctx& c, const Node& n, G& g) {
             if (c.need_args(n, 1)) g.default_interface = std::string(n.args[0].text);
         }},
        {"disable_local_igmp", unsupported_kw<G>},
        {"dynamic_interfaces",
         [](Ctx& c, const Node& n, G& g) {
             g.dynamic_interfaces = true;
             for (const auto& a : n.args) {
                 if (a.text == "allow_if_changes")
                     g.allow_if_changes = true;
                 else
                     c.strict(a, "dynamic_interfaces: unknown option '" + std::string(a.text) +
                                     "', expected allow_if_changes");
             }
         }},
        {"enable_dbus", unsupported_kw<G>},
        {"enable_snmp_checker", unsupported_kw<G>},
        {"enable_snmp_rfc", unsupported_kw<G>},
        {"enable_snmp_rfcv2", unsupported_kw<G>},
        {"enable_snmp_rfcv3", unsupported_kw<G>},
        {"enable_snmp_vrrp", unsupported_kw<G>},
        {"enable_snmp_keepalived", unsupported_kw<G>},
        {"enable_traps", unsupported_kw<G>},
        {"fifo_write_vrrp_states_on_reload",
         [](Ctx& c, const Node& n, G& g) {
             g.fifo_write_vrrp_states_on_reload = flag_value(c, n);
         }},
        {"include_check", unsupported_kw<G>},
        {"log_unknown_vrids", unsupported_kw<G>},
        {"lvs_flush", [](Ctx& c, const Node&, G&) { c.cfg.lvs.flush_at_start = true; }},
        {"lvs_flush_on_stop", lvs_flush_on_stop},
        {"lvs_netlink_cmd_rcv_bufs", unsupported_kw<G>},
        {"lvs_netlink_cmd_rcv_bufs_force", unsupported_kw<G>},
        {"lvs_netlink_monitor_rcv_bufs", unsupported_kw<G>},
        {"lvs_netlink_monitor_rcv_bufs_force", unsupported_kw<G>},
        {"lvs_sync_daemon", lvs_sync_daemon},
        {"max_auto_priority", unsupported_kw<G>},
        {"min_auto_priority_delay", unsupported_kw<G>},
        {"nftables", unsupported_kw<G>},
        {"nftables_counters", unsupported_kw<G>},
        {"nftables_ifindex", unsupported_kw<G>},
        {"nftables_ipvs", unsupported_kw<G>},
        {"nftables_ipvs_priority", unsupported_kw<G>},
        {"nftables_ipvs_start_fwmark", unsupported_kw<G>},
        {"nftables_priority", unsupported_kw<G>},
        {"no_checker_emails", [](Ctx&, const Node&, G& g) { g.no_checker_emails = true; }},
        {"no_email_faults", [](Ctx&, const Node&, G& g) { g.no_email_faults = true; }},
        // Vigil's own: notify scripts run one at a time per instance, so each is bounded.
        {"notify_timeout",
         [](Ctx& c, const Node& n, G& g) {
             if (auto v = c.seconds(n, 0, 0.01, 3600)) g.notify_timeout = *v;
         }},
        {"process_monitor_rcv_bufs", unsupported_kw<G>},
        {"process_monitor_rcv_bufs_force", unsupported_kw<G>},
        {"process_name", unsupported_kw<G>},
        {"process_names", unsupported_kw<G>},
        {"random_seed",  // applied while reading (config/source.cpp); checked here
         [](Ctx& c, const Node& n, G&) { c.integer(n, 0, 0, 4294967295LL); }},
        {"reload_check_config", unsupported_kw<G>},
        {"reload_file", unsupported_kw<G>},
        {"reload_repeat", unsupported_kw<G>},
        {"reload_time_file", unsupported_kw<G>},
        {"rs_init_notifies", unsupported_kw<G>},
        {"shutdown_script", [](Ctx& c, const Node& n, G& g) { script(c, n, g.shutdown_script); }},
        {"shutdown_script_timeout",
         [](Ctx& c, const Node& n, G& g) {
             if (auto v = c.integer(n, 0, 1, 1000))
                 g.shutdown_script.timeout = std::chrono::seconds(*v);
         }},
        {"snmp_socket", unsupported_kw<G>},
        {"startup_script", [](Ctx& c, const Node& n, G& g) { script(c, n, g.startup_script); }},
        {"startup_script_timeout",
         [](Ctx& c, const Node& n, G& g) {
             if (auto v = c.integer(n, 0, 1, 1000))
                 g.startup_script.timeout = std::chrono::seconds(*v);
         }},
        {"tmp_config_directory", unsupported_kw<G>},
        {"umask", umask_kw},
        {"vmac_addr_prefix",
         [](Ctx& c, const Node& n, G& g) {
             if (!c.need_args(n, 1)) return;
             // PREFIX6.VRID must fit IFNAMSIZ with a three-digit VRID.
             if (n.args[0].text.size() > 10)
                 c.error(n.args[0], "vmac_addr_prefix: at most 10 characters");
             else
                 g.vmac_addr_prefix = std::string(n.args[0].text);
         }},
        {"vmac_prefix",
         [](Ctx& c, const Node& n, G& g) {
             if (!c.need_args(n, 1)) return;
             // The name is PREFIX.VRID and must fit IFNAMSIZ with a three-digit VRID.
             if (n.args[0].text.size() > 11)
                 c.error(n.args[0], "vmac_prefix: at most 11 characters");
             else
                 g.vmac_prefix = std::string(n.args[0].text);
         }},
        {"vrrp_check_unicast_src",
         [](Ctx& c, const Node& n, G& g) { g.vrrp_check_unicast_src = flag_value(c, n); }},
        {"vrrp_cpu_affinity", process_cpu_affinity},
        {"vrrp_down_timer_adverts",
         [](Ctx& c, const Node& n, G& g) {
             if (auto v = c.integer(n, 0, 1, 100)) g.vrrp_down_timer_adverts = int(*v);
         }},
        {"vrrp_garp_extra_if",
         [](Ctx& c, const Node& n, G& g) {
             const bool all = !n.args.empty() && n.args[0].text == "all";
             const std::size_t at = all ? 1 : 0;
             if (n.args.size() <= at) {
                 c.strict(n.key, "vrrp_garp_extra_if specified without time - ignoring");
                 return;
             }
             auto v = parse_integer(n.args[at].text);
             if (!v || *v < 1 || *v > 86400) {
                 c.strict(n.args[at], "vrrp_garp_extra_if '" + std::string(n.args[at].text) +
                                          "' invalid (range [1, 86400]) - ignoring");
                 return;
             }
             g.vrrp_garp_extra_if = std::chrono::seconds(*v);
             g.vrrp_garp_extra_if_all = all;
         }},
        {"vrrp_higher_prio_send_advert",
         [](Ctx& c, const Node& n, G& g) { g.vrrp_higher_prio_send_advert = flag_value(c, n); }},
        {"vrrp_lower_prio_no_advert",
         [](Ctx& c, const Node& n, G& g) { g.vrrp_lower_prio_no_advert = flag_value(c, n); }},
        // One announcement per VIP and no second burst; later vrrp_garp_* lines still win.
        {"vrrp_min_garp",
         [](Ctx& c, const Node& n, G& g) {
             if (!flag_value(c, n)) return;
             g.vrrp_garp_master_repeat = 1;
             g.vrrp_garp_master_delay = std::chrono::seconds(0);
         }},
        {"vrrp_netlink_cmd_rcv_bufs", unsupported_kw<G>},
        {"vrrp_netlink_cmd_rcv_bufs_force", unsupported_kw<G>},
        {"vrrp_netlink_monitor_rcv_bufs", unsupported_kw<G>},
        {"vrrp_netlink_monitor_rcv_bufs_force", unsupported_kw<G>},
        {"vrrp_no_swap", [](Ctx&, const Node& n, G& g) { tuning_of(n, g).no_swap = true; }},
        {"vrrp_notify_priority_changes",
         [](Ctx& c, const Node& n, G& g) { g.vrrp_notify_priority_changes = flag_value(c, n); }},
        {"vrrp_priority", process_priority},
        {"vrrp_process_name", unsupported_kw<G>},
        {"vrrp_rlimit_rttime", process_rlimit_rttime},
        {"vrrp_rlimit_rtime", process_rlimit_rtime},
        {"vrrp_rt_priority", process_rt_priority},
        {"vrrp_rx_bufs_multiplier", unsupported_kw<G>},
        {"vrrp_rx_bufs_policy", unsupported_kw<G>},
        {"linkbeat_use_polling", unsupported_kw<G>},
        {"child_wait_time", unsupported_kw<G>},
        {"net_namespace",
         [](Ctx& c, const Node& n, G& g) {
             if (c.need_args(n, 1)) g.net_namespace = std::string(n.args[0].text);
         }},
        {"net_namespace_ipvs", unsupported_kw<G>},
        {"namespace_with_ipsets", unsupported_kw<G>},
        {"use_pid_dir", unsupported_kw<G>},
        {"instance", unsupported_kw<G>},
    };
    return t;
}

}  // namespace

void parse_global_defs(Ctx& c, const Node& block) {
    dispatch(c, block, c.cfg.global, table());
}

void parse_ssl(Ctx& c, const Node& block) {
    auto& tls = c.cfg.global.tls;
    for (const auto& n : block.children) {
        auto k = n.key.text;
        std::string* out = k == "ca"            ? &tls.ca
                           : k == "certificate" ? &tls.certificate
                           : k == "key"         ? &tls.key
                           : k == "password"    ? &tls.password
                                                : nullptr;
        if (!out) {
            c.unknown(n);
            continue;
        }
        if (c.need_args(n, 1)) *out = std::string(n.args[0].text);
    }
}

}  // namespace vigil::config
