#include "bfd_link.hpp"

#include <vigil/bfd/engine.hpp>

#include <chrono>

namespace vigil {

using nlohmann::json;

BfdLink::BfdLink(boost::asio::io_context& io, Clock& clock, Logger& log, Hooks hooks)
    : clock_(clock), log_(log), hooks_(std::move(hooks)) {
    bfd::Hooks h;
    h.on_state_change = [this](const bfd::StateChange& c) {
        on_change(c.name, c.from == bfd::State::up, c.to == bfd::State::up);
    };
    h.log = [this](int level, std::string m) { log_.write(static_cast<LogLevel>(level), m); };
    engine_ = std::make_unique<bfd::Engine>(io, clock, std::move(h));
}

BfdLink::~BfdLink() = default;

bool BfdLink::up(const std::string& session) const {
    return engine_->state(session) == bfd::State::up;
}

void BfdLink::apply(const config::Config& c) {
    auto r = engine_->reload(c.bfd);  // the same as start() on an empty engine
    if (!r) log_.error("BFD: {}", r.error());
    // Sessions gone from the file no longer hold anything up.
    for (const auto& old : config_.instances) {
        bool kept = false;
        for (const auto& n : c.bfd.instances) kept = kept || n.name == old.name;
        if (!kept && old.vrrp && hooks_.to_vrrp) hooks_.to_vrrp(old.name, false);
    }
    config_ = c.bfd;
    checks_.clear();
    for (const auto& b : c.bfd_checks)
        checks_.emplace(std::pair{b.virtual_server, b.real_server}, b.session);
    for (const auto& s : config_.instances)
        if (s.vrrp && hooks_.to_vrrp) hooks_.to_vrrp(s.name, up(s.name));
}

void BfdLink::stop(std::function<void()> done) {
    engine_->stop(std::move(done));
}

bool BfdLink::alive(std::size_t vs, std::size_t rs) const {
    auto [b, e] = checks_.equal_range({vs, rs});
    for (auto it = b; it != e; ++it)
        if (!up(it->second)) return false;
    return true;
}

std::string BfdLink::state_of(const std::string& session) const {
    const auto st = engine_->state(session);
    return st ? std::string(bfd::to_string(*st)) : std::string();
}

std::size_t BfdLink::checks(std::size_t vs, std::size_t rs) const {
    return checks_.count({vs, rs});
}

void BfdLink::on_change(const std::string& name, bool was_up, bool now_up) {
    if (was_up == now_up) return;
    const bfd::InstanceConfig* cfg = nullptr;
    for (const auto& s : config_.instances)
        if (s.name == name) cfg = &s;
    if (!cfg) return;
    if (cfg->vrrp && hooks_.to_vrrp) hooks_.to_vrrp(name, now_up);
    if (cfg->checker && hooks_.to_checker)
        for (const auto& [key, session] : checks_)
            if (session == name) hooks_.to_checker(key.first, key.second);
}

json BfdLink::status_json() const {
    const auto st = engine_->status();
    const auto now = clock_.now();
    auto ms = [](std::chrono::microseconds d) { return static_cast<double>(d.count()) / 1000.0; };
    json sessions = json::array();
    for (const auto& s : st.sessions) {
        json drops = json::object();
        for (const auto& [k, v] : s.drops) drops[k] = v;
        sessions.push_back(
            {{"name", s.name},
             {"neighbor", s.neighbor},
             {"source", s.source},
             {"port", s.port},
             {"state", std::string(bfd::to_string(s.state))},
             {"remote_state", std::string(bfd::to_string(s.remote_state))},
             {"diag", std::string(bfd::to_string(s.diag))},
             {"local_discriminator", s.local_discriminator},
             {"remote_discriminator", s.remote_discriminator},
             {"remote_multiplier", s.remote_multiplier},
             {"tx_interval_ms", ms(s.tx_interval)},
             {"rx_interval_ms", ms(s.rx_interval)},
             {"detection_time_ms", ms(s.detection_time)},
             {"polling", s.polling},
             {"state_changes", s.state_changes},
             {"packets_in", s.packets_in},
             {"packets_out", s.packets_out},
             {"send_errors", s.send_errors},
             {"last_change_s_ago",
              s.state_changes == 0
                  ? json(nullptr)
                  : json(std::chrono::duration<double>(now - s.last_change).count())},
             {"drops", drops}});
    }
    json drops = json::object();
    for (const auto& [k, v] : st.drops) drops[k] = v;
    return {{"sessions", sessions}, {"drops", drops}};
}

void BfdLink::metrics(MetricsText& m, const json& s) {
    m.family("vigil_bfd_session_up", "gauge", "1 while the BFD session is Up");
    m.family("vigil_bfd_session_state", "gauge", "1 for the state each BFD session is in");
    m.family("vigil_bfd_tx_interval_seconds", "gauge", "negotiated transmit interval");
    m.family("vigil_bfd_rx_interval_seconds", "gauge", "negotiated receive interval");
    m.family("vigil_bfd_detection_time_seconds", "gauge", "detection time");
    m.family("vigil_bfd_state_changes_total", "counter", "session state changes");
    m.family("vigil_bfd_packets_total", "counter", "control packets, by direction");
    m.family("vigil_bfd_drops_total", "counter", "received packets dropped, by reason");
    if (!s.is_object() || !s.contains("sessions")) return;
    for (const auto& x : s["sessions"]) {
        const std::string l = MetricsText::label("session", x["name"].get<std::string>());
        const std::string state = x["state"].get<std::string>();
        m.sample("vigil_bfd_session_up", l, state == "Up" ? 1 : 0);
        for (const char* st : {"AdminDown", "Down", "Init", "Up"})
            m.sample("vigil_bfd_session_state", l + "," + MetricsText::label("state", st),
                     state == st ? 1 : 0);
        m.sample("vigil_bfd_tx_interval_seconds", l, x["tx_interval_ms"].get<double>() / 1000);
        m.sample("vigil_bfd_rx_interval_seconds", l, x["rx_interval_ms"].get<double>() / 1000);
        m.sample("vigil_bfd_detection_time_seconds", l,
                 x["detection_time_ms"].get<double>() / 1000);
        m.sample("vigil_bfd_state_changes_total", l, x["state_changes"].get<double>());
        m.sample("vigil_bfd_packets_total", l + "," + MetricsText::label("direction", "in"),
                 x["packets_in"].get<double>());
        m.sample("vigil_bfd_packets_total", l + "," + MetricsText::label("direction", "out"),
                 x["packets_out"].get<double>());
    }
    // Every drop, attributed or not, once: by reason.
    for (const auto& [reason, n] : s["drops"].items())
        m.sample("vigil_bfd_drops_total", MetricsText::label("reason", reason), n.get<double>());
}

}  // namespace vigil
