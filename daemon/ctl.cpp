#include "ctl.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "pidfile.hpp"

namespace vigil {

using nlohmann::json;

std::string ctl_usage(const std::string& p) {
    return fmt::format(
        "Usage: {0} [-p SOCKET] COMMAND\n"
        "  show [--json]              instances, sync groups, virtual and real servers, overrides\n"
        "  lvs [--stats|--rate|--connections] [--json]\n"
        "                             the live table, as ipvsadm -L -n\n"
        "  drain VS RS [--timeout S]  weight 0 now; out of the pool when its connections end\n"
        "  enable VS RS | disable VS RS\n"
        "  maintenance INSTANCE on|off\n"
        "                             hold a VRRP instance (and its sync group) in BACKUP\n"
        "  clear                      list and remove every override\n"
        "VS as `show` names it (10.0.0.10:80, [fd00::10]:80, FWM 1, a group), optionally\n"
        "prefixed tcp:, udp: or sctp:; RS as ADDR:PORT or ADDR.\n"
        "-p, --socket SOCKET          the daemon's status socket (default /run/vigild.sock)\n",
        p);
}

std::expected<CtlCommand, std::string> parse_ctl(const std::vector<std::string>& args) {
    CtlCommand c;
    std::vector<std::string> words;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& a = args[i];
        auto value = [&]() -> std::expected<std::string, std::string> {
            if (i + 1 >= args.size()) return std::unexpected(a + " needs a value");
            return args[++i];
        };
        if (a == "-p" || a == "--socket") {
            auto v = value();
            if (!v) return std::unexpected(v.error());
            c.socket = *v;
        } else if (a.starts_with("--socket=")) {
            c.socket = a.substr(9);
        } else if (a == "--json") {
            c.json = true;
        } else if (a == "--stats" || a == "--rate" || a == "--connections") {
            c.lvs_mode = a.substr(2);
        } else if (a == "--timeout") {
            auto v = value();
            if (!v) return std::unexpected(v.error());
            long long s = -1;
            auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), s);
            if (ec != std::errc{} || p != v->data() + v->size() || s < 0)
                return std::unexpected("--timeout takes whole seconds, got '" + *v + "'");
            c.request.timeout = std::chrono::seconds(s);
        } else if (a.starts_with("-") && a.size() > 1) {
            return std::unexpected("unknown option " + a);
        } else {
            words.push_back(a);
        }
    }
    if (words.empty()) return std::unexpected("no command");
    c.request.cmd = words.front();
    c.request.args.assign(words.begin() + 1, words.end());
    if (c.request.cmd == "lvs" && c.lvs_mode == "connections") {
        c.request.cmd = "connections";
    } else if (!c.lvs_mode.empty() && c.request.cmd != "lvs") {
        return std::unexpected("--" + c.lvs_mode + " goes with lvs");
    }
    if (c.request.timeout && c.request.cmd != "drain")
        return std::unexpected("--timeout goes with drain");
    // The daemon checks the rest; a bad command is refused before connecting.
    auto check = parse_request(encode_request(c.request));
    if (!check) return std::unexpected(check.error());
    return c;
}

namespace {

std::string yes(bool b) {
    return b ? "yes" : "no";
}

}  // namespace

std::string render_show(const std::string& text) {
    auto j = json::parse(text, nullptr, false);
    if (j.is_discarded()) return text;
    std::string out;
    const auto& d = j.value("daemon", json::object());
    out += fmt::format("vigild pid {}  up {} s  config {}\n", d.value("pid", 0),
                       d.value("uptime_s", 0), d.value("config_file", ""));
    if (j.contains("data_plane"))
        out += fmt::format("data plane {}\n", j["data_plane"].value("backend", "?"));
    const auto instances = j.value("vrrp", json::object()).value("instances", json::array());
    if (!instances.empty()) {
        out += fmt::format("\n{:<16} {:<8} {:>4} {:>4} {:>9}  {:<18} {:>9}  {}\n", "INSTANCE",
                           "STATE", "VRID", "PRIO", "EFFECTIVE", "MASTER", "CHANGED", "NOTES");
        for (const auto& i : instances) {
            std::string notes;
            const int base = i.value("priority", 0), eff = i.value("effective_priority", 0);
            if (eff != base) notes += fmt::format("tracking {:+d}; ", eff - base);
            if (i.value("maintenance", false)) notes += "maintenance (held in BACKUP); ";
            if (!i.value("group", "").empty()) notes += "group " + i.value("group", "") + "; ";
            std::string vips;
            for (const auto& v : i.value("vips", json::array()))
                vips += (vips.empty() ? "" : ",") + v.get<std::string>();
            if (!vips.empty()) notes += "vips " + vips;
            out += fmt::format("{:<16} {:<8} {:>4} {:>4} {:>9}  {:<18} {:>7.0f} s  {}\n",
                               i.value("name", ""), i.value("state", ""), i.value("vrid", 0), base,
                               eff, i.value("master", ""), i.value("last_transition_s_ago", 0.0),
                               notes);
        }
    }
    for (const auto& g : j.value("sync_groups", json::array())) {
        std::string members;
        for (const auto& m : g.value("instances", json::array()))
            members += (members.empty() ? "" : " ") + m.get<std::string>();
        out += fmt::format("sync group {:<16} {:<8} {}\n", g.value("name", ""),
                           g.value("state", ""), members);
    }
    for (const auto& vs : j.value("virtual_servers", json::array())) {
        out += fmt::format("\nvirtual server {}  quorum {}{}\n", vs.value("name", ""),
                           vs.value("quorum_up", false) ? "up" : "DOWN",
                           vs.value("sorry_active", false) ? ", sorry server in use" : "");
        out += fmt::format("  {:<28} {:<5} {:>6} {:>4} {:<7} {:<9} {:<24} {}\n", "REAL SERVER",
                           "CHECK", "WEIGHT", "NOW", "IN POOL", "ADMIN", "WHY", "CHECKS");
        for (const auto& rs : vs.value("real_servers", json::array())) {
            const auto checks = rs.value("checks", json::array());
            std::size_t up = 0;
            for (const auto& c : checks) up += c.value("up", false) ? 1 : 0;
            const int now = rs.value("weight_now", -1);
            out += fmt::format(
                "  {:<28} {:<5} {:>6} {:>4} {:<7} {:<9} {:<24} {}/{} up\n", rs.value("address", ""),
                rs.value("alive", false) ? "UP" : "DOWN", rs.value("weight", 0),
                now < 0 ? std::string("-") : std::to_string(now), yes(rs.value("in_pool", false)),
                rs.value("admin", "enabled"), rs.value("why", ""), up, checks.size());
        }
    }
    const auto overrides = j.value("data_plane", json::object()).value("overrides", json::array());
    bool maint = false;
    for (const auto& i : instances) maint = maint || i.value("maintenance", false);
    if (!overrides.empty() || maint) {
        out += "\noverrides\n";
        for (const auto& o : overrides) {
            out += fmt::format("  {:<9} {} {}", o.value("admin", ""), o.value("vs", ""),
                               o.value("rs", ""));
            if (o.value("admin", "") == "draining") {
                out += fmt::format("  connections {}", o.value("connections", 0));
                if (o.contains("deadline_s"))
                    out += fmt::format("  removed in {} s at the latest", o.value("deadline_s", 0));
            }
            out += "\n";
        }
        for (const auto& i : instances)
            if (i.value("maintenance", false))
                out += fmt::format("  maintenance {}\n", i.value("name", ""));
    }
    // Counters that say something went wrong.
    std::string counters;
    auto add = [&](const std::string& what, const json& map) {
        for (const auto& [k, v] : map.items())
            if (v.is_number() && v.get<double>() > 0)
                counters += fmt::format("  {} {}: {}\n", what, k, v.dump());
    };
    add("vrrp drops", j.value("vrrp", json::object()).value("drops", json::object()));
    for (const auto& i : instances) {
        add("(" + i.value("name", "") + ") drops", i.value("drops", json::object()));
        add("(" + i.value("name", "") + ") errors", i.value("errors", json::object()));
    }
    if (j.contains("data_plane")) {
        const auto& dp = j["data_plane"];
        json m = json::object();
        for (const char* k : {"apply_failures", "open_failures", "refusals", "drains_completed",
                              "drains_timed_out", "overrides_dropped"})
            if (dp.contains(k)) m[k] = dp[k];
        add("data plane", m);
    }
    if (!counters.empty()) out += "\ncounters\n" + counters;
    return out;
}

namespace {

std::string flags_text(const json& s) {
    const auto p = s.value("persistent", 0);
    return p ? fmt::format(" persistent {}", p) : "";
}

// /proc/net/ip_vs_conn: hex addresses and ports, expiry in seconds.
std::string ip_vs_endpoint(std::string_view addr, std::string_view port) {
    unsigned p = 0;
    std::from_chars(port.data(), port.data() + port.size(), p, 16);
    if (addr.size() == 8) {
        unsigned a = 0;
        std::from_chars(addr.data(), addr.data() + 8, a, 16);
        return fmt::format("{}.{}.{}.{}:{}", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, p);
    }
    return fmt::format("[{}]:{}", addr, p);
}

std::string connections(const json& j) {
    std::string out =
        "IPVS connection entries\npro expire state       source             "
        "virtual            destination\n";
    std::istringstream in(j.value("text", ""));
    std::string line;
    const bool ipvs = j.value("backend", "") == "ipvs";
    while (std::getline(in, line)) {
        std::istringstream f(line);
        std::vector<std::string> w;
        for (std::string x; f >> x;) w.push_back(x);
        if (ipvs) {
            // Pro FromIP FPrt ToIP TPrt DestIP DPrt State Expires
            if (w.size() < 9 || w[0] == "Pro") continue;
            long secs = std::stol(w[8]);
            out += fmt::format("{:<3} {:02}:{:02}  {:<11} {:<18} {:<18} {}\n", w[0], secs / 60,
                               secs % 60, w[7], ip_vs_endpoint(w[1], w[2]),
                               ip_vs_endpoint(w[3], w[4]), ip_vs_endpoint(w[5], w[6]));
            continue;
        }
        // conntrack: FAMILY N PROTO N EXPIRES [STATE] src= dst= sport= dport= src= ... sport=
        if (w.size() < 6) continue;
        std::vector<std::string> src, dst, sport, dport;
        std::string state = "-";
        for (std::size_t i = 5; i < w.size(); ++i) {
            const auto& x = w[i];
            if (x.starts_with("src="))
                src.push_back(x.substr(4));
            else if (x.starts_with("dst="))
                dst.push_back(x.substr(4));
            else if (x.starts_with("sport="))
                sport.push_back(x.substr(6));
            else if (x.starts_with("dport="))
                dport.push_back(x.substr(6));
            else if (i == 5 && x.find('=') == std::string::npos)
                state = x;
        }
        if (src.size() < 2 || dst.empty() || sport.size() < 2 || dport.empty()) continue;
        // Only flows that were NATed to another address: the load-balanced ones.
        if (src[1] == dst[0]) continue;
        long secs = std::stol(w[4]);
        auto ep = [](const std::string& a, const std::string& p) {
            return a.find(':') != std::string::npos ? "[" + a + "]:" + p : a + ":" + p;
        };
        std::string proto = w[2];
        for (auto& ch : proto) ch = char(std::toupper(static_cast<unsigned char>(ch)));
        out +=
            fmt::format("{:<3} {:02}:{:02}  {:<11} {:<18} {:<18} {}\n", proto, secs / 60, secs % 60,
                        state, ep(src[0], sport[0]), ep(dst[0], dport[0]), ep(src[1], sport[1]));
    }
    return out;
}

}  // namespace

std::string render_lvs(const std::string& text, const std::string& mode) {
    auto j = json::parse(text, nullptr, false);
    if (j.is_discarded()) return text;
    if (!j.value("ok", false)) return "error: " + j.value("error", std::string("?")) + "\n";
    if (mode == "connections") return connections(j);
    std::string out =
        fmt::format("IP Virtual Server (vigild, {} data plane)\n", j.value("backend", "?"));
    if (mode == "stats")
        out += fmt::format("{:<33} {:>8} {:>8} {:>8} {:>8} {:>8}\n  -> RemoteAddress:Port\n",
                           "Prot LocalAddress:Port", "Conns", "InPkts", "OutPkts", "InBytes",
                           "OutBytes");
    else if (mode == "rate")
        out += fmt::format("{:<33} {:>8} {:>8} {:>8} {:>8} {:>8}\n  -> RemoteAddress:Port\n",
                           "Prot LocalAddress:Port", "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS");
    else
        out +=
            "Prot LocalAddress:Port Scheduler Flags\n"
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n";
    auto numbers = [&](const json& st) {
        if (mode == "stats")
            return fmt::format(" {:>8} {:>8} {:>8} {:>8} {:>8}", st.value("conns", 0),
                               st.value("inpkts", 0), st.value("outpkts", 0),
                               st.value("inbytes", 0), st.value("outbytes", 0));
        return fmt::format(" {:>8} {:>8} {:>8} {:>8} {:>8}", st.value("cps", 0),
                           st.value("inpps", 0), st.value("outpps", 0), st.value("inbps", 0),
                           st.value("outbps", 0));
    };
    for (const auto& s : j.value("services", json::array())) {
        const std::string head =
            fmt::format("{:<4} {}", s.value("protocol", ""), s.value("address", ""));
        if (mode.empty())
            out += fmt::format("{} {}{}\n", head, s.value("scheduler", ""), flags_text(s));
        else
            out += fmt::format("{:<33}{}\n", head, numbers(s.value("stats", json::object())));
        for (const auto& d : s.value("destinations", json::array())) {
            const std::string dh = "  -> " + d.value("address", "");
            if (mode.empty())
                out +=
                    fmt::format("  -> {:<28} {:<7} {:<6} {:<10} {:<10}\n", d.value("address", ""),
                                d.value("forwarding", ""), d.value("weight", 0),
                                d.value("active", 0), d.value("inactive", 0));
            else
                out += fmt::format("{:<33}{}\n", dh, numbers(d.value("stats", json::object())));
        }
    }
    return out;
}

int run_ctl(const std::vector<std::string>& args, const std::string& program) {
    auto c = parse_ctl(args);
    if (!c) {
        std::fprintf(stderr, "%s: %s\n%s", program.c_str(), c.error().c_str(),
                     ctl_usage(program).c_str());
        return 2;
    }
    const std::string path =
        c->socket.empty() ? derived_path("/run/vigild.pid", "", ".sock") : c->socket;
    auto r = query_status(path, encode_request(c->request));
    if (!r) {
        std::fprintf(stderr, "%s: no daemon answers on %s\n", program.c_str(), r.error().c_str());
        return 3;
    }
    auto j = json::parse(*r, nullptr, false);
    if (j.is_discarded()) {
        std::fprintf(stderr, "%s: unreadable answer\n", program.c_str());
        return 1;
    }
    if (j.contains("ok") && !j["ok"].get<bool>()) {
        std::fprintf(stderr, "%s: %s\n", program.c_str(),
                     j.value("error", std::string("refused")).c_str());
        return 1;
    }
    const auto& cmd = c->request.cmd;
    std::string out;
    if (c->json || cmd == "status")
        out = j.dump(2) + "\n";
    else if (cmd == "show")
        out = render_show(*r);
    else if (cmd == "lvs")
        out = render_lvs(*r, c->lvs_mode);
    else if (cmd == "connections")
        out = render_lvs(*r, "connections");
    else if (cmd == "clear") {
        for (const auto& x : j.value("cleared", json::array()))
            out += "cleared " + x.get<std::string>() + "\n";
        if (out.empty()) out = "no overrides\n";
    } else if (cmd == "maintenance") {
        for (const auto& x : j.value("instances", json::array()))
            out += fmt::format("{}: maintenance {}\n", x.get<std::string>(), c->request.args[1]);
    } else {
        out = fmt::format("{} {}\n", cmd, j.value("target", ""));
    }
    std::fputs(out.c_str(), stdout);
    return 0;
}

}  // namespace vigil
