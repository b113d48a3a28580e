// One line of an address, route or rule block, as `ip address/route/rule add` and keepalived
// take it: words in, a typed value or a diagnostic at the offending word out.
#include "config/context.hpp"

#include <linux/rtnetlink.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <span>

namespace vigil::config {
namespace {

std::string q(std::string_view s) {
    return "'" + std::string(s) + "'";
}

std::vector<Token> words_of(const Node& line) {
    std::vector<Token> w;
    w.reserve(line.args.size() + 1);
    w.push_back(line.key);
    w.insert(w.end(), line.args.begin(), line.args.end());
    return w;
}

// A cursor over a line's words that reports a missing value at the keyword.
struct Words {
    Ctx& c;
    std::span<const Token> w;
    std::size_t i = 0;
    const char* what;  // "route", "rule", "address"

    bool done() const { return i >= w.size(); }
    const Token& cur() const { return w[i]; }
    const Token* value() {
        if (i + 1 >= w.size()) {
            c.error(w[i], std::string(what) + ": " + q(w[i].text) + " needs a value");
            return nullptr;
        }
        return &w[++i];
    }
};

std::optional<std::uint32_t> u32(Ctx& c, const Token& t, std::string_view what) {
    auto v = parse_number(t.text);
    if (!v) c.error(t, std::string(what) + ": expected a number, got " + q(t.text));
    return v;
}

std::optional<std::uint32_t> bounded(Ctx& c, const Token& t, std::string_view what,
                                     std::uint32_t lo, std::uint32_t hi) {
    auto v = u32(c, t, what);
    if (v && (*v < lo || *v > hi)) {
        c.error(t, std::string(what) + ": " + q(t.text) + " outside range [" + std::to_string(lo) +
                       ", " + std::to_string(hi) + "]");
        return std::nullopt;
    }
    return v;
}

std::optional<std::uint32_t> named(Ctx& c, const Token& t, NameFile f, std::string_view what,
                                   std::uint32_t hi = 0xffffffff) {
    auto v = c.names.find(f, t.text);
    if (!v) {
        c.error(t, std::string(what) + ": unknown name or bad number " + q(t.text));
        return std::nullopt;
    }
    if (*v > hi) {
        c.error(t, std::string(what) + ": " + q(t.text) + " outside range [0, " +
                       std::to_string(hi) + "]");
        return std::nullopt;
    }
    return v;
}

// "[FROM/]TO" realm names or numbers.
std::optional<std::uint32_t> realms(Ctx& c, const Token& t) {
    auto s = t.text;
    auto slash = s.find('/');
    std::uint32_t from = 0;
    std::string_view to = s;
    if (slash != std::string_view::npos) {
        auto f = c.names.find(NameFile::rt_realms, s.substr(0, slash));
        if (!f || *f > 0xffff) {
            c.error(t, "realms: unknown realm " + q(s.substr(0, slash)));
            return std::nullopt;
        }
        from = *f;
        to = s.substr(slash + 1);
    }
    auto r = c.names.find(NameFile::rt_realms, to);
    if (!r || *r > 0xffff) {
        c.error(t, "realms: unknown realm " + q(to));
        return std::nullopt;
    }
    return (from << 16) | *r;
}

// "A" or "A-B".
template <class T>
std::optional<std::pair<T, T>> range(Ctx& c, const Token& t, std::string_view what,
                                     std::uint32_t hi) {
    auto s = t.text;
    auto dash = s.find('-');
    auto a = parse_number(s.substr(0, dash));
    auto b = dash == std::string_view::npos ? a : parse_number(s.substr(dash + 1));
    if (!a || !b || *a > *b || *b > hi) {
        c.error(t, std::string(what) + ": expected N or N-M (at most " + std::to_string(hi) +
                       "), got " + q(s));
        return std::nullopt;
    }
    return std::pair<T, T>{static_cast<T>(*a), static_cast<T>(*b)};
}

std::optional<std::uint8_t> ip_protocol(std::string_view s) {
    static constexpr std::pair<std::string_view, std::uint8_t> known[] = {
        {"icmp", 1},    {"igmp", 2},       {"tcp", 6},    {"udp", 17},
        {"ipv6", 41},   {"gre", 47},       {"esp", 50},   {"ah", 51},
        {"icmpv6", 58}, {"ipv6-icmp", 58}, {"sctp", 132}, {"udplite", 136}};
    std::string lower(s);
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    for (const auto& [name, value] : known)
        if (name == lower) return value;
    auto n = parse_number(s);
    if (n && *n <= 255) return static_cast<std::uint8_t>(*n);
    return std::nullopt;
}

// The scope words vrrp/addresses understands, or a number 0-255.
bool scope_ok(std::string_view s) {
    if (s == "global" || s == "universe" || s == "site" || s == "link" || s == "host" ||
        s == "nowhere")
        return true;
    auto n = parse_number(s);
    return n && *n <= 255;
}

// A prefix whose family is known by now, or "all" / "default" (no selector).
bool prefix_or_all(Ctx& c, const Token& t, std::string_view what, std::optional<Address>& a,
                   std::uint8_t& len) {
    if (t.text == "all" || t.text == "default" || t.text == "any") return true;
    auto p = parse_prefix(t.text);
    if (!p) {
        c.error(t, std::string(what) + ": invalid address " + q(t.text));
        return false;
    }
    a = p->address;
    len = p->length;
    return true;
}

bool same_family(const std::optional<Address>& a, bool v6) {
    return !a || a->is_v6() == v6;
}

// Options of a route's metrics block: name, field, kernel RTAX_ index, and time scale.
struct MetricKey {
    std::string_view name;
    std::optional<std::uint32_t> vrrp::RouteMetrics::*field;
    int rtax;
    int time_scale;  // 0: a plain number; else kernel units per millisecond (rtt 8, rttvar 4)
};

constexpr std::array<MetricKey, 15> kMetrics{{
    {"mtu", &vrrp::RouteMetrics::mtu, RTAX_MTU, 0},
    {"advmss", &vrrp::RouteMetrics::advmss, RTAX_ADVMSS, 0},
    {"hoplimit", &vrrp::RouteMetrics::hoplimit, RTAX_HOPLIMIT, 0},
    {"window", &vrrp::RouteMetrics::window, RTAX_WINDOW, 0},
    {"rtt", &vrrp::RouteMetrics::rtt, RTAX_RTT, 8},
    {"rttvar", &vrrp::RouteMetrics::rttvar, RTAX_RTTVAR, 4},
    {"ssthresh", &vrrp::RouteMetrics::ssthresh, RTAX_SSTHRESH, 0},
    {"cwnd", &vrrp::RouteMetrics::cwnd, RTAX_CWND, 0},
    {"initcwnd", &vrrp::RouteMetrics::initcwnd, RTAX_INITCWND, 0},
    {"initrwnd", &vrrp::RouteMetrics::initrwnd, RTAX_INITRWND, 0},
    {"reordering", &vrrp::RouteMetrics::reordering, RTAX_REORDERING, 0},
    {"rto_min", &vrrp::RouteMetrics::rto_min, RTAX_RTO_MIN, 1},
    {"quickack", &vrrp::RouteMetrics::quickack, RTAX_QUICKACK, 0},
    {"fastopen_no_cookie", &vrrp::RouteMetrics::fastopen_no_cookie, RTAX_FASTOPEN_NO_COOKIE, 0},
    {"features", &vrrp::RouteMetrics::features, RTAX_FEATURES, 0},
}};

// "12" (raw kernel units, as ip route), "12ms", "1s".
std::optional<std::uint32_t> metric_time(std::string_view s, int scale) {
    std::uint64_t mult = 1;
    if (s.ends_with("ms")) {
        s.remove_suffix(2);
        mult = scale;
    } else if (s.ends_with("s")) {
        s.remove_suffix(1);
        mult = std::uint64_t(scale) * 1000;
    }
    auto v = parse_number(s);
    if (!v || std::uint64_t(*v) * mult > 0xffffffffu) return std::nullopt;
    return static_cast<std::uint32_t>(*v * mult);
}

std::optional<std::uint32_t> lifetime(Ctx& c, const Token& t, std::string_view what) {
    if (t.text == "forever" || t.text == "infinity") return vrrp::VirtualAddress::kForever;
    return u32(c, t, what);
}

}  // namespace

std::optional<vrrp::VirtualAddress> parse_address_line(Ctx& c, const Node& line) {
    auto p = parse_prefix(line.key.text);
    if (!p) {
        c.error(line.key, "VRRP parsed invalid IP " + q(line.key.text) +
                              ": expected ADDRESS[/LEN]; skipping it");
        return std::nullopt;
    }
    vrrp::VirtualAddress v;
    v.address = p->address;
    v.prefix_len = p->length;
    const bool v6 = v.address.is_v6();
    auto all = words_of(line);
    Words w{c, all, 1, "address"};
    std::optional<Token> brd_sign;
    for (; !w.done(); ++w.i) {
        const Token& k = w.cur();
        auto t = k.text;
        if (t == "no_track") {
            v.no_track = true;
        } else if (t == "home" || t == "nodad" || t == "-nodad" || t == "mngtmpaddr" ||
                   t == "noprefixroute" || t == "autojoin") {
            // The kernel has these for IPv6 only; an IPv4 line keeps its address.
            if (!v6 && t != "noprefixroute" && t != "autojoin") {
                c.warn(k, "address: " + q(t) + " is only for IPv6 addresses; ignored");
                continue;
            }
            if (t == "home") v.home = true;
            if (t == "nodad" || t == "-nodad") v.nodad = true;
            if (t == "mngtmpaddr") v.mngtmpaddr = true;
            if (t == "noprefixroute") v.noprefixroute = true;
            if (t == "autojoin") v.autojoin = true;
        } else if (t == "use_vmac") {
            if (c.static_block)  // no instance, no VMAC
                c.unsupported(k);
            else
                v.use_vmac = true;
        } else {
            const Token* val = w.value();
            if (!val) return std::nullopt;
            if (t == "brd" || t == "broadcast") {
                if (v6) {
                    c.error(k, "address: brd is only for IPv4 addresses");
                    return std::nullopt;
                }
                if (val->text == "+" || val->text == "-") {
                    brd_sign = *val;
                    continue;
                }
                auto b = parse_address(val->text);
                if (!b || !b->is_v4()) {
                    c.error(*val, "brd: expected an IPv4 address, got " + q(val->text));
                    return std::nullopt;
                }
                v.broadcast = *b;
            } else if (t == "dev") {
                v.dev = std::string(val->text);
                c.interface_exists(*val, val->text);
            } else if (t == "label") {
                if (v6) {
                    c.error(k, "address: a label is only for IPv4 addresses");
                    return std::nullopt;
                }
                if (val->text.size() >= 16) {
                    c.error(*val, "label: " + q(val->text) + " is longer than 15 characters");
                    return std::nullopt;
                }
                v.label = std::string(val->text);
            } else if (t == "scope") {
                if (!scope_ok(val->text)) {
                    c.error(*val, "scope: unknown scope " + q(val->text));
                    return std::nullopt;
                }
                v.scope = std::string(val->text);
            } else if (t == "peer") {
                auto pp = parse_prefix(val->text);
                if (!pp || pp->address.is_v6() != v6) {
                    c.error(*val,
                            "peer: expected an address of the same family, got " + q(val->text));
                    return std::nullopt;
                }
                v.peer = pp->address;
                if (pp->has_length) v.prefix_len = pp->length;
            } else if (t == "preferred_lft") {
                auto l = lifetime(c, *val, "preferred_lft");
                if (!l) return std::nullopt;
                v.preferred_lft = l;
            } else if (t == "valid_lft") {
                auto l = lifetime(c, *val, "valid_lft");
                if (!l) return std::nullopt;
                v.valid_lft = l;
            } else if (t == "metric" || t == "priority" || t == "preference") {
                auto m = u32(c, *val, "metric");
                if (!m) return std::nullopt;
                v.metric = m;
            } else if (t == "track_group") {
                c.unsupported(k);
            } else {
                c.error(k, "unknown address option " + q(t));
                return std::nullopt;
            }
        }
    }
    if (brd_sign && !v.peer) {
        const auto a = v.address.to_v4().to_uint();
        const std::uint32_t mask = v.prefix_len == 0 ? 0 : ~0u << (32 - v.prefix_len);
        v.broadcast = boost::asio::ip::address_v4(brd_sign->text == "+" ? (a | ~mask) : (a & mask));
    }
    if (v.valid_lft && v.preferred_lft && *v.preferred_lft > *v.valid_lft) {
        c.error(line.key, "address: preferred_lft is greater than valid_lft");
        return std::nullopt;
    }
    return v;
}

std::optional<vrrp::VirtualRoute> parse_route_line(Ctx& c, const Node& line) {
    using R = vrrp::VirtualRoute;
    R r;
    auto all = words_of(line);
    Words w{c, all, 0, "route"};
    bool have_dest = false, inet6 = false, in_nexthops = false;
    std::optional<Token> dest_tok;
    auto address = [&](const Token& v, std::string_view what) -> std::optional<Address> {
        auto a = parse_address(v.text);
        if (!a)
            c.error(v, "route " + std::string(what) + ": expected an address, got " + q(v.text));
        return a;
    };
    static constexpr std::pair<std::string_view, R::Type> types[] = {
        {"unicast", R::Type::unicast},
        {"blackhole", R::Type::blackhole},
        {"unreachable", R::Type::unreachable},
        {"prohibit", R::Type::prohibit},
        {"throw", R::Type::throw_},
        {"local", R::Type::local},
        {"broadcast", R::Type::broadcast},
        {"anycast", R::Type::anycast},
        {"multicast", R::Type::multicast}};
    for (; !w.done(); ++w.i) {
        const Token& k = w.cur();
        auto t = k.text;
        if (t == "no_track") {
            r.no_track = true;
            continue;
        }
        if (in_nexthops && t != "nexthop") {
            auto& nh = r.nexthops.back();
            if (t == "onlink") {
                nh.onlink = true;
                continue;
            }
            if (t == "track_group") {
                c.unsupported(k);
                if (!w.value()) return std::nullopt;
                continue;
            }
            const Token* v = w.value();
            if (!v) return std::nullopt;
            if (t == "via" || t == "gw") {
                if (v->text == "inet" || v->text == "inet6") v = w.value();
                if (!v) return std::nullopt;
                nh.gateway = address(*v, "nexthop via");
                if (!nh.gateway) return std::nullopt;
            } else if (t == "dev") {
                nh.dev = std::string(v->text);
                c.interface_exists(*v, v->text);
            } else if (t == "weight") {
                auto n = bounded(c, *v, "nexthop weight", 1, 256);
                if (!n) return std::nullopt;
                nh.weight = static_cast<std::uint16_t>(*n);
            } else if (t == "realms") {
                nh.realms = realms(c, *v);
                if (!nh.realms) return std::nullopt;
            } else {
                c.error(k, "route: unknown nexthop option " + q(t));
                return std::nullopt;
            }
            continue;
        }
        if (t == "nexthop") {
            in_nexthops = true;
            r.nexthops.emplace_back();
            continue;
        }
        if (t == "onlink") {
            r.onlink = true;
            continue;
        }
        if (t == "append") {
            r.append = true;
            continue;
        }
        if (t == "inet6" || t == "inet") {
            inet6 = t == "inet6";
            continue;
        }
        if (t == "ttl-propagate") {
            c.unsupported(k);
            if (!w.value()) return std::nullopt;
            continue;
        }
        bool typed = false;
        for (const auto& [name, type] : types)
            if (t == name && !have_dest) {
                r.type = type;
                typed = true;
            }
        if (typed) continue;
        bool metric_kw = false;
        for (const auto& m : kMetrics) {
            if (t != m.name) continue;
            metric_kw = true;
            const Token* v = w.value();
            if (!v) return std::nullopt;
            if (v->text == "lock") {
                r.metrics.locked |= 1u << m.rtax;
                v = w.value();
                if (!v) return std::nullopt;
            }
            std::optional<std::uint32_t> n;
            if (t == "features")
                n = v->text == "ecn" ? std::optional<std::uint32_t>(RTAX_FEATURE_ECN)
                                     : parse_number(v->text);
            else if (m.time_scale)
                n = metric_time(v->text, m.time_scale);
            else
                n = parse_number(v->text);
            if (!n) {
                c.error(*v, "route " + std::string(t) + ": expected a number, got " + q(v->text));
                return std::nullopt;
            }
            r.metrics.*m.field = n;
        }
        if (metric_kw) continue;
        static constexpr std::string_view valued[] = {
            "src",    "from",     "via",        "gw",     "or",     "dev",         "oif",
            "metric", "priority", "preference", "table",  "lookup", "scope",       "protocol",
            "proto",  "tos",      "dsfield",    "realms", "pref",   "track_group", "congctl",
            "encap",  "as",       "expires",    "vrf",    "to"};
        if (std::find(std::begin(valued), std::end(valued), t) == std::end(valued)) {
            if (have_dest) {
                c.error(k, "route: unexpected " + q(t));
                return std::nullopt;
            }
            if (t == "default") {
                have_dest = true;
                dest_tok = k;
                continue;
            }
            auto p = parse_prefix(t);
            if (!p) {
                c.error(k, "route: expected a destination ADDRESS[/LEN], got " + q(t));
                return std::nullopt;
            }
            r.destination = p->address;
            r.prefix_len = p->length;
            have_dest = true;
            dest_tok = k;
            continue;
        }
        const Token* v = w.value();
        if (!v) return std::nullopt;
        if (t == "to") {
            --w.i;  // "to PREFIX": the prefix is read as the destination next round
            continue;
        }
        if (t == "src") {
            r.source = address(*v, "src");
            if (!r.source) return std::nullopt;
        } else if (t == "from") {
            auto p = parse_prefix(v->text);
            if (!p) {
                c.error(*v, "route from: expected ADDRESS[/LEN], got " + q(v->text));
                return std::nullopt;
            }
            r.from = p->address;
            r.from_len = p->length;
        } else if (t == "via" || t == "gw") {
            if (v->text == "inet" || v->text == "inet6") v = w.value();
            if (!v) return std::nullopt;
            r.gateway = address(*v, std::string(t));
            if (!r.gateway) return std::nullopt;
            if (t == "gw") c.strict(k, "route: 'gw' is deprecated, use 'via'");
        } else if (t == "or") {
            r.or_gateway = address(*v, "or");
            if (!r.or_gateway) return std::nullopt;
        } else if (t == "dev" || t == "oif") {
            r.dev = std::string(v->text);
            c.interface_exists(*v, v->text);
        } else if (t == "metric" || t == "priority" || t == "preference") {
            r.metric = u32(c, *v, "route metric");
            if (!r.metric) return std::nullopt;
        } else if (t == "table" || t == "lookup") {
            r.table = named(c, *v, NameFile::rt_tables, "route table");
            if (!r.table) return std::nullopt;
        } else if (t == "scope") {
            if (!scope_ok(v->text)) {
                c.error(*v, "route scope: unknown scope " + q(v->text));
                return std::nullopt;
            }
            r.scope = std::string(v->text);
        } else if (t == "protocol" || t == "proto") {
            auto n = named(c, *v, NameFile::rt_protos, "route protocol", 255);
            if (!n) return std::nullopt;
            r.protocol = static_cast<std::uint8_t>(*n);
        } else if (t == "tos" || t == "dsfield") {
            auto n = named(c, *v, NameFile::rt_dsfield, "route tos", 255);
            if (!n) return std::nullopt;
            r.tos = static_cast<std::uint8_t>(*n);
        } else if (t == "realms") {
            r.realms = realms(c, *v);
            if (!r.realms) return std::nullopt;
        } else if (t == "pref") {
            if (v->text == "low")
                r.pref = 3;
            else if (v->text == "medium")
                r.pref = 0;
            else if (v->text == "high")
                r.pref = 1;
            else {
                c.error(*v, "route pref: expected low, medium or high, got " + q(v->text));
                return std::nullopt;
            }
        } else {
            // track_group, congctl, encap, as, expires, vrf: understood, not applied.
            c.unsupported(k);
            if (t == "congctl" && v->text == "lock" && !w.value()) return std::nullopt;
            if (t == "encap") w.i = w.w.size();  // the rest of the line is the encapsulation
        }
    }
    if (!have_dest) {
        c.error(line.key, "route: no destination");
        return std::nullopt;
    }
    if (dest_tok->text == "default") {
        bool v6 = inet6 || (r.gateway && r.gateway->is_v6()) || (r.source && r.source->is_v6());
        for (const auto& nh : r.nexthops) v6 = v6 || (nh.gateway && nh.gateway->is_v6());
        r.destination = v6 ? Address(boost::asio::ip::address_v6::any())
                           : Address(boost::asio::ip::address_v4::any());
        r.prefix_len = 0;
    }
    const bool v6 = r.destination.is_v6();
    bool mixed = !same_family(r.gateway, v6) || !same_family(r.source, v6) ||
                 !same_family(r.or_gateway, v6) || !same_family(r.from, v6);
    for (const auto& nh : r.nexthops) mixed = mixed || !same_family(nh.gateway, v6);
    if (mixed) {
        c.error(*dest_tok, "route: addresses of both families in one route");
        return std::nullopt;
    }
    if (r.pref && !v6) {
        c.error(*dest_tok, "route: pref is only for IPv6 routes");
        return std::nullopt;
    }
    if (r.or_gateway && !r.gateway) {
        c.error(*dest_tok, "route: 'or' needs a 'via' gateway first");
        return std::nullopt;
    }
    if (r.or_gateway) c.strict(line.key, "route: 'or' is deprecated");
    if (r.type == R::Type::unicast && r.dev.empty() && !r.gateway && r.nexthops.empty()) {
        c.error(*dest_tok, "route: a unicast route needs a dev, a via or a nexthop");
        return std::nullopt;
    }
    bool has_dev = !r.dev.empty();
    for (const auto& nh : r.nexthops) has_dev = has_dev || !nh.dev.empty();
    if (!has_dev && !r.no_track)
        c.strict(line.key, "cannot track route with no interface specified, not tracking");
    return r;
}

std::optional<vrrp::VirtualRule> parse_rule_line(Ctx& c, const Node& line) {
    using R = vrrp::VirtualRule;
    R r;
    auto all = words_of(line);
    Words w{c, all, 0, "rule"};
    bool inet6 = false, table_set = false, action_set = false;
    for (; !w.done(); ++w.i) {
        const Token& k = w.cur();
        auto t = k.text;
        if (t == "no_track") {
            r.no_track = true;
        } else if (t == "not") {
            r.invert = true;
        } else if (t == "l3mdev") {
            r.l3mdev = true;
        } else if (t == "inet6" || t == "inet") {
            inet6 = t == "inet6";
        } else if (t == "blackhole" || t == "unreachable" || t == "prohibit" || t == "nop") {
            r.action = t == "blackhole"     ? R::Action::blackhole
                       : t == "unreachable" ? R::Action::unreachable
                       : t == "prohibit"    ? R::Action::prohibit
                                            : R::Action::nop;
            action_set = true;
        } else {
            const Token* v = w.value();
            if (!v) return std::nullopt;
            if (t == "from") {
                if (!prefix_or_all(c, *v, "rule from", r.from, r.from_len)) return std::nullopt;
            } else if (t == "to") {
                if (!prefix_or_all(c, *v, "rule to", r.to, r.to_len)) return std::nullopt;
            } else if (t == "priority" || t == "preference" || t == "pref" || t == "prio") {
                r.priority = u32(c, *v, "rule priority");
                if (!r.priority) return std::nullopt;
            } else if (t == "table" || t == "lookup") {
                auto n = named(c, *v, NameFile::rt_tables, "rule table");
                if (!n) return std::nullopt;
                r.table = *n;
                table_set = true;
            } else if (t == "goto") {
                auto n = u32(c, *v, "rule goto");
                if (!n) return std::nullopt;
                r.goto_target = *n;
                r.action = R::Action::goto_;
                action_set = true;
            } else if (t == "fwmark") {
                auto s = v->text;
                auto slash = s.find('/');
                auto mark = parse_number(s.substr(0, slash));
                auto mask = slash == std::string_view::npos ? std::optional<std::uint32_t>{}
                                                            : parse_number(s.substr(slash + 1));
                if (!mark || (slash != std::string_view::npos && !mask)) {
                    c.error(*v, "rule fwmark: expected MARK[/MASK], got " + q(s));
                    return std::nullopt;
                }
                r.fwmark = mark;
                r.fwmask = mask;
            } else if (t == "iif" || t == "dev") {
                r.iif = std::string(v->text);
            } else if (t == "oif") {
                r.oif = std::string(v->text);
            } else if (t == "tos" || t == "dsfield") {
                auto n = named(c, *v, NameFile::rt_dsfield, "rule tos", 255);
                if (!n) return std::nullopt;
                r.tos = static_cast<std::uint8_t>(*n);
            } else if (t == "uidrange") {
                auto u = range<std::uint32_t>(c, *v, "rule uidrange", 0xffffffff);
                if (!u) return std::nullopt;
                r.uidrange = u;
            } else if (t == "sport" || t == "dport") {
                auto p = range<std::uint16_t>(c, *v, "rule " + std::string(t), 65535);
                if (!p) return std::nullopt;
                (t == "sport" ? r.sport : r.dport) = p;
            } else if (t == "ipproto" || t == "ip_proto") {
                r.ipproto = ip_protocol(v->text);
                if (!r.ipproto) {
                    c.error(*v, "rule ipproto: unknown protocol " + q(v->text));
                    return std::nullopt;
                }
            } else if (t == "suppress_prefixlength" || t == "sup_pl") {
                r.suppress_prefixlength = bounded(c, *v, "rule suppress_prefixlength", 0, 128);
                if (!r.suppress_prefixlength) return std::nullopt;
            } else if (t == "suppress_ifgroup" || t == "sup_group") {
                r.suppress_ifgroup = named(c, *v, NameFile::group, "rule suppress_ifgroup");
                if (!r.suppress_ifgroup) return std::nullopt;
            } else if (t == "realms") {
                r.realms = realms(c, *v);
                if (!r.realms) return std::nullopt;
            } else if (t == "protocol" || t == "proto") {
                auto n = named(c, *v, NameFile::rt_protos, "rule protocol", 255);
                if (!n) return std::nullopt;
                r.protocol = static_cast<std::uint8_t>(*n);
            } else if (t == "track_group" || t == "nat" || t == "map-to") {
                c.unsupported(k);
            } else {
                c.error(k, "rule: unknown option " + q(t));
                return std::nullopt;
            }
        }
    }
    if (table_set && action_set && r.action != R::Action::table) {
        c.error(line.key, "rule: a table and another action in one rule");
        return std::nullopt;
    }
    const bool v6 = (r.from && r.from->is_v6()) || (r.to && r.to->is_v6()) || inet6;
    if (!same_family(r.from, v6) || !same_family(r.to, v6)) {
        c.error(line.key, "rule: addresses of both families in one rule");
        return std::nullopt;
    }
    r.ipv6 = v6;
    if ((r.sport || r.dport) && !r.ipproto)
        c.warn(line.key, "rule: sport/dport without ipproto match any protocol with ports");
    if (!r.priority) {
        // As keepalived: 16384 for the first rule without one, one less for each next.
        r.priority = c.next_rule_priority--;
        c.strict(line.key, "Rule has no preference specified - setting to " +
                               std::to_string(*r.priority) +
                               ". This is probably not what you want.");
    }
    return r;
}

}  // namespace vigil::config
