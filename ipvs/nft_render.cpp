#include <linux/ip_vs.h>

#include <fmt/format.h>
#include <algorithm>
#include <numeric>
#include <optional>
#include <unordered_set>

#include "vigil/ipvs/nftables.hpp"

namespace vigil::ipvs {

namespace {

const char* proto_name(Protocol p) {
    switch (p) {
        case Protocol::tcp:
            return "tcp";
        case Protocol::udp:
            return "udp";
        case Protocol::sctp:
            return "sctp";
    }
    return "tcp";
}

std::string addr_text(const Address& a) {
    return a.is_v6() ? fmt::format("[{}]", a.to_string()) : a.to_string();
}

std::string mask_text(bool v6, unsigned prefix) {
    if (!v6) {
        std::uint32_t m = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - std::min(prefix, 32u));
        return boost::asio::ip::address_v4(m).to_string();
    }
    boost::asio::ip::address_v6::bytes_type b{};
    for (unsigned i = 0; i < 16; ++i) {
        unsigned bits = prefix > i * 8 ? std::min(8u, prefix - i * 8) : 0;
        b[i] = static_cast<unsigned char>(bits ? (0xff00u >> bits) & 0xff : 0);
    }
    return boost::asio::ip::address_v6(b).to_string();
}

struct Slot {
    const Destination* dest;
    unsigned slots;
};

// Destinations and their share of the selector's range, as the scheduler decides.
std::vector<Slot> pool_of(const Service& s) {
    std::vector<Slot> pool;
    for (const auto& d : s.destinations) {
        if (d.weight <= 0 || d.address.is_v6() != s.id.is_ipv6()) continue;
        pool.push_back({&d, static_cast<unsigned>(d.weight)});
    }
    if (pool.empty()) return pool;
    if (s.scheduler == "rr") {
        for (auto& p : pool) p.slots = 1;
    } else if (s.scheduler == "fo") {
        auto best = std::max_element(pool.begin(), pool.end(), [](const Slot& a, const Slot& b) {
            return a.dest->weight < b.dest->weight;
        });
        Slot only{best->dest, 1};
        pool = {only};
    } else {
        unsigned g = 0;
        for (const auto& p : pool) g = std::gcd(g, p.slots);
        for (auto& p : pool) p.slots /= g;
    }
    return pool;
}

struct DispatchMap {
    const char* name;
    const char* type;
};
// By NftDispatch.
constexpr DispatchMap kDispatchMaps[3] = {{"svc_mark", "mark . nf_proto"},
                                          {"svc_ip", "inet_proto . ipv4_addr . inet_service"},
                                          {"svc_ip6", "inet_proto . ipv6_addr . inet_service"}};

std::string saddr(bool v6) {
    return v6 ? "ip6 saddr" : "ip saddr";
}

std::string selector(const Service& s, bool v6, unsigned total, std::uint32_t seed) {
    const bool port_hash = (s.flags & IP_VS_SVC_F_SCHED2) != 0;
    if (s.scheduler == "sh" || s.scheduler == "mh")
        return fmt::format("jhash {}{} mod {} seed {:#x}", saddr(v6),
                           port_hash ? " . th sport" : "", total, seed);
    if (s.scheduler == "dh")
        return fmt::format("jhash {} mod {} seed {:#x}", v6 ? "ip6 daddr" : "ip daddr", total,
                           seed);
    return fmt::format("numgen inc mod {}", total);
}

}  // namespace

bool valid_table_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    if (!std::isalpha(static_cast<unsigned char>(name[0]))) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    });
}

std::string render_nftables_flush(const NftablesOptions& o) {
    return fmt::format("add table inet {0}\ndelete table inet {0}\n", o.table);
}

NftServicePart render_nftables_service(const Service& s, std::size_t i, const NftablesOptions& o) {
    NftServicePart out;
    const bool v6 = s.id.is_ipv6();
    const char* proto = proto_name(s.id.protocol);
    const std::string ip = v6 ? "ip6" : "ip";

    if (s.id.fwmark) {
        out.dispatch = NftDispatch::mark;
        out.key = fmt::format("{:#010x} . {}", s.id.fwmark, v6 ? "ipv6" : "ipv4");
    } else if (s.id.address) {
        out.dispatch = v6 ? NftDispatch::ip6 : NftDispatch::ip;
        out.key = fmt::format("{} . {} . {}", proto, addr_text(*s.id.address), s.id.port);
    } else {
        return out;
    }

    auto pool = pool_of(s);
    for (const auto& d : s.destinations)
        if (d.weight > 0 && d.forwarding != Forwarding::nat)
            out.warnings.push_back(
                fmt::format("{}: destination {} uses {} forwarding, "
                            "done as NAT by nftables",
                            to_string(s.id), addr_text(d.address),
                            d.forwarding == Forwarding::dr ? "dr" : "tun"));
    auto port_of = [&](const Destination& d) { return d.port ? d.port : s.id.port; };
    // Firewall-mark services with port 0 destinations keep the packet's port.
    const bool with_port = !std::any_of(pool.begin(), pool.end(),
                                        [&](const Slot& p) { return port_of(*p.dest) == 0; });
    const std::string l4 = with_port ? fmt::format("meta l4proto {} ", proto) : "";

    std::string& body = out.body;
    if (s.timeout && !pool.empty()) {
        bool keep_port = true;  // IPv6: the learnt value is an address only
        if (v6)
            keep_port = !s.id.fwmark && std::all_of(pool.begin(), pool.end(), [&](const Slot& p) {
                return port_of(*p.dest) == s.id.port;
            });
        if (v6 && !keep_port) {
            out.warnings.push_back(
                fmt::format("{}: IPv6 persistence needs every destination on the service port; "
                            "persistence not applied",
                            to_string(s.id)));
        } else {
            const bool map_port = with_port && !v6;
            const std::string key =
                s.prefix < (v6 ? 128u : 32u)
                    ? fmt::format("{} and {}", saddr(v6), mask_text(v6, s.prefix))
                    : saddr(v6);
            const std::string type = v6 ? "ipv6_addr" : "ipv4_addr";
            out.map = fmt::format(
                "\tmap persist_{} {{\n\t\ttype {} : {}{}\n\t\tflags dynamic,timeout\n"
                "\t\ttimeout {}s\n\t}}\n",
                i, type, type, map_port ? " . inet_service" : "", s.timeout);
            std::string origin;
            if (s.id.fwmark)
                origin = fmt::format("meta mark {:#010x} meta nfproto {}", s.id.fwmark,
                                     v6 ? "ipv6" : "ipv4");
            else
                origin = fmt::format(
                    "meta l4proto {} ct original {} daddr {} ct original "
                    "proto-dst {}",
                    proto, ip, s.id.address->to_string(), s.id.port);
            out.learn =
                fmt::format("\t\t{} ct status dnat update @persist_{} {{ {} : {} daddr{} }}\n",
                            origin, i, key, ip, map_port ? " . th dport" : "");
            body += fmt::format("\t\t{}dnat {} to {} map @persist_{}\n",
                                map_port ? l4 : std::string{}, ip, key, i);
        }
    }
    // One pool map per kind of key and value, for all services: a slot's key names its
    // service (slot . address . port, or slot . mark).
    const std::string kind =
        fmt::format("{}{}_{}", ip, s.id.fwmark ? "m" : "", with_port ? proto : "any");
    out.pool_name = "pool_" + kind;
    const std::string in_pool = s.id.fwmark ? std::string(" . meta mark")
                                            : fmt::format(" . {} daddr . {} dport", ip, proto);
    out.pool = fmt::format("\tmap {} {{\n\t\ttypeof numgen inc mod 2{} : {} daddr{}\n\t}}\n",
                           out.pool_name, in_pool, ip,
                           with_port ? fmt::format(" . {} dport", proto) : std::string{});
    out.own_chain = !out.map.empty();
    if (!pool.empty()) {
        unsigned total = 0;
        for (const auto& p : pool) total += p.slots;
        const auto value = [&](const Destination& d) {
            return with_port ? fmt::format("{} . {}", addr_text(d.address), port_of(d))
                             : addr_text(d.address);
        };
        // An address's lookup reads the transport header's port.
        const bool needs_l4 = with_port || (s.flags & IP_VS_SVC_F_SCHED2) || !s.id.fwmark;
        const std::string dnat = fmt::format(
            "{}dnat {} to {}", needs_l4 ? fmt::format("meta l4proto {} ", proto) : std::string{},
            ip, selector(s, v6, total, o.seed));
        if (total <= kNftMaxPoolSlots) {
            const std::string key_tail =
                s.id.fwmark ? fmt::format(" . {:#010x}", s.id.fwmark)
                            : fmt::format(" . {} . {}", addr_text(*s.id.address), s.id.port);
            unsigned slot = 0;
            for (const auto& p : pool)
                for (unsigned k = 0; k < p.slots; ++k, ++slot) {
                    const char* sep = slot ? ", " : "";
                    out.slot_keys += fmt::format("{}{}{}", sep, slot, key_tail);
                    out.slots += fmt::format("{}{}{} : {}", sep, slot, key_tail, value(*p.dest));
                }
            const std::string lookup =
                fmt::format("{}{} map @{}", dnat,
                            s.id.fwmark ? std::string(" . meta mark")
                                        : fmt::format(" . {} daddr . th dport", ip),
                            out.pool_name);
            if (out.own_chain) {
                body += fmt::format("\t\t{}\n", lookup);
            } else {
                // Services of one kind, scheduler and pool size share a chain: the selector
                // reads nothing of the service, the lookup finds its slots by its key.
                const bool port_hash = (s.flags & IP_VS_SVC_F_SCHED2) != 0;
                const char* by = s.scheduler == "sh" || s.scheduler == "mh"
                                     ? (port_hash ? "shp" : "sh")
                                 : s.scheduler == "dh" ? "dh"
                                                       : "rr";
                out.pick_name = fmt::format("pick_{}_{}_{}", kind, by, total);
                out.pick_rule = lookup;
            }
        } else {
            std::string ranges;
            unsigned first = 0;
            for (const auto& p : pool) {
                if (!ranges.empty()) ranges += ", ";
                ranges += p.slots == 1 ? fmt::format("{} : {}", first, value(*p.dest))
                                       : fmt::format("{}-{} : {}", first, first + p.slots - 1,
                                                     value(*p.dest));
                first += p.slots;
            }
            out.own_chain = true;
            body += fmt::format("\t\t{} map {{ {} }}\n", dnat, ranges);
        }
    }
    out.verdict = out.own_chain            ? fmt::format("goto svc_{}", i)
                  : !out.pick_name.empty() ? "goto " + out.pick_name
                                           : std::string("accept");  // an empty pool
    return out;
}

NftRender render_nftables(const Table& table, const NftablesOptions& o) {
    NftRender out;
    std::string dispatch[3], maps, pools, learn, picks, chains;
    // Each pool map and its elements, in order of first use.
    std::vector<std::pair<std::string, std::string>> elements;
    std::unordered_set<std::string> picked;
    for (std::size_t i = 0; i < table.size(); ++i) {
        auto part = render_nftables_service(table[i], i, o);
        out.warnings_of.push_back(part.warnings.size());
        for (auto& w : part.warnings) out.warnings.push_back(std::move(w));
        if (part.key.empty()) continue;
        auto& d = dispatch[static_cast<int>(part.dispatch)];
        if (!d.empty()) d += ", ";
        d += part.key + " : " + part.verdict;
        maps += part.map;
        learn += part.learn;
        auto e = std::find_if(elements.begin(), elements.end(),
                              [&](const auto& e) { return e.first == part.pool_name; });
        if (e == elements.end()) {
            pools += part.pool;
            e = elements.emplace(elements.end(), part.pool_name, std::string{});
        }
        if (!part.slots.empty()) {
            if (!e->second.empty()) e->second += ", ";
            e->second += part.slots;
        }
        if (!part.pick_name.empty() && picked.insert(part.pick_name).second) {
            out.chains.push_back(part.pick_name);
            picks += fmt::format("\tchain {} {{\n\t\t{}\n\t}}\n", part.pick_name, part.pick_rule);
        }
        if (part.own_chain) chains += fmt::format("\tchain svc_{} {{\n{}\t}}\n", i, part.body);
    }

    std::string& t = out.text;
    t = render_nftables_flush(o);
    t += fmt::format("table inet {} {{\n", o.table);
    for (int k = 0; k < 3; ++k) {
        t += fmt::format("\tmap {} {{\n\t\ttype {} : verdict\n", kDispatchMaps[k].name,
                         kDispatchMaps[k].type);
        if (!dispatch[k].empty()) t += fmt::format("\t\telements = {{ {} }}\n", dispatch[k]);
        t += "\t}\n";
    }
    t += maps;
    t += pools;
    // A firewall mark first: IPVS looks a packet's mark up before its address.
    const std::string lookups =
        "\t\tmeta mark . meta nfproto vmap @svc_mark\n"
        "\t\tmeta l4proto . ip daddr . th dport vmap @svc_ip\n"
        "\t\tmeta l4proto . ip6 daddr . th dport vmap @svc_ip6\n";
    t += "\tchain prerouting {\n\t\ttype nat hook prerouting priority -100; policy accept;\n";
    t += lookups + "\t}\n";
    t += "\tchain output {\n\t\ttype nat hook output priority -100; policy accept;\n";
    t += lookups + "\t}\n";
    if (!learn.empty()) {
        t += "\tchain postrouting {\n\t\ttype nat hook postrouting priority 100; policy accept;\n";
        t += learn + "\t}\n";
    }
    t += picks;
    t += chains;
    t += "}\n";
    // After the rules that read them: the kernel checks each rule against the elements its map
    // already holds.
    for (const auto& [name, els] : elements)
        if (!els.empty()) t += fmt::format("add element inet {} {} {{ {} }}\n", o.table, name, els);
    return out;
}

std::optional<NftUpdate> render_nftables_update(const Table& before, const Table& after,
                                                const NftablesOptions& o,
                                                const std::unordered_set<std::string>& chains) {
    if (before.size() != after.size()) return std::nullopt;
    NftUpdate out;
    std::unordered_set<std::string> picked;
    for (std::size_t i = 0; i < after.size(); ++i) {
        if (before[i] == after[i]) continue;
        if (!(before[i].id == after[i].id)) return std::nullopt;
        auto was = render_nftables_service(before[i], i, o);
        auto now = render_nftables_service(after[i], i, o);
        // How the service is matched, what it learns, its pool's type and whether it has a chain
        // of its own live outside its slots and rules.
        if (was.key != now.key || was.map != now.map || was.learn != now.learn ||
            was.pool != now.pool || was.own_chain != now.own_chain)
            return std::nullopt;
        if (now.key.empty()) continue;
        if (was.slots != now.slots) {
            if (!was.slot_keys.empty())
                out.text += fmt::format("delete element inet {} {} {{ {} }}\n", o.table,
                                        now.pool_name, was.slot_keys);
            if (!now.slots.empty())
                out.text += fmt::format("add element inet {} {} {{ {} }}\n", o.table, now.pool_name,
                                        now.slots);
        }
        if (!now.map.empty() && (was.body != now.body || was.slots != now.slots)) {
            // Clients learnt for the old pool would keep reaching a server that left it.
            out.text += fmt::format("flush map inet {} persist_{}\n", o.table, i);
        }
        if (was.body != now.body) {
            out.text += fmt::format("flush chain inet {} svc_{}\n", o.table, i);
            // The body's rules are "\t\tRULE\n" lines.
            for (std::size_t p = 0; p < now.body.size();) {
                const std::size_t nl = now.body.find('\n', p);
                out.text += fmt::format("add rule inet {} svc_{} {}\n", o.table, i,
                                        std::string_view(now.body).substr(p + 2, nl - p - 2));
                p = nl + 1;
            }
        }
        if (was.verdict != now.verdict) {
            // A shared chain the table lacks is made first.
            if (!now.pick_name.empty() && !chains.contains(now.pick_name) &&
                picked.insert(now.pick_name).second) {
                // Flushed too: made again the same, should the table have it after all.
                out.text += fmt::format(
                    "add chain inet {0} {1}\nflush chain inet {0} {1}\nadd rule inet {0} {1} {2}\n",
                    o.table, now.pick_name, now.pick_rule);
                out.new_chains.push_back(now.pick_name);
            }
            const char* map = kDispatchMaps[static_cast<int>(now.dispatch)].name;
            out.text += fmt::format(
                "delete element inet {0} {1} {{ {2} }}\nadd element inet {0} {1} {{ {2} : {3} }}\n",
                o.table, map, now.key, now.verdict);
        }
        if (was.warnings != now.warnings) out.warnings.emplace_back(i, std::move(now.warnings));
    }
    return out;
}

std::vector<std::string> conntrack_flush_argv(const ServiceId& service, const Destination& d) {
    static constexpr const char* protos[] = {"tcp", "udp", "sctp"};
    std::vector<std::string> argv{"conntrack", "-D", "-f", d.address.is_v6() ? "ipv6" : "ipv4"};
    if (!service.fwmark || d.port) {
        argv.insert(argv.end(), {"-p", protos[static_cast<int>(service.protocol)]});
    }
    argv.insert(argv.end(), {"--reply-src", d.address.to_string()});
    const std::uint16_t port = d.port ? d.port : service.port;
    if (port) argv.insert(argv.end(), {"--reply-port-src", std::to_string(port)});
    if (service.address) argv.insert(argv.end(), {"--orig-dst", service.address->to_string()});
    return argv;
}

}  // namespace vigil::ipvs
