// Checker blocks. Each kind reads its own keywords from its own table first, then the ones
// every checker takes: the defaults a virtual or real server may give too, and the connection
// options. After the block, the kind checks what it needs and the checker is bound.
#include "config/checker_blocks.hpp"

#include <vigil/checkers/parse.hpp>

#include <algorithm>

namespace vigil::config {
namespace {

using CC = checkers::CheckConfig;
using D = CheckDefaults;

void apply(const CheckDefaults& d, CC& cc) {
    if (d.delay_loop) cc.delay_loop = *d.delay_loop;
    if (d.connect_timeout) cc.connect_timeout = *d.connect_timeout;
    if (d.delay_before_retry) cc.delay_before_retry = *d.delay_before_retry;
    if (d.warmup) cc.warmup = *d.warmup;
    if (d.retry) cc.retry = *d.retry;
}

const KeywordTable<D>& defaults_table() {
    static const KeywordTable<D> t{
        {"delay_loop",
         [](Ctx& c, const Node& n, D& d) {
             if (auto v = c.seconds(n, 0, 0.000001, 4294.967295)) d.delay_loop = *v;
         }},
        {"connect_timeout",
         [](Ctx& c, const Node& n, D& d) {
             if (auto v = c.seconds(n, 0, 0.000001, 4294.967295)) d.connect_timeout = *v;
         }},
        {"delay_before_retry",
         [](Ctx& c, const Node& n, D& d) {
             if (auto v = c.seconds(n, 0, 0, 4294.967295)) d.delay_before_retry = *v;
         }},
        {"warmup",
         [](Ctx& c, const Node& n, D& d) {
             if (auto v = c.seconds(n, 0, 0, 4294.967295)) d.warmup = *v;
         }},
        {"retry",
         [](Ctx& c, const Node& n, D& d) {
             if (auto v = c.integer(n, 0, 0, 2147483647)) d.retry = unsigned(*v);
         }},
        {"nb_get_retry",
         [](Ctx& c, const Node& n, D& d) {
             c.strict(n.key, "Unknown keyword 'nb_get_retry' (keepalived 1.x): use 'retry'");
             if (auto v = c.integer(n, 0, 0, 2147483647)) d.retry = unsigned(*v);
         }},
    };
    return t;
}

std::optional<std::uint16_t> port_arg(Ctx& c, const Node& n, std::size_t i) {
    if (auto v = c.integer(n, i, 0, 65535)) return std::uint16_t(*v);
    return std::nullopt;
}

// A checker while its block is read.
struct CheckCtx {
    CC cc;
    bool log_all_failures_set = false;
    bool alpha_set = false;
};

// What the keywords of every checker fill.
struct Common {
    Common(CheckCtx& c, CheckDefaults& d) : cx(c), own(d) {}
    CheckCtx& cx;
    CheckDefaults& own;  // the block's delay_loop, retry ...
};

const KeywordTable<Common>& common_table() {
    using T = Common;
    static const KeywordTable<T> t{
        {"connect_ip",
         [](Ctx& c, const Node& n, T& t) {
             if (auto a = c.address(n, 0)) t.cx.cc.connect_ip = a;
         }},
        {"connect_port",
         [](Ctx& c, const Node& n, T& t) {
             if (auto p = port_arg(c, n, 0)) t.cx.cc.connect_port = p;
         }},
        {"bindto",
         [](Ctx& c, const Node& n, T& t) {
             if (auto a = c.address(n, 0)) t.cx.cc.bind_to = a;
         }},
        {"bind_port",
         [](Ctx& c, const Node& n, T& t) {
             if (auto p = port_arg(c, n, 0)) t.cx.cc.bind_port = p;
         }},
        {"bind_if",
         [](Ctx& c, const Node& n, T& t) {
             if (!c.need_args(n, 1)) return;
             t.cx.cc.bind_if = std::string(n.args[0].text);
             c.interface_exists(n.args[0], n.args[0].text);
         }},
        {"fwmark",
         [](Ctx& c, const Node& n, T& t) {
             if (auto v = c.integer(n, 0, 0, 4294967295LL)) t.cx.cc.fwmark = std::uint32_t(*v);
         }},
        {"alpha",
         [](Ctx& c, const Node& n, T& t) {
             t.cx.cc.alpha = flag_value(c, n);
             t.cx.alpha_set = true;
         }},
        {"log_all_failures",
         [](Ctx& c, const Node& n, T& t) {
             t.cx.cc.log_all_failures = flag_value(c, n);
             t.cx.log_all_failures_set = true;
         }},
        {"dont_track", unsupported_kw<T>},
        {"weight", unsupported_kw<T>},
    };
    return t;
}

// A keyword every checker takes; false when N is none.
bool common_kw(Ctx& c, const Node& n, Common& t) {
    if (check_default(c, n, t.own)) return true;
    auto h = common_table().find(n.key.text);
    if (h) h(c, n, t);
    return h != nullptr;
}

// ---- TCP_CHECK, PING_CHECK: only what every checker takes ------------------------------------

struct Tcp : Common {
    using Common::Common;
    bool done(Ctx&, const Node&, const CheckSite&) {
        cx.cc.kind = checkers::TcpCheck{};
        return true;
    }
};
const KeywordTable<Tcp>& tcp_table() {
    static const KeywordTable<Tcp> t{};
    return t;
}

struct Ping : Common {
    using Common::Common;
    bool done(Ctx&, const Node&, const CheckSite&) {
        cx.cc.kind = checkers::PingCheck{};
        return true;
    }
};
const KeywordTable<Ping>& ping_table() {
    static const KeywordTable<Ping> t{};
    return t;
}

// ---- HTTP_GET / SSL_GET and their url blocks -------------------------------------------------

struct Url {
    checkers::HttpUrl u;
    std::optional<Token> regex_tok, params_tok;
};

// regex_min_offset / regex_max_offset: one number each.
void regex_offset(Ctx& c, const Node& n, Url& t) {
    const bool min = n.key.text == "regex_min_offset";
    t.params_tok = n.key;
    auto v = n.args.size() == 1 ? parse_integer(n.args[0].text) : std::nullopt;
    bool digits = n.args.size() == 1 && !n.args[0].text.empty() &&
                  n.args[0].text.find_first_not_of("0123456789") == std::string_view::npos;
    if (!v || !digits) {
        c.warn(n.args.empty() ? n.key : n.args[0],
               "Missing, too many or invalid values for " + std::string(n.key.text));
        (min ? t.u.regex_min_offset : t.u.regex_max_offset) = 0;
        return;
    }
    // The maximum is stored as one beyond the last acceptable position.
    if (min)
        t.u.regex_min_offset = std::size_t(*v);
    else
        t.u.regex_max_offset = std::size_t(*v) + 1;
}

const KeywordTable<Url>& url_table() {
    using T = Url;
    static const KeywordTable<T> t{
        {"path",
         [](Ctx& c, const Node& n, T& t) {
             if (c.need_args(n, 1)) t.u.path = std::string(n.args[0].text);
         }},
        {"digest",
         [](Ctx& c, const Node& n, T& t) {
             if (!c.need_args(n, 1)) return;
             auto d = parse_hex(n.args[0].text);
             if (!d || d->size() != 16) {
                 c.error(n.args[0], "digest: expected 32 hex digits, got '" +
                                        std::string(n.args[0].text) + "'");
                 return;
             }
             std::array<std::uint8_t, 16> a{};
             std::copy(d->begin(), d->end(), a.begin());
             t.u.digest = a;
         }},
        {"status_code",
         [](Ctx& c, const Node& n, T& t) {
             for (const auto& a : n.args) {
                 auto dash = a.text.find('-');
                 auto lo = parse_integer(a.text.substr(0, dash));
                 auto hi =
                     dash == std::string_view::npos ? lo : parse_integer(a.text.substr(dash + 1));
                 if (!lo || !hi || *lo < 100 || *hi > 599 || *lo > *hi) {
                     c.error(a, "status_code: expected a code or range in 100-599, got '" +
                                    std::string(a.text) + "'");
                     continue;
                 }
                 t.u.status_codes.push_back({int(*lo), int(*hi)});
             }
             if (n.args.empty()) c.need_args(n, 1);
         }},
        {"virtualhost",
         [](Ctx& c, const Node& n, T& t) {
             if (c.need_args(n, 1)) t.u.virtualhost = std::string(n.args[0].text);
         }},
        {"regex",
         [](Ctx& c, const Node& n, T& t) {
             // keepalived takes exactly one (quoted) field.
             if (n.args.size() != 1) {
                 c.warn(n.key, "regex missing or too many fields");
                 return;
             }
             t.u.regex = std::string(n.args[0].text);
             t.regex_tok = n.args[0];
         }},
        {"regex_no_match",
         [](Ctx&, const Node& n, T& t) {
             t.u.regex_no_match = true;
             t.params_tok = n.key;
         }},
        {"regex_options",
         [](Ctx&, const Node& n, T& t) {
             for (const auto& a : n.args) t.u.regex_options.emplace_back(a.text);
             t.params_tok = n.key;
         }},
        {"regex_min_offset", [](Ctx& c, const Node& n, T& t) { regex_offset(c, n, t); }},
        {"regex_max_offset", [](Ctx& c, const Node& n, T& t) { regex_offset(c, n, t); }},
        {"regex_stack", unsupported_kw<T>},
    };
    return t;
}

void http_url(Ctx& c, const Node& n, checkers::HttpCheck& h) {
    Url t;
    dispatch(c, n, t, url_table());
    auto& u = t.u;
    if (t.regex_tok) {
        if (auto err = checkers::regex_error(u.regex, u.regex_options))
            c.error(*t.regex_tok, "Invalid regex: " + *err);
    } else if (t.params_tok) {
        c.warn(*t.params_tok, "regex parameters specified without regex");
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

struct Http : Common {
    using Common::Common;
    checkers::HttpCheck check;
    bool done(Ctx& c, const Node& n, const CheckSite& s) {
        check.ssl = n.key.text == "SSL_GET";
        if (check.virtualhost.empty())
            check.virtualhost =
                s.rs_def.virtualhost.empty() ? s.vs.virtualhost : s.rs_def.virtualhost;
        bool keep = true;
        if (check.urls.empty()) {
            c.strict(n.key, "HTTP/SSL_GET checker has no urls specified - ignoring");
            keep = false;
        }
        cx.cc.kind = std::move(check);
        return keep;
    }
};

const KeywordTable<Http>& http_table() {
    using T = Http;
    static const KeywordTable<T> t{
        {"url", [](Ctx& c, const Node& n, T& t) { http_url(c, n, t.check); }},
        {"virtualhost",
         [](Ctx& c, const Node& n, T& t) {
             if (c.need_args(n, 1)) t.check.virtualhost = std::string(n.args[0].text);
         }},
        {"http_protocol",
         [](Ctx& c, const Node& n, T& t) {
             if (c.need_args(n, 1)) t.check.http_protocol = std::string(n.args[0].text);
         }},
        {"enable_sni", [](Ctx& c, const Node& n, T& t) { t.check.enable_sni = flag_value(c, n); }},
        {"fast_recovery",
         [](Ctx& c, const Node& n, T& t) { t.check.fast_recovery = flag_value(c, n); }},
    };
    return t;
}

// ---- MISC_CHECK ------------------------------------------------------------------------------

struct Misc : Common {
    using Common::Common;
    checkers::MiscCheck check;
    bool done(Ctx& c, const Node& n, const CheckSite&) {
        bool keep = true;
        if (check.command.argv.empty()) {
            c.strict(n.key, "MISC_CHECK with no misc_path - ignoring");
            keep = false;
        } else {
            c.scripts.push_back(
                {check.command.argv, check.command.user, n.key.loc, ScriptUse::Kind::check, {}});
        }
        cx.cc.kind = std::move(check);
        return keep;
    }
};

const KeywordTable<Misc>& misc_table() {
    using T = Misc;
    static const KeywordTable<T> t{
        {"misc_path", [](Ctx& c, const Node& n, T& t) { t.check.command.argv = c.command(n); }},
        {"misc_timeout",
         [](Ctx& c, const Node& n, T& t) {
             if (auto v = c.seconds(n, 0, 0.000001, 4294.967295)) t.check.timeout = *v;
         }},
        {"misc_dynamic", [](Ctx&, const Node&, T& t) { t.check.dynamic = true; }},
        {"user",
         [](Ctx& c, const Node& n, T& t) {
             if (!c.need_args(n, 1)) return;
             t.check.command.user = std::string(n.args[0].text);
             if (n.args.size() > 1) t.check.command.group = std::string(n.args[1].text);
         }},
    };
    return t;
}

// ---- DNS_CHECK -------------------------------------------------------------------------------

struct Dns : Common {
    using Common::Common;
    checkers::DnsCheck check;
    bool done(Ctx&, const Node&, const CheckSite&) {
        cx.cc.kind = std::move(check);
        return true;
    }
};

const KeywordTable<Dns>& dns_table() {
    using T = Dns;
    static const KeywordTable<T> t{
        {"type",
         [](Ctx& c, const Node& n, T& t) {
             if (!c.need_args(n, 1)) return;
             if (!checkers::dns_type_code(n.args[0].text))
                 c.error(n.args[0],
                         "DNS_CHECK type: unknown type '" + std::string(n.args[0].text) + "'");
             else
                 t.check.type = std::string(n.args[0].text);
         }},
        {"name",
         [](Ctx& c, const Node& n, T& t) {
             if (c.need_args(n, 1)) t.check.name = std::string(n.args[0].text);
         }},
    };
    return t;
}

// ---- SMTP_CHECK ------------------------------------------------------------------------------

struct Smtp : Common {
    using Common::Common;
    checkers::SmtpCheck check;
    bool done(Ctx&, const Node&, const CheckSite&) {
        cx.cc.kind = std::move(check);
        return true;
    }
};

const KeywordTable<Smtp>& smtp_table() {
    using T = Smtp;
    static const KeywordTable<T> t{
        {"helo_name",
         [](Ctx& c, const Node& n, T& t) {
             if (c.need_args(n, 1)) t.check.helo_name = std::string(n.args[0].text);
         }},
        // keepalived 1.x: one checker per host block; its address is the checker's.
        {"host",
         [](Ctx& c, const Node& n, T& t) {
             CheckCtx hx = t.cx;
             CheckDefaults hd;
             Common h(hx, hd);
             for (const auto& line : n.children)
                 if (!common_kw(c, line, h)) c.unknown(line);
             auto& cc = t.cx.cc;
             if (hx.cc.connect_ip) cc.connect_ip = hx.cc.connect_ip;
             if (hx.cc.connect_port) cc.connect_port = hx.cc.connect_port;
             if (hx.cc.bind_to) cc.bind_to = hx.cc.bind_to;
         }},
    };
    return t;
}

// ---- UDP_CHECK -------------------------------------------------------------------------------

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

struct Udp : Common {
    using Common::Common;
    checkers::UdpCheck check;
    bool done(Ctx&, const Node&, const CheckSite&) {
        cx.cc.kind = std::move(check);
        return true;
    }
};

const KeywordTable<Udp>& udp_table() {
    using T = Udp;
    static const KeywordTable<T> t{
        {"payload",
         [](Ctx& c, const Node& n, T& t) {
             if (!c.need_args(n, 1)) return;
             if (auto p = hex_str(c, n, false)) t.check.payload = std::move(p->data);
         }},
        {"require_reply",
         [](Ctx& c, const Node& n, T& t) {
             t.check.require_reply = true;
             if (n.args.empty()) return;
             if (auto p = hex_str(c, n, true)) {
                 t.check.reply_data = std::move(p->data);
                 t.check.reply_mask = std::move(p->mask);
             }
         }},
        {"min_reply_length",
         [](Ctx& c, const Node& n, T& t) {
             if (auto v = c.integer(n, 0, 0, 65535)) t.check.min_reply_length = std::size_t(*v);
         }},
        {"max_reply_length",
         [](Ctx& c, const Node& n, T& t) {
             if (auto v = c.integer(n, 0, 0, 65535)) t.check.max_reply_length = std::size_t(*v);
         }},
    };
    return t;
}

// ---- FILE_CHECK ------------------------------------------------------------------------------

struct File : Common {
    using Common::Common;
    checkers::FileCheck check;
    const vrrp::TrackFileConfig* track = nullptr;
    bool named = false;
    bool done(Ctx& c, const Node& n, const CheckSite&) {
        bool keep = true;
        if (!track) {
            if (!named) c.error(n.key, "FILE_CHECK has no track_file specified - ignoring");
            keep = false;
        } else if (check.weight == 0) {  // keepalived: weight 0 means the track file's own
            check.weight = track->weight;
            check.reverse = track->weight_reverse;
        }
        cx.cc.kind = std::move(check);
        return keep;
    }
};

const KeywordTable<File>& file_table() {
    using T = File;
    static const KeywordTable<T> t{
        {"track_file",
         [](Ctx& c, const Node& n, T& t) {
             if (!c.need_args(n, 1)) return;
             t.named = true;
             // As keepalived: only a track file defined earlier in the file.
             const auto& files = c.cfg.vrrp.track_files;
             auto it = std::find_if(files.begin(), files.end(),
                                    [&](const auto& f) { return f.name == n.args[0].text; });
             if (it == files.end()) {
                 c.error(n.args[0], "track_file " + std::string(n.args[0].text) + " not found");
                 return;
             }
             t.track = &*it;
             t.check.track_file = it->name;
             t.check.path = it->path;
         }},
        // Its own weight, not the common (unsupported) one.
        {"weight",
         [](Ctx& c, const Node& n, T& t) {
             if (!c.need_args(n, 1)) return;
             auto w = c.integer(n, 0, -65535, 65535);
             if (!w) return;
             bool reverse = false;
             if (n.args.size() > 1) {
                 auto r = n.args[1].text;
                 if (r != "reverse" && r != "noreverse") {
                     c.error(n.args[1],
                             "unknown track file weight option " + std::string(r) + " - ignoring");
                     return;
                 }
                 reverse = r == "reverse";
             }
             t.check.weight = int(*w);
             t.check.reverse = reverse;
         }},
    };
    return t;
}

// ---- reading and binding ---------------------------------------------------------------------

// Reads block N as kind T (its table first, then what every checker takes), lets the kind
// finish, then applies the defaults and binds the checker to its real server.
template <class T>
void read_check(Ctx& c, const Node& n, CheckSite& s, const KeywordTable<T>& own) {
    CheckCtx cx;
    cx.cc.file = n.key.loc.file;
    cx.cc.line = n.key.loc.line;
    if (s.rs) {
        cx.cc.target = s.rs->address;
        cx.cc.target_port = s.rs->port;
    }
    CheckDefaults defaults;
    T t(cx, defaults);
    for (const auto& ch : n.children) {
        if (auto h = own.find(ch.key.text))
            h(c, ch, t);
        else if (!common_kw(c, ch, t))
            c.unknown(ch);
    }
    const bool keep = t.done(c, n, s);
    auto& cc = cx.cc;
    cc.retry = checkers::default_retry(cc.kind);
    apply(s.vs_def, cc);
    apply(s.rs_def, cc);
    apply(defaults, cc);
    // alpha of the virtual or real server is its checkers' default: they start down and the
    // server joins the pool only after a first success.
    if (!cx.alpha_set) cc.alpha = s.vs.alpha || (s.rs && s.rs->alpha);
    if (!s.vs_def.delay_before_retry && !s.rs_def.delay_before_retry &&
        !defaults.delay_before_retry)
        cc.delay_before_retry = checkers::default_delay_before_retry(cc.kind, cc.delay_loop);
    if (!keep) return;
    if (s.rs) ++s.rs->checker_count;
    if (c.opt.check_only) return;
    if (cx.log_all_failures_set) c.log_all_failures_set.push_back(c.cfg.checks.size());
    c.cfg.checks.push_back(CheckBinding{s.vs_index, s.rs_index, std::move(cc)});
}

// BFD_CHECK: a BFD session's state, none of the common options (config/bfd_blocks.cpp).
void bfd_check_block(Ctx& c, const Node& n, CheckSite& s) {
    const auto proto = s.vs.protocol == ipvs::Protocol::udp    ? "udp"
                       : s.vs.protocol == ipvs::Protocol::sctp ? "sctp"
                                                               : "tcp";
    const std::string label = "[" + (s.rs ? s.rs->address.to_string() : std::string("?")) +
                              "]:" + proto + ":" + std::to_string(s.rs ? s.rs->port : 0);
    bfd_check(c, n, label, s.vs_index, s.rs_index, s.rs, false);
}

const KeywordTable<CheckSite>& kinds() {
    using S = CheckSite;
    static const KeywordTable<S> t{
        {"TCP_CHECK", [](Ctx& c, const Node& n, S& s) { read_check(c, n, s, tcp_table()); }},
        {"HTTP_GET", [](Ctx& c, const Node& n, S& s) { read_check(c, n, s, http_table()); }},
        {"SSL_GET", [](Ctx& c, const Node& n, S& s) { read_check(c, n, s, http_table()); }},
        {"MISC_CHECK", [](Ctx& c, const Node& n, S& s) { read_check(c, n, s, misc_table()); }},
        {"DNS_CHECK", [](Ctx& c, const Node& n, S& s) { read_check(c, n, s, dns_table()); }},
        {"SMTP_CHECK", [](Ctx& c, const Node& n, S& s) { read_check(c, n, s, smtp_table()); }},
        {"UDP_CHECK", [](Ctx& c, const Node& n, S& s) { read_check(c, n, s, udp_table()); }},
        {"PING_CHECK", [](Ctx& c, const Node& n, S& s) { read_check(c, n, s, ping_table()); }},
        {"FILE_CHECK", [](Ctx& c, const Node& n, S& s) { read_check(c, n, s, file_table()); }},
        {"BFD_CHECK", [](Ctx& c, const Node& n, S& s) { bfd_check_block(c, n, s); }},
    };
    return t;
}

}  // namespace

bool check_default(Ctx& c, const Node& n, CheckDefaults& d) {
    auto h = defaults_table().find(n.key.text);
    if (h) h(c, n, d);
    return h != nullptr;
}

bool is_checker(std::string_view keyword) {
    return kinds().find(keyword) != nullptr;
}

void check_block(Ctx& c, const Node& n, CheckSite& site) {
    if (auto h = kinds().find(n.key.text)) h(c, n, site);
}

}  // namespace vigil::config
