#include "vigil/checkers/pool.hpp"

#include <boost/asio/post.hpp>
#include <random>
#include <unordered_map>

#include "file_check.hpp"
#include "file_watch.hpp"
#include "http_regex.hpp"
#include "probe.hpp"
#include "scheduler.hpp"
#include "tls_plugin.hpp"

namespace vigil::checkers {

std::string_view to_string(Failure f) {
    switch (f) {
        case Failure::none:
            return "none";
        case Failure::refused:
            return "refused";
        case Failure::connect_timeout:
            return "connect_timeout";
        case Failure::timeout:
            return "timeout";
        case Failure::network:
            return "network";
        case Failure::tls:
            return "tls";
        case Failure::bad_response:
            return "bad_response";
        case Failure::bad_status:
            return "bad_status";
        case Failure::bad_digest:
            return "bad_digest";
        case Failure::dns_error:
            return "dns_error";
        case Failure::smtp_error:
            return "smtp_error";
        case Failure::udp_reply:
            return "udp_reply";
        case Failure::script_failed:
            return "script_failed";
        case Failure::script_timeout:
            return "script_timeout";
        case Failure::spawn_failed:
            return "spawn_failed";
        case Failure::unsupported:
            return "unsupported";
        case Failure::bad_regex:
            return "bad_regex";
        case Failure::no_echo_reply:
            return "no_echo_reply";
        case Failure::file_fault:
            return "file_fault";
    }
    return "unknown";
}

std::shared_ptr<Probe> start_probe(ProbeEnv& env, std::shared_ptr<const CheckConfig> cfg,
                                   ProbeDone done) {
    const auto& kind = cfg->kind;
    if (std::holds_alternative<TcpCheck>(kind)) return start_tcp_probe(env, cfg, std::move(done));
    if (std::holds_alternative<HttpCheck>(kind)) return start_http_probe(env, cfg, std::move(done));
    if (std::holds_alternative<MiscCheck>(kind)) return start_misc_probe(env, cfg, std::move(done));
    if (std::holds_alternative<DnsCheck>(kind)) return start_dns_probe(env, cfg, std::move(done));
    if (std::holds_alternative<SmtpCheck>(kind)) return start_smtp_probe(env, cfg, std::move(done));
    if (std::holds_alternative<UdpCheck>(kind)) return start_udp_probe(env, cfg, std::move(done));
    if (std::holds_alternative<PingCheck>(kind)) return start_ping_probe(env, cfg, std::move(done));
    // FILE_CHECK is run by the pool itself (it keeps the last valid value): never a false "up".
    boost::asio::post(env.io, [done = std::move(done)] {
        done(ProbeOutcome::fail(Failure::unsupported, "checker kind not supported"));
    });
    return nullptr;
}

std::string_view kind_name(const CheckKind& k) {
    static constexpr std::string_view names[] = {"TCP_CHECK",  "HTTP_GET",   "MISC_CHECK",
                                                 "DNS_CHECK",  "SMTP_CHECK", "UDP_CHECK",
                                                 "PING_CHECK", "FILE_CHECK"};
    static_assert(std::size(names) == std::variant_size_v<CheckKind>);
    if (const auto* h = std::get_if<HttpCheck>(&k); h && h->ssl) return "SSL_GET";
    return names[k.index()];
}

namespace {

bool same_target(const CheckConfig& a, const CheckConfig& b) {
    return a.kind.index() == b.kind.index() && a.effective_ip() == b.effective_ip() &&
           a.effective_port() == b.effective_port() && a.bind_to == b.bind_to &&
           a.bind_port == b.bind_port && a.bind_if == b.bind_if && a.fwmark == b.fwmark;
}

}  // namespace

struct Pool::Impl : std::enable_shared_from_this<Pool::Impl> {
    struct Check {
        Check(Impl& pool, std::size_t id_, std::shared_ptr<const CheckConfig> c)
            : id(id_), cfg(std::move(c)), timer(pool.clock, [this, &pool] { pool.run(*this); }) {}
        std::size_t id;
        std::shared_ptr<const CheckConfig> cfg;
        SchedulerState sched;
        Clock::Alarm timer;  // the next probe; re-armed each round without allocating
        std::shared_ptr<Probe> probe;
        std::uint64_t seq = 0;  // ties probe completions to the current round
        Clock::time_point started;
        bool has_run = false;
        bool suspended = false;
        std::size_t url_next = 0;  // HTTP url walk of a down checker (walks_urls)
        CheckResult last;
        CheckCounters counters;
        std::optional<int> weight;
        std::optional<int> offset;         // FILE_CHECK: the last offset reported
        std::int64_t file_value = 0;       // FILE_CHECK: the last valid value read
        std::shared_ptr<FileWatch> watch;  // FILE_CHECK
    };

    Impl(boost::asio::io_context& io_, Clock& clock_, Hooks h)
        : io(io_),
          clock(clock_),
          hooks(std::move(h)),
          env{io_,
              clock_,
              [this] { return tls_provider(); },
              hooks,
              [this] { return random(); },
              settings,
              [this](const HttpUrl& u) { return regex(u); }} {
        if (!hooks.random) rng.seed(std::random_device{}());
    }

    std::shared_ptr<const std::regex> regex(const HttpUrl& u) {
        std::string key = u.regex;
        for (const auto& o : u.regex_options) key += '\0' + o;
        auto it = regexes.find(key);
        if (it != regexes.end()) return it->second;
        auto r = compile_body_regex(u.regex, u.regex_options);
        BodyRegex re = r ? *r : nullptr;
        if (!r) log(3, r.error());
        regexes.emplace(std::move(key), re);
        return re;
    }

    std::uint64_t random() { return hooks.random ? hooks.random() : rng(); }

    // SSL_GET's client context, made on first use: the plugin is opened by the first SSL_GET,
    // never for the SSL { } block alone. Settings that do not load are logged and the
    // checks run without a client certificate, as keepalived; a plugin that does not load
    // fails every SSL_GET, until configure() tries again.
    std::expected<std::shared_ptr<TlsProvider>, std::string> tls_provider() {
        if (tls) return tls;
        if (tls_error) return std::unexpected(*tls_error);
        auto made = make_tls(settings.tls);
        if (!made && plugin) {
            log(3, "SSL: " + made.error());
            made = make_tls(TlsClientConfig{});
        }
        if (!made) {
            log(3, "SSL_GET: " + made.error());
            tls_error = made.error();
            return std::unexpected(made.error());
        }
        tls = std::move(*made);
        return tls;
    }

    // A client context for `c`, the plugin opened if it is not yet.
    std::expected<std::shared_ptr<TlsProvider>, std::string> make_tls(const TlsClientConfig& c) {
        if (!plugin) {
            auto p = TlsPlugin::load();
            if (!p) return std::unexpected(std::move(p.error()));
            plugin = std::move(*p);
        }
        return plugin->make(c);
    }

    bool has_tls_check() const {
        for (const auto& [id, c] : checks) {
            const auto* h = std::get_if<HttpCheck>(&c->cfg->kind);
            if (h && h->ssl) return true;
        }
        return false;
    }

    void log(int level, std::string msg) {
        if (hooks.log) hooks.log(level, std::move(msg));
    }

    void arm(Check& c, Duration delay) {
        if (c.suspended) return;
        ++c.seq;
        c.timer.arm_after(delay);
    }

    void run(Check& c) {
        if (std::holds_alternative<FileCheck>(c.cfg->kind)) return file_round(c);
        std::uint64_t seq = ++c.seq;
        c.started = clock.now();
        ++c.counters.probes;
        auto cfg = c.cfg;
        if (walking(c)) {  // this probe checks one url only
            auto one = std::make_shared<CheckConfig>(*c.cfg);
            auto& h = std::get<HttpCheck>(one->kind);
            h.urls = {h.urls.at(c.url_next)};
            cfg = std::move(one);
        }
        c.probe = start_probe(env, cfg, [w = weak_from_this(), id = c.id, seq](ProbeOutcome o) {
            auto self = w.lock();
            if (!self) return;
            auto it = self->checks.find(id);
            if (it == self->checks.end() || it->second->seq != seq) return;
            self->completed(*it->second, std::move(o));
        });
    }

    static bool walking(const Check& c) {
        const auto* h = std::get_if<HttpCheck>(&c.cfg->kind);
        return h && walks_urls(c.sched.up, h->fast_recovery, h->urls.size()) &&
               c.url_next < h->urls.size();
    }

    ProbeOutcome read_file(Check& c) {
        const auto& f = std::get<FileCheck>(c.cfg->kind);
        if (auto v = read_track_value(f.path)) {
            c.file_value = *v;
        } else {
            log(6, "FILE_CHECK: invalid number in " + f.path + " - ignored");
        }
        return file_outcome(c.file_value, f.weight, f.reverse);
    }

    void file_round(Check& c) {
        ++c.counters.probes;
        c.started = clock.now();
        completed(c, read_file(c));
    }

    void watch_file(Check& c) {
        c.watch.reset();
        const auto& path = std::get<FileCheck>(c.cfg->kind).path;
        if (path.empty()) return;
        c.watch = FileWatch::create(io, path, [w = weak_from_this(), id = c.id] {
            auto self = w.lock();
            if (!self) return;
            auto it = self->checks.find(id);
            if (it != self->checks.end()) self->file_round(*it->second);
        });
    }

    void completed(Check& c, ProbeOutcome o) {
        c.probe.reset();
        CheckResult r;
        r.up = o.ok;
        r.failure = o.failure;
        r.reason = std::move(o.detail);
        r.latency = std::chrono::duration_cast<std::chrono::microseconds>(clock.now() - c.started);
        r.dynamic_weight = o.weight;
        r.weight_offset = o.offset;
        if (o.ok) {
            ++c.counters.successes;
        } else {
            ++c.counters.failures[static_cast<std::size_t>(o.failure)];
        }
        bool ok = o.ok;
        if (walking(c)) {
            const auto& h = std::get<HttpCheck>(c.cfg->kind);
            const std::size_t at = c.url_next;
            auto w = walk_urls(h.urls.size(), at, o.ok);
            c.url_next = w.next;
            ok = w.complete;
            if (o.ok && !w.complete) {
                r.reason = h.urls[at].path + ": passed, url " + std::to_string(at + 1) + " of " +
                           std::to_string(h.urls.size()) + " while recovering";
            }
        }
        r.up = ok;
        Verdict v = decide(c.sched, scheduler_params(*c.cfg), ok);
        if (v.changed) c.url_next = 0;
        c.sched = v.state;
        c.has_run = true;
        if (v.changed) ++c.counters.transitions;
        bool weight_changed = o.ok && o.weight != c.weight;
        if (weight_changed) c.weight = o.weight;
        bool offset_changed = o.ok && o.offset && o.offset != c.offset;
        if (offset_changed) c.offset = o.offset;
        // Failures that only count toward retry are logged too when asked.
        bool log_failure = !o.ok && !v.changed && c.sched.up && c.cfg->log_all_failures;
        c.last = r;
        arm(c, v.next);

        // Hooks may add or remove checkers: c is not touched after this point.
        std::size_t id = c.id;
        auto cfg = c.cfg;
        // The owner logs the change: it knows which real server of which service this is.
        if (v.changed && hooks.on_state_change) hooks.on_state_change(id, r.up, r);
        if (log_failure) {
            log(6, std::string(kind_name(cfg->kind)) + " on " + cfg->effective_ip().to_string() +
                       ":" + std::to_string(cfg->effective_port()) + " failed (retry " +
                       std::to_string(v.state.failures) + " of " + std::to_string(cfg->retry) +
                       "): " + r.reason);
        }
        if (weight_changed && hooks.on_weight_change) hooks.on_weight_change(id, r.dynamic_weight);
        if (offset_changed && hooks.on_weight_offset) hooks.on_weight_offset(id, *r.weight_offset);
    }

    void stop(Check& c) {
        ++c.seq;
        c.watch.reset();
        c.timer.cancel();
        if (c.probe) c.probe->cancel();
        c.probe.reset();
    }

    CheckStatus snapshot(const Check& c) const {
        CheckStatus s;
        s.id = c.id;
        s.up = c.sched.up;
        s.has_run = c.has_run;
        s.pending_failures = c.sched.failures;
        s.suspended = c.suspended;
        s.last = c.last;
        s.counters = c.counters;
        return s;
    }

    boost::asio::io_context& io;
    Clock& clock;
    Hooks hooks;
    std::mt19937_64 rng;
    PoolSettings settings;
    std::optional<TlsPlugin> plugin;
    std::shared_ptr<TlsProvider> tls;
    std::optional<std::string> tls_error;  // the plugin does not load
    std::unordered_map<std::string, BodyRegex> regexes;
    ProbeEnv env;
    std::size_t next_id = 1;
    std::unordered_map<std::size_t, std::unique_ptr<Check>> checks;
};

Pool::Pool(boost::asio::io_context& io, Clock& clock, Hooks hooks)
    : impl_(std::make_shared<Impl>(io, clock, std::move(hooks))) {}

Pool::~Pool() {
    for (auto& [id, c] : impl_->checks) impl_->stop(*c);
}

std::optional<std::string> Pool::configure(const PoolSettings& settings) {
    auto& d = *impl_;
    d.tls_error.reset();  // a reload opens a plugin installed since
    if (settings.tls != d.settings.tls) {
        if (d.has_tls_check()) {
            auto made = d.make_tls(settings.tls);
            if (!made) {
                d.settings.default_helo = settings.default_helo;
                return "SSL: " + made.error();
            }
            d.tls = std::move(*made);  // probes in flight keep the old one alive
        } else {
            d.tls.reset();  // made by the next SSL_GET
        }
    }
    d.settings = settings;
    return std::nullopt;
}

std::size_t Pool::add(const CheckConfig& cfg) {
    return add(std::make_shared<const CheckConfig>(cfg));
}

std::size_t Pool::add(std::shared_ptr<const CheckConfig> shared) {
    std::size_t id = impl_->next_id++;
    const CheckConfig& cfg = *shared;
    auto c = std::make_unique<Impl::Check>(*impl_, id, std::move(shared));
    c->sched = initial_state(cfg.alpha);
    c->last.up = c->sched.up;
    auto& check = *c;
    impl_->checks.emplace(id, std::move(c));
    if (std::holds_alternative<FileCheck>(cfg.kind)) {
        // The file's state is known at once, as keepalived: no alpha, no warmup.
        ProbeOutcome o = impl_->read_file(check);
        check.sched = initial_state(!o.ok);
        check.has_run = true;
        check.last.up = o.ok;
        check.last.failure = o.failure;
        check.last.reason = o.detail;
        check.last.weight_offset = o.offset;
        if (o.ok && o.offset && *o.offset != 0) {
            check.offset = o.offset;
            boost::asio::post(impl_->io, [w = impl_->weak_from_this(), id, off = *o.offset] {
                auto self = w.lock();
                if (self && self->checks.count(id) && self->hooks.on_weight_offset)
                    self->hooks.on_weight_offset(id, off);
            });
        }
        impl_->watch_file(check);
        impl_->arm(check, cfg.delay_loop);
        return id;
    }
    Duration delay = first_delay(cfg.warmup, cfg.delay_loop, impl_->random());
    impl_->arm(check, delay);
    return id;
}

void Pool::remove(std::size_t id) {
    auto it = impl_->checks.find(id);
    if (it == impl_->checks.end()) return;
    impl_->stop(*it->second);
    impl_->checks.erase(it);
}

bool Pool::update(std::size_t id, const CheckConfig& cfg) {
    return update(id, std::make_shared<const CheckConfig>(cfg));
}

bool Pool::update(std::size_t id, std::shared_ptr<const CheckConfig> shared) {
    auto it = impl_->checks.find(id);
    if (it == impl_->checks.end()) return false;
    auto& c = *it->second;
    const CheckConfig& cfg = *shared;
    if (*c.cfg == cfg) {  // most checkers of a reload: nothing to do but let the old ones go
        c.cfg = std::move(shared);
        return true;
    }
    bool restart = c.probe && !same_target(*c.cfg, cfg);
    bool rewatch = std::holds_alternative<FileCheck>(cfg.kind) &&
                   (!std::holds_alternative<FileCheck>(c.cfg->kind) ||
                    std::get<FileCheck>(c.cfg->kind).path != std::get<FileCheck>(cfg.kind).path);
    c.cfg = std::move(shared);
    if (rewatch && !c.suspended) {
        impl_->watch_file(c);
        impl_->arm(c, Duration{0});
    }
    if (restart) {
        impl_->stop(c);
        impl_->arm(c, Duration{0});
    }
    return true;
}

bool Pool::suspend(std::size_t id, bool suspended) {
    auto it = impl_->checks.find(id);
    if (it == impl_->checks.end()) return false;
    auto& c = *it->second;
    if (c.suspended == suspended) return true;
    if (suspended) {
        impl_->stop(c);
        c.suspended = true;
    } else {
        c.suspended = false;
        if (std::holds_alternative<FileCheck>(c.cfg->kind)) impl_->watch_file(c);
        impl_->arm(c, Duration{0});
    }
    return true;
}

std::optional<CheckStatus> Pool::status(std::size_t id) const {
    auto it = impl_->checks.find(id);
    if (it == impl_->checks.end()) return std::nullopt;
    return impl_->snapshot(*it->second);
}

bool Pool::up(std::size_t id) const {
    auto it = impl_->checks.find(id);
    return it != impl_->checks.end() && it->second->sched.up;
}

std::optional<bool> Pool::suspended(std::size_t id) const {
    auto it = impl_->checks.find(id);
    if (it == impl_->checks.end()) return std::nullopt;
    return it->second->suspended;
}

std::vector<CheckStatus> Pool::status() const {
    std::vector<CheckStatus> out;
    out.reserve(impl_->checks.size());
    for (const auto& [id, c] : impl_->checks) out.push_back(impl_->snapshot(*c));
    return out;
}

std::size_t Pool::size() const {
    return impl_->checks.size();
}

}  // namespace vigil::checkers
