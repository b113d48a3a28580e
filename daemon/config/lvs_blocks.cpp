// virtual_server_group, virtual_server, real_server and sorry_server blocks (their checker
// blocks: config/checker_blocks.cpp).
#include "config/checker_blocks.hpp"

#include <algorithm>

namespace vigil::config {
namespace {

using VS = ipvs::VirtualServerConfig;
using RS = ipvs::RealServerConfig;

std::optional<ipvs::Forwarding> forwarding(Ctx& c, const Node& n) {
    if (!c.need_args(n, 1)) return std::nullopt;
    auto v = n.args[0].text;
    if (v == "NAT") return ipvs::Forwarding::nat;
    if (v == "DR") return ipvs::Forwarding::dr;
    if (v == "TUN") return ipvs::Forwarding::tun;
    c.error(n.args[0], "unknown [" + std::string(v) + "] routing method: expected NAT, DR or TUN");
    return std::nullopt;
}

ipvs::Command command_of(Ctx& c, const Node& n, ScriptUse::Kind kind) {
    ipvs::Command cmd;
    user_command_into(c, n, cmd, kind);
    return cmd;
}

std::optional<std::uint16_t> port_arg(Ctx& c, const Node& n, std::size_t i) {
    if (auto v = c.integer(n, i, 0, 65535)) return std::uint16_t(*v);
    return std::nullopt;
}

bool valid_scheduler(std::string_view s) {
    static constexpr std::string_view known[] = {"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh",
                                                 "sh", "sed", "nq", "fo",  "ovf",  "mh",    "twos"};
    for (auto k : known)
        if (s == k) return true;
    return false;
}

void real_server(Ctx& c, const Node& n, VS& vs, std::size_t vs_index, bool sorry,
                 const CheckDefaults& vs_def) {
    RS rs;
    rs.file = n.key.loc.file;
    rs.line = n.key.loc.line;
    auto a = c.address(n, 0);
    if (!a) return;
    rs.address = *a;
    if (n.args.size() > 1) {
        if (auto p = port_arg(c, n, 1)) rs.port = *p;
        // Only a service made of firewall marks alone ignores real-server ports.
        bool fwmark = !vs.keys.empty();
        for (const auto& key : vs.keys) fwmark = fwmark && key.fwmark;
        if (fwmark && rs.port)
            c.strict(n.args[1], "real server port specified for fwmark service - ignoring");
    }
    if (sorry) {
        vs.sorry_server = std::move(rs);
        return;
    }
    std::size_t rs_index = vs.real_servers.size();
    CheckDefaults rs_def;
    std::vector<const Node*> checks;
    for (const auto& ch : n.children) {
        auto k = ch.key.text;
        if (is_checker(k)) {
            checks.push_back(&ch);
            continue;
        }
        if (check_default(c, ch, rs_def)) continue;
        if (k == "weight") {
            if (auto v = c.integer(ch, 0, 0, 65535)) rs.weight = int(*v);
        } else if (k == "inhibit_on_failure")
            rs.inhibit_on_failure = flag_value(c, ch);
        else if (k == "notify_up" || k == "notify_down") {
            auto cmd = command_of(c, ch, ScriptUse::Kind::notify);
            if (!cmd.argv.empty())
                (k == "notify_up" ? rs.notify_up : rs.notify_down) =
                    std::make_shared<const ipvs::Command>(std::move(cmd));
        } else if (k == "uthreshold") {
            if (auto v = c.integer(ch, 0, 0, 2147483647)) rs.upper_threshold = std::uint32_t(*v);
        } else if (k == "lthreshold") {
            if (auto v = c.integer(ch, 0, 0, 2147483647)) rs.lower_threshold = std::uint32_t(*v);
        } else if (k == "smtp_alert") {
            rs.smtp_alert = flag_value(c, ch);
            c.lvs_smtp_set.emplace_back(vs_index, rs_index);
        } else if (k == "alpha")
            rs.alpha = flag_value(c, ch);
        else if (k == "lvs_method" || k == "lb_kind")
            rs.forwarding = forwarding(c, ch);
        else if (k == "virtualhost") {
            if (c.need_args(ch, 1)) rs_def.virtualhost = std::string(ch.args[0].text);
        } else if (k == "tunnel_encap" || k == "tunnel_dport" || k == "tunnel_nocsum" ||
                   k == "tunnel_csum" || k == "tunnel_remcsum")
            c.unsupported(ch);
        else
            c.unknown(ch);
    }
    if (c.opt.check_only) {
        CheckSite site{vs, vs_index, &rs, rs_index, vs_def, rs_def};
        for (const Node* ch : checks) check_block(c, *ch, site);
        return;
    }
    vs.real_servers.push_back(std::move(rs));
    CheckSite site{vs, vs_index, &vs.real_servers.back(), rs_index, vs_def, rs_def};
    for (const Node* ch : checks) check_block(c, *ch, site);
}

// The first and last address of a virtual_server_group entry, in keepalived's forms:
// ADDR, ADDR-LAST (the last byte, or 16-bit group for IPv6), ADDR-ADDR and ADDR/PREFIX.
std::optional<std::pair<Address, Address>> group_range(std::string_view text) {
    if (auto slash = text.find('/'); slash != std::string_view::npos) {
        auto a = parse_address(text.substr(0, slash));
        auto len = parse_integer(text.substr(slash + 1));
        if (!a || !len || *len < 0 || *len > (a->is_v4() ? 32 : 128)) return std::nullopt;
        if (a->is_v4()) {
            const unsigned bits = 32 - unsigned(*len);
            const std::uint32_t mask = bits == 32 ? 0 : ~std::uint32_t{0} << bits;
            const auto net = a->to_v4().to_uint() & mask;
            return std::pair{Address(boost::asio::ip::address_v4(net)),
                             Address(boost::asio::ip::address_v4(net | ~mask))};
        }
        auto lo = a->to_v6().to_bytes(), hi = lo;
        for (unsigned i = 0; i < 16; ++i) {
            const int keep = std::clamp(int(*len) - int(i) * 8, 0, 8);
            const std::uint8_t m = keep == 0 ? 0 : std::uint8_t(0xff << (8 - keep));
            lo[i] &= m;
            hi[i] = std::uint8_t(lo[i] | ~m);
        }
        return std::pair{Address(boost::asio::ip::address_v6(lo)),
                         Address(boost::asio::ip::address_v6(hi))};
    }
    if (auto a = parse_address(text)) return std::pair{*a, *a};
    auto dash = text.rfind('-');
    if (dash == std::string_view::npos) return std::nullopt;
    auto a = parse_address(text.substr(0, dash));
    auto last = text.substr(dash + 1);
    if (!a) return std::nullopt;
    if (auto b = parse_address(last)) return std::pair{*a, *b};
    if (a->is_v4()) {
        auto e = parse_integer(last);
        if (!e || *e < 0 || *e > 255) return std::nullopt;
        auto b = a->to_v4().to_bytes();
        b[3] = std::uint8_t(*e);
        return std::pair{*a, Address(boost::asio::ip::address_v4(b))};
    }
    if (last.empty() || last.size() > 4) return std::nullopt;
    unsigned v = 0;
    for (char ch : last) {
        const int d = ch >= '0' && ch <= '9'   ? ch - '0'
                      : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                      : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                               : -1;
        if (d < 0) return std::nullopt;
        v = v * 16 + unsigned(d);
    }
    auto b = a->to_v6().to_bytes();
    b[14] = std::uint8_t(v >> 8);
    b[15] = std::uint8_t(v);
    return std::pair{*a, Address(boost::asio::ip::address_v6(b))};
}

}  // namespace

void parse_virtual_server_group(
    Ctx& c, const Node& block,
    std::unordered_map<std::string, std::vector<ipvs::ServiceKey>>& groups) {
    if (block.args.empty()) {
        c.error(block.key, "virtual_server_group: expected a name");
        return;
    }
    auto& keys = groups[std::string(block.args[0].text)];
    for (const auto& line : block.children) {
        if (line.key.text == "fwmark") {
            ipvs::ServiceKey k;
            if (auto v = c.integer(line, 0, 1, 4294967295LL))
                k.fwmark = std::uint32_t(*v);
            else
                continue;
            if (line.args.size() > 1) k.ipv6 = line.args[1].text == "inet6";
            keys.push_back(k);
            continue;
        }
        auto text = line.key.text;
        std::uint16_t port = 0;
        if (!line.args.empty()) {
            if (auto p = port_arg(c, line, 0))
                port = *p;
            else
                continue;
        }
        auto add = [&](const Address& addr) {
            ipvs::ServiceKey k;
            k.address = addr;
            k.port = port;
            k.ipv6 = addr.is_v6();
            keys.push_back(k);
        };
        auto range = group_range(text);
        if (!range) {
            c.error(line.key,
                    "virtual_server_group: expected ADDRESS, ADDRESS-END, ADDRESS-ADDRESS or "
                    "ADDRESS/PREFIX [PORT], or fwmark N, got '" +
                        std::string(text) + "'");
            continue;
        }
        if (range->first.is_v4() != range->second.is_v4() || range->second < range->first) {
            c.error(line.key, "virtual_server_group: bad range '" + std::string(text) + "'");
            continue;
        }
        if (range->first.is_v4()) {
            const auto lo = range->first.to_v4().to_uint(), hi = range->second.to_v4().to_uint();
            if (hi - lo > 65535) {
                c.error(line.key, "virtual_server_group: range over 65536 addresses");
                continue;
            }
            for (auto x = lo;; ++x) {
                add(boost::asio::ip::address_v4(x));
                if (x == hi) break;
            }
            continue;
        }
        // IPv6: ranges over the last 16 bits only.
        auto lo = range->first.to_v6().to_bytes(), hi = range->second.to_v6().to_bytes();
        if (!std::equal(lo.begin(), lo.begin() + 14, hi.begin())) {
            c.error(line.key, "virtual_server_group: IPv6 range over more than 65536 addresses");
            continue;
        }
        for (unsigned x = (lo[14] << 8) | lo[15], end = (hi[14] << 8) | hi[15]; x <= end; ++x) {
            lo[14] = std::uint8_t(x >> 8);
            lo[15] = std::uint8_t(x);
            add(boost::asio::ip::address_v6(lo));
        }
    }
}

void parse_virtual_server(
    Ctx& c, const Node& block,
    const std::unordered_map<std::string, std::vector<ipvs::ServiceKey>>& groups) {
    VS vs;
    vs.file = c.files[block.key.loc.file];
    vs.line = block.key.loc.line;
    if (block.args.empty()) {
        c.error(block.key, "virtual_server: expected ADDRESS PORT, fwmark N or group NAME");
        return;
    }
    auto first = block.args[0].text;
    if (first == "group") {
        if (!c.need_args(block, 2)) return;
        vs.group = std::string(block.args[1].text);
        auto it = groups.find(vs.group);
        if (it == groups.end()) {
            c.error(block.args[1], "virtual_server_group '" + vs.group + "' is not defined");
            return;
        }
        vs.keys = it->second;
    } else if (first == "fwmark") {
        ipvs::ServiceKey k;
        auto v = c.integer(block, 1, 1, 4294967295LL);
        if (!v) return;
        k.fwmark = std::uint32_t(*v);
        if (block.args.size() > 2) k.ipv6 = block.args[2].text == "inet6";
        vs.keys.push_back(k);
    } else {
        ipvs::ServiceKey k;
        auto a = c.address(block, 0);
        if (!a) return;
        k.address = a;
        k.ipv6 = a->is_v6();
        if (block.args.size() > 1) {
            auto p = port_arg(c, block, 1);
            if (!p) return;
            k.port = *p;
        }
        vs.keys.push_back(k);
    }
    std::size_t vs_index = c.cfg.lvs.virtual_servers.size();
    CheckDefaults def;
    std::vector<const Node*> servers;
    std::optional<Token> protocol_tok;
    std::optional<Token> ha_suspend_tok;
    std::optional<bool> family_v6;  // ip_family
    bool scheduler_tok = false;
    for (const auto& n : block.children) {
        auto k = n.key.text;
        if (k == "real_server") {
            servers.push_back(&n);
            continue;
        }
        if (check_default(c, n, def)) continue;
        if (k == "lb_algo" || k == "lvs_sched") {
            if (!c.need_args(n, 1)) continue;
            scheduler_tok = true;
            if (!valid_scheduler(n.args[0].text))
                c.error(n.args[0], "unknown " + std::string(k) + " '" +
                                       std::string(n.args[0].text) +
                                       "': expected rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, "
                                       "nq, fo, ovf, mh or twos");
            else
                vs.scheduler = std::string(n.args[0].text);
        } else if (k == "lb_kind" || k == "lvs_method") {
            if (auto f = forwarding(c, n)) vs.forwarding = *f;
        } else if (k == "persistence_timeout") {
            if (n.args.empty())
                vs.persistence_timeout = std::chrono::seconds(360);
            else if (auto v = c.integer(n, 0, 1, 2678400))
                vs.persistence_timeout = std::chrono::seconds(*v);
        } else if (k == "persistence_granularity") {
            // IPv6 takes a prefix length (1..128), IPv4 a netmask, as keepalived reads them.
            const auto arg = c.arg(n, 0);
            if (!arg.empty() && arg.find_first_of(".:") == std::string_view::npos) {
                if (auto bits = c.integer(n, 0, 1, 128)) {
                    boost::asio::ip::address_v6::bytes_type m{};
                    for (long long i = 0; i < *bits; ++i)
                        m[std::size_t(i / 8)] |= std::uint8_t(0x80u >> (i % 8));
                    vs.persistence_granularity = boost::asio::ip::address_v6(m);
                }
            } else if (auto a = c.address(n, 0)) {
                vs.persistence_granularity = a;
            }
        } else if (k == "protocol") {
            if (!c.need_args(n, 1)) continue;
            protocol_tok = n.key;
            auto v = n.args[0].text;
            if (v == "TCP" || v == "tcp")
                vs.protocol = ipvs::Protocol::tcp;
            else if (v == "UDP" || v == "udp")
                vs.protocol = ipvs::Protocol::udp;
            else if (v == "SCTP" || v == "sctp")
                vs.protocol = ipvs::Protocol::sctp;
            else
                c.error(n.args[0],
                        "protocol: expected TCP, UDP or SCTP, got '" + std::string(v) + "'");
        } else if (k == "quorum") {
            if (auto v = c.integer(n, 0, 1, 4294967295LL)) vs.quorum = unsigned(*v);
        } else if (k == "hysteresis") {
            if (auto v = c.integer(n, 0, 0, 4294967295LL)) vs.hysteresis = unsigned(*v);
        } else if (k == "quorum_up" || k == "quorum_down") {
            auto cmd = command_of(c, n, ScriptUse::Kind::check);
            (k == "quorum_up" ? vs.quorum_up : vs.quorum_down) =
                cmd.argv.empty() ? nullptr : std::make_shared<const ipvs::Command>(std::move(cmd));
        } else if (k == "alpha")
            vs.alpha = flag_value(c, n);
        else if (k == "omega")
            vs.omega = flag_value(c, n);
        else if (k == "inhibit_on_failure")
            vs.inhibit_on_failure = flag_value(c, n);
        else if (k == "sorry_server")
            real_server(c, n, vs, vs_index, true, def);
        else if (k == "sorry_server_inhibit")
            vs.sorry_server_inhibit = flag_value(c, n);
        else if (k == "sorry_server_lvs_method")
            vs.sorry_server_lvs_method = forwarding(c, n);
        else if (k == "virtualhost") {
            if (c.need_args(n, 1)) vs.virtualhost = std::string(n.args[0].text);
        } else if (k == "smtp_alert") {
            vs.smtp_alert = flag_value(c, n);
            c.lvs_smtp_set.emplace_back(vs_index, std::size_t(-1));
        } else if (k == "ops")
            vs.ops = true;
        else if (k == "lvs_flags" || k == "lb_flags") {
            for (const auto& a : n.args) vs.sched_flags.emplace_back(a.text);
        } else if (k == "sh-port" || k == "sh-fallback" || k == "mh-port" || k == "mh-fallback" ||
                   k == "flag-1" || k == "flag-2" || k == "flag-3") {
            vs.sched_flags.emplace_back(k);
        } else if (k == "ip_family") {
            if (!c.need_args(n, 1)) continue;
            if (n.args[0].text == "inet6" || n.args[0].text == "inet")
                family_v6 = n.args[0].text == "inet6";
            else
                c.error(n.args[0], "ip_family: expected inet or inet6, got '" +
                                       std::string(n.args[0].text) + "'");
        } else if (k == "ha_suspend") {
            vs.ha_suspend = true;
            ha_suspend_tok = n.key;
        } else if (k == "persistence_engine" || k == "snmp_name")
            c.unsupported(n);
        else
            c.unknown(n);
    }
    for (const auto& key : vs.keys)
        if (!key.fwmark && key.port == 0 && !vs.persistence_timeout) {
            c.strict(block.key, "Virtual server " + std::string(first) +
                                    ": zero port only valid for persistent services");
            break;
        }
    if (!scheduler_tok)
        c.strict(block.key, "Virtual server " + std::string(first) +
                                ": no scheduler set, setting default 'wlc'");
    if (servers.empty() && !vs.sorry_server)
        c.strict(block.key,
                 "Virtual server " + std::string(first) + " has no real servers - ignoring");
    bool has_fwmark = false, has_address = false;
    for (const auto& key : vs.keys) (key.fwmark ? has_fwmark : has_address) = true;
    if (!protocol_tok && has_address)
        c.strict(block.key,
                 "Virtual server " + std::string(first) + ": no protocol set - defaulting to TCP");
    if (ha_suspend_tok && !vs.keys.empty() && vs.keys.front().fwmark && vs.group.empty()) {
        c.strict(*ha_suspend_tok, "Virtual server " + std::string(first) +
                                      ": cannot use ha_suspend with fwmarks - clearing ha_suspend");
        vs.ha_suspend = false;
    }
    if (protocol_tok && !vs.keys.empty() && vs.keys.front().fwmark && vs.group.empty())
        c.strict(*protocol_tok, "Virtual server FWM " + std::to_string(vs.keys.front().fwmark) +
                                    ": protocol specified for fwmark - protocol will be ignored");
    c.cfg.lvs.virtual_servers.push_back(std::move(vs));
    auto& stored = c.cfg.lvs.virtual_servers.back();
    if (!c.opt.check_only) stored.real_servers.reserve(servers.size());
    for (const Node* s : servers) real_server(c, *s, stored, vs_index, false, def);
    // A firewall mark has no address to tell its family: ip_family says it, else (as
    // keepalived) real servers that are all IPv6.
    bool all_v6 = !stored.real_servers.empty();
    for (const auto& r : stored.real_servers) all_v6 = all_v6 && r.address.is_v6();
    for (auto& key : stored.keys)
        if (key.fwmark) key.ipv6 = family_v6 ? *family_v6 : key.ipv6 || all_v6;
}

}  // namespace vigil::config
