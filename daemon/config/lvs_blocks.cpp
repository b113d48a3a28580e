// virtual_server_group, virtual_server, real_server, sorry_server and checker blocks.
#include "config/context.hpp"

#include <vigil/checkers/parse.hpp>

#include <algorithm>

namespace vigil::config {
namespace {

using VS = ipvs::VirtualServerConfig;
using RS = ipvs::RealServerConfig;
using CC = checkers::CheckConfig;

// Checker parameters a virtual_server or real_server may set for its checkers.
struct CheckDefaults {
    std::optional<checkers::Duration> delay_loop, connect_timeout, delay_before_retry, warmup;
    std::optional<unsigned> retry;
    std::string virtualhost;  // a real_server's default Host for its HTTP checks
};

void apply(const CheckDefaults& d, CC& cc) {
    if (d.delay_loop) cc.delay_loop = *d.delay_loop;
    if (d.connect_timeout) cc.connect_timeout = *d.connect_timeout;
    if (d.delay_before_retry) cc.delay_before_retry = *d.delay_before_retry;
    if (d.warmup) cc.warmup = *d.warmup;
    if (d.retry) cc.retry = *d.retry;
}

bool check_default(Ctx& c, const Node& n, CheckDefaults& d) {
    auto k = n.key.text;
    if (k == "delay_loop") {
        if (auto v = c.seconds(n, 0, 0.000001, 4294.967295)) d.delay_loop = *v;
    } else if (k == "connect_timeout") {
        if (auto v = c.seconds(n, 0, 0.000001, 4294.967295)) d.connect_timeout = *v;
    } else if (k == "delay_before_retry") {
        if (auto v = c.seconds(n, 0, 0, 4294.967295)) d.delay_before_retry = *v;
    } else if (k == "warmup") {
        if (auto v = c.seconds(n, 0, 0, 4294.967295)) d.warmup = *v;
    } else if (k == "retry") {
        if (auto v = c.integer(n, 0, 0, 2147483647)) d.retry = unsigned(*v);
    } else if (k == "nb_get_retry") {
        c.strict(n.key, "Unknown keyword 'nb_get_retry' (keepalived 1.x): use 'retry'");
        if (auto v = c.integer(n, 0, 0, 2147483647)) d.retry = unsigned(*v);
    } else {
        return false;
    }
    return true;
}

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

struct CheckCtx {
    CC cc;
    bool seen_connect_ip = false;
    bool log_all_failures_set = false;
    bool alpha_set = false;
};

// keepalived's HEX_STR: every argument, joined by one space.
std::optional<checkers::HexPattern> hex_str(Ctx& c, const Node& n, bool wildcard) {
    std::string text;
    for (const auto& a : n.args) {
        if (!text.empty()) text += ' ';
        text += a.text;
    }
    auto p = checkers::parse_hex_pattern(text, wildcard);
    if (!p)
        c.error(n.args.front(), std::string(n.key.text) + ": invalid hex string '" + text + "'" +
                                    (wildcard ? " (hex digits, X for any)" : " (hex digits)"));
    return p;
}

void http_url(Ctx& c, const Node& n, checkers::HttpCheck& h) {
    checkers::HttpUrl u;
    std::optional<Token> regex_tok, params_tok;
    for (const auto& ch : n.children) {
        auto k = ch.key.text;
        if (k == "path") {
            if (c.need_args(ch, 1)) u.path = std::string(ch.args[0].text);
        } else if (k == "digest") {
            if (!c.need_args(ch, 1)) continue;
            auto d = parse_hex(ch.args[0].text);
            if (!d || d->size() != 16) {
                c.error(ch.args[0], "digest: expected 32 hex digits, got '" +
                                        std::string(ch.args[0].text) + "'");
                continue;
            }
            std::array<std::uint8_t, 16> a{};
            std::copy(d->begin(), d->end(), a.begin());
            u.digest = a;
        } else if (k == "status_code") {
            for (const auto& a : ch.args) {
                auto dash = a.text.find('-');
                auto lo = parse_integer(a.text.substr(0, dash));
                auto hi =
                    dash == std::string_view::npos ? lo : parse_integer(a.text.substr(dash + 1));
                if (!lo || !hi || *lo < 100 || *hi > 599 || *lo > *hi) {
                    c.error(a, "status_code: expected a code or range in 100-599, got '" +
                                   std::string(a.text) + "'");
                    continue;
                }
                u.status_codes.push_back({int(*lo), int(*hi)});
            }
            if (ch.args.empty()) c.need_args(ch, 1);
        } else if (k == "virtualhost") {
            if (c.need_args(ch, 1)) u.virtualhost = std::string(ch.args[0].text);
        } else if (k == "regex") {
            // keepalived takes exactly one (quoted) field.
            if (ch.args.size() != 1) {
                c.warn(ch.key, "regex missing or too many fields");
                continue;
            }
            u.regex = std::string(ch.args[0].text);
            regex_tok = ch.args[0];
        } else if (k == "regex_no_match") {
            u.regex_no_match = true;
            params_tok = ch.key;
        } else if (k == "regex_options") {
            for (const auto& a : ch.args) u.regex_options.emplace_back(a.text);
            params_tok = ch.key;
        } else if (k == "regex_min_offset" || k == "regex_max_offset") {
            bool min = k == "regex_min_offset";
            params_tok = ch.key;
            auto v = ch.args.size() == 1 ? parse_integer(ch.args[0].text) : std::nullopt;
            bool digits = ch.args.size() == 1 && !ch.args[0].text.empty() &&
                          ch.args[0].text.find_first_not_of("0123456789") == std::string_view::npos;
            if (!v || !digits) {
                c.warn(ch.args.empty() ? ch.key : ch.args[0],
                       "Missing, too many or invalid values for " + std::string(k));
                (min ? u.regex_min_offset : u.regex_max_offset) = 0;
                continue;
            }
            // The maximum is stored as one beyond the last acceptable position.
            if (min)
                u.regex_min_offset = std::size_t(*v);
            else
                u.regex_max_offset = std::size_t(*v) + 1;
        } else if (k == "regex_stack") {
            c.unsupported(ch);
        } else {
            c.unknown(ch);
        }
    }
    if (regex_tok) {
        if (auto err = checkers::regex_error(u.regex, u.regex_options))
            c.error(*regex_tok, "Invalid regex: " + *err);
    } else if (params_tok) {
        c.warn(*params_tok, "regex parameters specified without regex");
        u.regex_no_match = false;
        u.regex_options.clear();
        u.regex_min_offset = u.regex_max_offset = 0;
    }
    if (u.regex_max_offset && u.regex_min_offset >= u.regex_max_offset) {
        c.warn(n.key, "regex min offset " + std::to_string(u.regex_min_offset) +
                          " > regex_max_offset " + std::to_string(u.regex_max_offset - 1) +
                          " - ignoring");
        u.regex_min_offset = u.regex_max_offset = 0;
    }
    h.urls.push_back(std::move(u));
}

// Keywords shared by every checker. Returns false when K is not one of them.
bool common_check_kw(Ctx& c, const Node& n, CheckCtx& cx, CheckDefaults& d) {
    auto k = n.key.text;
    auto& cc = cx.cc;
    if (check_default(c, n, d)) return true;
    if (k == "connect_ip") {
        if (auto a = c.address(n, 0)) cc.connect_ip = a;
    } else if (k == "connect_port") {
        if (auto p = port_arg(c, n, 0)) cc.connect_port = p;
    } else if (k == "bindto") {
        if (auto a = c.address(n, 0)) cc.bind_to = a;
    } else if (k == "bind_port") {
        if (auto p = port_arg(c, n, 0)) cc.bind_port = p;
    } else if (k == "bind_if") {
        if (c.need_args(n, 1)) {
            cc.bind_if = std::string(n.args[0].text);
            c.interface_exists(n.args[0], n.args[0].text);
        }
    } else if (k == "fwmark") {
        if (auto v = c.integer(n, 0, 0, 4294967295LL)) cc.fwmark = std::uint32_t(*v);
    } else if (k == "alpha") {
        cc.alpha = flag_value(c, n);
        cx.alpha_set = true;
    } else if (k == "log_all_failures") {
        cc.log_all_failures = flag_value(c, n);
        cx.log_all_failures_set = true;
    } else if (k == "dont_track" || k == "weight") {
        c.unsupported(n);
    } else {
        return false;
    }
    return true;
}

void check_block(Ctx& c, const Node& n, VS& vs, std::size_t vs_index, RS* rs, std::size_t rs_index,
                 const CheckDefaults& vs_def, const CheckDefaults& rs_def) {
    CheckCtx cx;
    auto& cc = cx.cc;
    cc.file = n.key.loc.file;
    cc.line = n.key.loc.line;
    if (rs) {
        cc.target = rs->address;
        cc.target_port = rs->port;
    }
    CheckDefaults own;
    auto k = n.key.text;
    bool keep = true;
    if (k == "TCP_CHECK") {
        cc.kind = checkers::TcpCheck{};
        for (const auto& ch : n.children)
            if (!common_check_kw(c, ch, cx, own)) c.unknown(ch);
    } else if (k == "HTTP_GET" || k == "SSL_GET") {
        checkers::HttpCheck h;
        h.ssl = k == "SSL_GET";
        for (const auto& ch : n.children) {
            auto ck = ch.key.text;
            if (common_check_kw(c, ch, cx, own)) continue;
            if (ck == "url")
                http_url(c, ch, h);
            else if (ck == "virtualhost") {
                if (c.need_args(ch, 1)) h.virtualhost = std::string(ch.args[0].text);
            } else if (ck == "http_protocol") {
                if (c.need_args(ch, 1)) h.http_protocol = std::string(ch.args[0].text);
            } else if (ck == "enable_sni")
                h.enable_sni = flag_value(c, ch);
            else if (ck == "fast_recovery")
                h.fast_recovery = flag_value(c, ch);
            else
                c.unknown(ch);
        }
        if (h.virtualhost.empty())
            h.virtualhost = rs_def.virtualhost.empty() ? vs.virtualhost : rs_def.virtualhost;
        if (h.urls.empty()) {
            c.strict(n.key, "HTTP/SSL_GET checker has no urls specified - ignoring");
            keep = false;
        }
        cc.kind = std::move(h);
    } else if (k == "MISC_CHECK") {
        checkers::MiscCheck m;
        for (const auto& ch : n.children) {
            auto ck = ch.key.text;
            if (common_check_kw(c, ch, cx, own)) continue;
            if (ck == "misc_path")
                m.command.argv = c.command(ch);
            else if (ck == "misc_timeout") {
                if (auto v = c.seconds(ch, 0, 0.000001, 4294.967295)) m.timeout = *v;
            } else if (ck == "misc_dynamic")
                m.dynamic = true;
            else if (ck == "user") {
                if (c.need_args(ch, 1)) {
                    m.command.user = std::string(ch.args[0].text);
                    if (ch.args.size() > 1) m.command.group = std::string(ch.args[1].text);
                }
            } else
                c.unknown(ch);
        }
        if (m.command.argv.empty()) {
            c.strict(n.key, "MISC_CHECK with no misc_path - ignoring");
            keep = false;
        } else {
            c.scripts.push_back(
                {m.command.argv, m.command.user, n.key.loc, ScriptUse::Kind::check, {}});
        }
        cc.kind = std::move(m);
    } else if (k == "DNS_CHECK") {
        checkers::DnsCheck d;
        for (const auto& ch : n.children) {
            auto ck = ch.key.text;
            if (common_check_kw(c, ch, cx, own)) continue;
            if (ck == "type") {
                if (c.need_args(ch, 1)) {
                    if (!checkers::dns_type_code(ch.args[0].text))
                        c.error(ch.args[0], "DNS_CHECK type: unknown type '" +
                                                std::string(ch.args[0].text) + "'");
                    else
                        d.type = std::string(ch.args[0].text);
                }
            } else if (ck == "name") {
                if (c.need_args(ch, 1)) d.name = std::string(ch.args[0].text);
            } else
                c.unknown(ch);
        }
        cc.kind = std::move(d);
    } else if (k == "SMTP_CHECK") {
        checkers::SmtpCheck s;
        for (const auto& ch : n.children) {
            auto ck = ch.key.text;
            if (common_check_kw(c, ch, cx, own)) continue;
            if (ck == "helo_name") {
                if (c.need_args(ch, 1)) s.helo_name = std::string(ch.args[0].text);
            } else if (ck == "host") {
                // 1.x syntax: one checker per host block.
                CheckCtx hx = cx;
                CheckDefaults hd;
                for (const auto& h : ch.children)
                    if (!common_check_kw(c, h, hx, hd)) c.unknown(h);
                if (hx.cc.connect_ip) cc.connect_ip = hx.cc.connect_ip;
                if (hx.cc.connect_port) cc.connect_port = hx.cc.connect_port;
                if (hx.cc.bind_to) cc.bind_to = hx.cc.bind_to;
            } else
                c.unknown(ch);
        }
        cc.kind = std::move(s);
    } else if (k == "UDP_CHECK") {
        checkers::UdpCheck u;
        for (const auto& ch : n.children) {
            auto ck = ch.key.text;
            if (common_check_kw(c, ch, cx, own)) continue;
            if (ck == "payload") {
                if (!c.need_args(ch, 1)) continue;
                if (auto p = hex_str(c, ch, false)) u.payload = std::move(p->data);
            } else if (ck == "require_reply") {
                u.require_reply = true;
                if (ch.args.empty()) continue;
                if (auto p = hex_str(c, ch, true)) {
                    u.reply_data = std::move(p->data);
                    u.reply_mask = std::move(p->mask);
                }
            } else if (ck == "min_reply_length" || ck == "max_reply_length") {
                if (auto v = c.integer(ch, 0, 0, 65535))
                    (ck == "min_reply_length" ? u.min_reply_length : u.max_reply_length) =
                        std::size_t(*v);
            } else
                c.unknown(ch);
        }
        cc.kind = std::move(u);
    } else if (k == "PING_CHECK") {
        cc.kind = checkers::PingCheck{};
        for (const auto& ch : n.children)
            if (!common_check_kw(c, ch, cx, own)) c.unknown(ch);
    } else if (k == "FILE_CHECK") {
        checkers::FileCheck f;
        const vrrp::TrackFileConfig* tf = nullptr;
        bool named = false;
        for (const auto& ch : n.children) {
            auto ck = ch.key.text;
            if (ck == "track_file") {
                if (!c.need_args(ch, 1)) continue;
                named = true;
                // As keepalived: only a track file defined earlier in the file.
                const auto& files = c.cfg.vrrp.track_files;
                auto it = std::find_if(files.begin(), files.end(),
                                       [&](const auto& t) { return t.name == ch.args[0].text; });
                if (it == files.end()) {
                    c.error(ch.args[0],
                            "track_file " + std::string(ch.args[0].text) + " not found");
                    continue;
                }
                tf = &*it;
                f.track_file = it->name;
                f.path = it->path;
            } else if (ck == "weight") {
                if (!c.need_args(ch, 1)) continue;
                auto w = c.integer(ch, 0, -65535, 65535);
                if (!w) continue;
                bool reverse = false;
                if (ch.args.size() > 1) {
                    auto r = ch.args[1].text;
                    if (r != "reverse" && r != "noreverse") {
                        c.error(ch.args[1], "unknown track file weight option " + std::string(r) +
                                                " - ignoring");
                        continue;
                    }
                    reverse = r == "reverse";
                }
                f.weight = int(*w);
                f.reverse = reverse;
            } else if (!common_check_kw(c, ch, cx, own))
                c.unknown(ch);
        }
        if (!tf) {
            if (!named) c.error(n.key, "FILE_CHECK has no track_file specified - ignoring");
            keep = false;
        } else if (f.weight == 0) {  // keepalived: weight 0 means the track file's own
            f.weight = tf->weight;
            f.reverse = tf->weight_reverse;
        }
        cc.kind = std::move(f);
    } else {  // BFD_CHECK: a BFD session's state, none of the common options
        const std::string label = "[" + (rs ? rs->address.to_string() : std::string("?")) +
                                  "]:" + (vs.protocol == ipvs::Protocol::udp    ? "udp"
                                          : vs.protocol == ipvs::Protocol::sctp ? "sctp"
                                                                                : "tcp") +
                                  ":" + std::to_string(rs ? rs->port : 0);
        bfd_check(c, n, label, vs_index, rs_index, rs, false);
        return;
    }
    cc.retry = checkers::default_retry(cc.kind);
    apply(vs_def, cc);
    apply(rs_def, cc);
    apply(own, cc);
    // alpha of the virtual or real server is its checkers' default: they start down and the
    // server joins the pool only after a first success.
    if (!cx.alpha_set) cc.alpha = vs.alpha || (rs && rs->alpha);
    if (!vs_def.delay_before_retry && !rs_def.delay_before_retry && !own.delay_before_retry)
        cc.delay_before_retry = checkers::default_delay_before_retry(cc.kind, cc.delay_loop);
    if (!keep) return;
    if (rs) ++rs->checker_count;
    if (c.opt.check_only) return;
    if (cx.log_all_failures_set) c.log_all_failures_set.push_back(c.cfg.checks.size());
    c.cfg.checks.push_back(CheckBinding{vs_index, rs_index, std::move(cc)});
}

bool is_checker(std::string_view k) {
    return k == "TCP_CHECK" || k == "HTTP_GET" || k == "SSL_GET" || k == "MISC_CHECK" ||
           k == "DNS_CHECK" || k == "SMTP_CHECK" || k == "UDP_CHECK" || k == "PING_CHECK" ||
           k == "FILE_CHECK" || k == "BFD_CHECK";
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
        for (const Node* ch : checks)
            check_block(c, *ch, vs, vs_index, &rs, rs_index, vs_def, rs_def);
        return;
    }
    vs.real_servers.push_back(std::move(rs));
    for (const Node* ch : checks)
        check_block(c, *ch, vs, vs_index, &vs.real_servers.back(), rs_index, vs_def, rs_def);
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
            (k == "quorum_up" ? vs.quorum_up : vs.quorum_down) = std::move(cmd);
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
