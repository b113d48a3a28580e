// The shell around Session: sockets and timers on the daemon's loop, demultiplexing by
// discriminator or neighbour, the TTL check, counters.
#include "vigil/bfd/engine.hpp"

#include <fmt/format.h>

#include <array>
#include <random>
#include <unordered_map>

#include "packet.hpp"
#include "session.hpp"
#include "socket.hpp"

namespace vigil::bfd {

namespace {

constexpr int kLogError = 3, kLogWarning = 4, kLogInfo = 6;

Timing timing_of(const InstanceConfig& c) {
    Timing t;
    t.desired_min_tx = c.min_tx;
    t.required_min_rx = c.min_rx;
    t.idle_tx = c.idle_tx;
    t.multiplier = c.multiplier;
    t.passive = c.passive;
    return t;
}

// What a running session cannot change without starting again.
bool same_path(const InstanceConfig& a, const InstanceConfig& b) {
    return a.neighbor == b.neighbor && a.source == b.source && a.ttl == b.ttl &&
           a.hoplimit == b.hoplimit;
}

std::uint16_t port_of(const InstanceConfig&) {
    return kPort;
}

using Drops = std::array<std::uint64_t, kDropReasonCount>;

std::map<std::string, std::uint64_t> drop_map(const Drops& d) {
    std::map<std::string, std::uint64_t> m;
    for (std::size_t i = 0; i < d.size(); ++i)
        if (d[i]) m[std::string(to_string(static_cast<DropReason>(i)))] = d[i];
    return m;
}

}  // namespace

struct Engine::Impl {
    struct Live : std::enable_shared_from_this<Live> {
        Live(Impl& engine, InstanceConfig c, Session s, TxSocket t)
            : config(std::move(c)),
              core(std::move(s)),
              tx(std::move(t)),
              timer(engine.clock, [this, &engine] { engine.due(*this); }) {}
        InstanceConfig config;
        Session core;
        TxSocket tx;
        Clock::Alarm timer;  // the session's next deadline: transmission or detection
        std::uint64_t packets_in = 0, packets_out = 0, send_errors = 0;
        Drops drops{};
        Clock::time_point last_change{};
        bool draining = false;  // stopped, still sending AdminDown
    };

    boost::asio::io_context& io;
    Clock& clock;
    Hooks hooks;
    std::mt19937_64 fallback_rng{std::random_device{}()};
    std::map<std::string, std::shared_ptr<Live>> sessions;
    std::unordered_map<std::uint32_t, std::weak_ptr<Live>> by_discriminator;
    std::map<std::pair<bool, std::uint16_t>, std::unique_ptr<RxSocket>> rx;  // (v6, port)
    std::vector<std::shared_ptr<Live>> draining;
    std::function<void()> on_drained;  // stop()'s callback, once nothing is draining
    bool stopped = false;
    Drops drops{};

    Impl(boost::asio::io_context& i, Clock& c, Hooks h) : io(i), clock(c), hooks(std::move(h)) {}

    std::uint64_t random() { return hooks.random ? hooks.random() : fallback_rng(); }
    void log(int level, std::string m) {
        if (hooks.log) hooks.log(level, std::move(m));
    }
    TimePoint now() const { return clock.now(); }

    std::uint32_t new_discriminator() {
        for (;;) {
            const auto d = static_cast<std::uint32_t>(random());
            if (d != 0 && !by_discriminator.count(d)) return d;
        }
    }

    std::expected<void, std::string> ensure_rx(bool v6, std::uint16_t port) {
        if (rx.count({v6, port})) return {};
        auto s =
            RxSocket::open(io, v6, port, [this, port](const Datagram& d) { receive(d, port); });
        if (!s) return std::unexpected(s.error());
        rx[{v6, port}] = std::move(*s);
        return {};
    }

    Live* by_neighbor(const Address& a, std::uint16_t port) {
        for (auto& [_, s] : sessions)
            if (s->config.neighbor == a && port_of(s->config) == port) return s.get();
        return nullptr;
    }

    void drop(Live* s, DropReason r) {
        ++drops[static_cast<std::size_t>(r)];
        if (s) ++s->drops[static_cast<std::size_t>(r)];
    }

    void receive(const Datagram& d, std::uint16_t port) {
        Live* from = by_neighbor(d.source, port);
        auto p = decode(d.bytes);
        if (!p) return drop(from, p.error());
        Live* s = nullptr;
        if (p->your_discriminator != 0) {
            auto it = by_discriminator.find(p->your_discriminator);
            if (it != by_discriminator.end())
                if (auto l = it->second.lock()) s = l.get();
            if (!s) return drop(from, DropReason::unknown_discriminator);
            if (s->config.neighbor != d.source) return drop(from, DropReason::unknown_neighbor);
        } else {
            s = from;
            if (!s) return drop(nullptr, DropReason::unknown_neighbor);
        }
        // RFC 5881 section 5 (GTSM): what left the peer at our TTL arrives reduced by at most
        // max_hops; 255 turns the check off.
        if (s->draining) {
            ++s->packets_in;  // the peer has not heard the AdminDown yet; nothing to change
            return;
        }
        const auto& c = s->config;
        if (c.max_hops != 255 && d.ttl >= 0 && d.ttl < int(c.sent_ttl()) - int(c.max_hops))
            return drop(s, DropReason::bad_ttl);
        ++s->packets_in;
        apply(*s, s->core.on_packet(*p, now()));
    }

    void apply(Live& s, const Actions& a) {
        if (a.send) {
            const auto bytes = encode(*a.send);
            if (auto r = s.tx.send(bytes, s.config.neighbor, port_of(s.config)); r) {
                ++s.packets_out;
            } else if (s.send_errors++ == 0) {
                log(kLogWarning,
                    fmt::format("BFD_Instance({}) cannot send to {}: {}", s.config.name,
                                s.config.neighbor.to_string(), r.error()));
            }
        }
        arm(s);
        if (a.transition) {
            s.last_change = now();
            const auto& t = *a.transition;
            log(kLogInfo,
                fmt::format("BFD_Instance({}) Entering {} state{}", s.config.name, to_string(t.to),
                            t.diag == Diag::none ? std::string()
                                                 : fmt::format(" (diag: {})", to_string(t.diag))));
            if (hooks.on_state_change) hooks.on_state_change({s.config.name, t.from, t.to, t.diag});
        }
    }

    void arm(Live& s) {
        const TimePoint at = s.core.deadline();
        if (at == TimePoint::max()) return s.timer.cancel();
        s.timer.arm(at);
    }

    // A session's deadline; it stays alive while its callbacks may remove it.
    void due(Live& s) {
        auto l = s.shared_from_this();
        if (!l->draining) return apply(*l, l->core.on_timer(now()));
        const Actions a = l->core.on_timer(now());
        if (a.send && l->tx.send(encode(*a.send), l->config.neighbor, port_of(l->config)))
            ++l->packets_out;
        arm_drain(l);
    }

    std::expected<void, std::string> add(const InstanceConfig& c) {
        if (auto r = ensure_rx(c.neighbor.is_v6(), port_of(c)); !r)
            return std::unexpected(fmt::format("BFD_Instance({}): {}", c.name, r.error()));
        auto tx = TxSocket::open(io, c.neighbor, c.source, c.sent_ttl(), random());
        if (!tx) return std::unexpected(fmt::format("BFD_Instance({}): {}", c.name, tx.error()));
        const auto disc = new_discriminator();
        auto live = std::make_shared<Live>(*this, c, Session(timing_of(c), disc, random(), now()),
                                           std::move(*tx));
        sessions[c.name] = live;
        by_discriminator[disc] = live;
        arm(*live);
        return {};
    }

    // signal: keep sending AdminDown for a detection time (stop, removal); a session that
    // restarts sends one, so that the old and the new discriminator do not alternate.
    void remove(const std::string& name, bool signal) {
        auto it = sessions.find(name);
        if (it == sessions.end()) return;
        auto live = it->second;
        sessions.erase(it);
        const Actions a = live->core.admin_down(now());
        if (a.send && live->tx.send(encode(*a.send), live->config.neighbor, port_of(live->config)))
            ++live->packets_out;
        if (!signal || live->core.deadline() == TimePoint::max()) {
            live->timer.cancel();
            by_discriminator.erase(live->core.my_discriminator());
            return;
        }
        live->draining = true;
        draining.push_back(live);
        arm_drain(live);
    }

    void arm_drain(const std::shared_ptr<Live>& live) {
        const TimePoint at = live->core.deadline();
        if (at == TimePoint::max()) {
            by_discriminator.erase(live->core.my_discriminator());
            std::erase(draining, live);
            if (draining.empty() && stopped) finish_stop();
            return;
        }
        live->timer.arm(at);
    }

    void finish_stop() {
        rx.clear();
        if (auto f = std::move(on_drained)) {
            on_drained = nullptr;
            f();
        }
    }

    std::expected<void, std::string> apply_config(const Config& config) {
        std::string errors;
        std::map<std::string, const InstanceConfig*> want;
        for (const auto& c : config.instances) want[c.name] = &c;
        std::vector<std::pair<std::string, bool>> gone;  // (name, removed rather than restarted)
        for (const auto& [name, s] : sessions) {
            auto w = want.find(name);
            if (w == want.end())
                gone.emplace_back(name, true);
            else if (!same_path(s->config, *w->second))
                gone.emplace_back(name, false);
        }
        for (const auto& [n, removed] : gone) remove(n, removed);
        for (const auto& c : config.instances) {
            auto it = sessions.find(c.name);
            if (it == sessions.end()) {
                if (auto r = add(c); !r) {
                    log(kLogError, r.error());
                    errors += (errors.empty() ? "" : "; ") + r.error();
                }
                continue;
            }
            auto& s = *it->second;
            if (s.config == c) continue;
            s.config = c;
            apply(s, s.core.reconfigure(timing_of(c), now()));
        }
        // Sockets of a family or port no session uses any more.
        std::erase_if(rx, [&](const auto& kv) {
            for (const auto& s : draining)
                if (s->config.neighbor.is_v6() == kv.first.first &&
                    port_of(s->config) == kv.first.second)
                    return false;
            for (const auto& [_, s] : sessions)
                if (s->config.neighbor.is_v6() == kv.first.first &&
                    port_of(s->config) == kv.first.second)
                    return false;
            return true;
        });
        if (!errors.empty()) return std::unexpected(errors);
        return {};
    }
};

Engine::Engine(boost::asio::io_context& io, Clock& clock, Hooks hooks)
    : impl_(std::make_unique<Impl>(io, clock, std::move(hooks))) {}

Engine::~Engine() = default;

std::expected<void, std::string> Engine::start(const Config& config) {
    return impl_->apply_config(config);
}

std::expected<void, std::string> Engine::reload(const Config& config) {
    return impl_->apply_config(config);
}

void Engine::stop(std::function<void()> done) {
    auto& i = *impl_;
    i.stopped = true;
    i.on_drained = std::move(done);
    std::vector<std::string> names;
    for (const auto& [n, _] : i.sessions) names.push_back(n);
    for (const auto& n : names) i.remove(n, true);
    if (i.draining.empty()) i.finish_stop();
}

std::optional<State> Engine::state(const std::string& name) const {
    auto it = impl_->sessions.find(name);
    if (it == impl_->sessions.end()) return std::nullopt;
    return it->second->core.state();
}

Status Engine::status() const {
    Status st;
    for (const auto& [name, s] : impl_->sessions) {
        SessionStatus o;
        o.name = name;
        o.neighbor = s->config.neighbor.to_string();
        if (s->config.source) o.source = s->config.source->to_string();
        o.port = port_of(s->config);
        o.state = s->core.state();
        o.remote_state = s->core.remote_state();
        o.diag = s->core.diag();
        o.local_discriminator = s->core.my_discriminator();
        o.remote_discriminator = s->core.your_discriminator();
        o.remote_multiplier = s->core.remote_multiplier();
        o.tx_interval = s->core.tx_interval();
        o.rx_interval = s->core.rx_interval();
        o.detection_time = s->core.detection_time();
        o.polling = s->core.polling();
        o.state_changes = s->core.transitions();
        o.packets_in = s->packets_in;
        o.packets_out = s->packets_out;
        o.send_errors = s->send_errors;
        o.drops = drop_map(s->drops);
        o.last_change = s->last_change;
        st.sessions.push_back(std::move(o));
    }
    st.drops = drop_map(impl_->drops);
    return st;
}

}  // namespace vigil::bfd
