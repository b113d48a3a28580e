#include "vigil/ipvs/model.hpp"

#include <linux/ip_vs.h>

#include <algorithm>
#include <array>
#include <bit>
#include <string>
#include <unordered_map>

namespace vigil::ipvs {

std::string to_string(EventKind kind) {
    switch (kind) {
        case EventKind::real_server_up:
            return "real_server_up";
        case EventKind::real_server_down:
            return "real_server_down";
        case EventKind::quorum_up:
            return "quorum_up";
        case EventKind::quorum_down:
            return "quorum_down";
        case EventKind::sorry_server_in:
            return "sorry_server_in";
        case EventKind::sorry_server_out:
            return "sorry_server_out";
    }
    return "?";
}

namespace {

unsigned prefix_of(const VirtualServerConfig& vs, bool v6) {
    if (!vs.persistence_granularity) return v6 ? 128 : 32;
    const Address& m = *vs.persistence_granularity;
    unsigned bits = 0;
    if (m.is_v4()) {
        bits = std::popcount(m.to_v4().to_uint());
    } else {
        for (auto b : m.to_v6().to_bytes()) bits += std::popcount(static_cast<unsigned>(b));
    }
    return bits;
}

std::uint32_t flags_of(const VirtualServerConfig& vs) {
    std::uint32_t f = 0;
    if (vs.persistence_timeout) f |= IP_VS_SVC_F_PERSISTENT;
    if (vs.ops) f |= IP_VS_SVC_F_ONEPACKET;
    for (const auto& s : vs.sched_flags) {
        if (s == "sh-fallback" || s == "mh-fallback" || s == "flag-1") f |= IP_VS_SVC_F_SCHED1;
        if (s == "sh-port" || s == "mh-port" || s == "flag-2") f |= IP_VS_SVC_F_SCHED2;
        if (s == "flag-3") f |= IP_VS_SVC_F_SCHED3;
    }
    return f;
}

bool inhibited(const VirtualServerConfig& vs, const RealServerConfig& rs) {
    return rs.inhibit_on_failure || vs.inhibit_on_failure;
}

Destination destination_of(const VirtualServerConfig& vs, const RealServerConfig& rs, int weight,
                           std::optional<Forwarding> forwarding = std::nullopt) {
    Destination d;
    d.address = rs.address;
    d.port = rs.port;
    d.forwarding = forwarding.value_or(rs.forwarding.value_or(vs.forwarding));
    d.weight = weight;
    d.upper_threshold = rs.upper_threshold;
    d.lower_threshold = rs.lower_threshold;
    return d;
}

bool starts_alive(const VirtualServerConfig& vs, const RealServerConfig& rs) {
    if (rs.checker_count == 0) return true;
    return !(vs.alpha || rs.alpha);
}

std::string endpoint_key(const RealServerConfig& rs) {
    std::string out = rs.address.to_string();
    out += '/';
    out += std::to_string(rs.port);
    return out;
}

// A virtual server's protocol and keys as bytes: equal texts for equal keys.
std::string keys_text(const VirtualServerConfig& vs) {
    std::string out(1, static_cast<char>(vs.protocol));
    auto put = [&out](const auto& bytes) { out.append(bytes.begin(), bytes.end()); };
    for (const auto& k : vs.keys) {
        out += k.address ? (k.address->is_v6() ? '6' : '4') : '-';
        if (k.address && k.address->is_v6()) {
            put(k.address->to_v6().to_bytes());
            out += std::to_string(k.address->to_v6().scope_id()) + '%';
        }
        if (k.address && k.address->is_v4()) put(k.address->to_v4().to_bytes());
        put(std::array<char, 7>{static_cast<char>(k.port >> 8), static_cast<char>(k.port),
                                static_cast<char>(k.fwmark >> 24),
                                static_cast<char>(k.fwmark >> 16), static_cast<char>(k.fwmark >> 8),
                                static_cast<char>(k.fwmark), static_cast<char>(k.ipv6)});
    }
    return out;
}

}  // namespace

std::vector<Service> services_of(const VirtualServerConfig& vs) {
    std::vector<Service> out;
    for (const auto& k : vs.keys) {
        Service s;
        s.id.protocol = vs.protocol;
        s.id.fwmark = k.fwmark;
        s.id.address = k.fwmark ? std::nullopt : k.address;
        s.id.port = k.fwmark ? 0 : k.port;
        s.id.ipv6 = k.fwmark ? k.ipv6 : (k.address && k.address->is_v6());
        s.scheduler = vs.scheduler;
        s.flags = flags_of(vs);
        s.timeout = vs.persistence_timeout
                        ? static_cast<std::uint32_t>(vs.persistence_timeout->count())
                        : 0;
        s.prefix = prefix_of(vs, s.id.is_ipv6());
        out.push_back(std::move(s));
    }
    return out;
}

std::shared_ptr<const Config> shared_config(Config config) {
    for (auto& vs : config.virtual_servers) {
        long total = 0;
        for (const auto& rs : vs.real_servers) total += std::max(0, rs.weight);
        if (total > 0 && vs.quorum > total) vs.quorum = static_cast<unsigned>(total);
        if (vs.quorum > 0 && vs.hysteresis >= vs.quorum) vs.hysteresis = vs.quorum - 1;
    }
    return std::make_shared<const Config>(std::move(config));
}

Model::Model(Config config) : Model(shared_config(std::move(config))) {}

Model::Model(std::shared_ptr<const Config> config) : config_(std::move(config)) {
    const auto& vss = config_->virtual_servers;
    state_.resize(vss.size());
    for (std::size_t v = 0; v < vss.size(); ++v) {
        state_[v].real_servers.reserve(vss[v].real_servers.size());
        for (const auto& rs : vss[v].real_servers)
            state_[v].real_servers.push_back({starts_alive(vss[v], rs), std::nullopt});
    }
}

std::vector<Event> Model::start() {
    std::vector<Event> out;
    for (std::size_t v = 0; v < state_.size(); ++v)
        if (!ignored(v)) update_quorum(v, true, out);
    return out;
}

bool Model::ignored(std::size_t vs) const {
    // keepalived drops a virtual server without real servers, sorry server or not.
    return config_->virtual_servers[vs].real_servers.empty();
}

std::vector<Event> Model::start_from(const Model& previous) {
    std::vector<Event> out;
    const auto& old_vss = previous.config_->virtual_servers;
    // Each virtual server takes the state of the first old one with the same keys.
    std::unordered_map<std::string, std::size_t> by_keys;
    by_keys.reserve(old_vss.size());
    for (std::size_t o = 0; o < old_vss.size(); ++o) by_keys.emplace(keys_text(old_vss[o]), o);
    for (std::size_t v = 0; v < state_.size(); ++v) {
        const auto& vs = config_->virtual_servers[v];
        if (ignored(v)) continue;
        auto found = by_keys.find(keys_text(vs));
        if (found == by_keys.end()) {
            update_quorum(v, true, out);
            continue;
        }
        const auto* old = &old_vss[found->second];
        const auto& old_state = previous.state_[found->second];
        state_[v].quorum_up = old_state.quorum_up;
        state_[v].sorry_active = old_state.sorry_active && vs.sorry_server.has_value();
        // The state of the first old real server at the same address and port; an index for
        // large pools.
        std::unordered_map<std::string, std::size_t> by_endpoint;
        const bool indexed = old->real_servers.size() > 16;
        if (indexed)
            for (std::size_t o = 0; o < old->real_servers.size(); ++o)
                by_endpoint.emplace(endpoint_key(old->real_servers[o]), o);
        for (std::size_t r = 0; r < vs.real_servers.size(); ++r) {
            const auto& rs = vs.real_servers[r];
            std::optional<std::size_t> from;
            if (indexed) {
                if (auto it = by_endpoint.find(endpoint_key(rs)); it != by_endpoint.end())
                    from = it->second;
            } else {
                for (std::size_t o = 0; o < old->real_servers.size() && !from; ++o)
                    if (old->real_servers[o].address == rs.address &&
                        old->real_servers[o].port == rs.port)
                        from = o;
            }
            if (!from) continue;
            state_[v].real_servers[r] = old_state.real_servers[*from];
            // A server that lost all its checkers is alive by definition.
            if (rs.checker_count == 0) state_[v].real_servers[r].alive = true;
        }
        update_quorum(v, false, out);
    }
    return out;
}

long Model::alive_weight(std::size_t v) const {
    long sum = 0;
    for (std::size_t r = 0; r < state_[v].real_servers.size(); ++r) {
        const auto& st = state_[v].real_servers[r];
        if (st.alive && st.admin == Admin::enabled) sum += std::max(0, effective_weight(v, r));
    }
    return sum;
}

int Model::effective_weight(std::size_t v, std::size_t r) const {
    return state_[v].real_servers[r].dynamic_weight.value_or(
        config_->virtual_servers[v].real_servers[r].weight);
}

void Model::update_quorum(std::size_t v, bool init, std::vector<Event>& out) {
    const auto& vs = config_->virtual_servers[v];
    auto& st = state_[v];
    const long sum = alive_weight(v);
    const long quorum = vs.quorum;
    const long hyst = vs.hysteresis;
    const long threshold = st.quorum_up ? quorum - hyst : quorum + hyst;
    if (!st.quorum_up && sum >= threshold && sum > 0) {
        st.quorum_up = true;
        if (st.sorry_active) {
            st.sorry_active = false;
            out.push_back({EventKind::sorry_server_out, v, no_index, sum});
        }
        out.push_back({EventKind::quorum_up, v, no_index, sum});
        return;
    }
    if ((st.quorum_up && (sum == 0 || sum < threshold)) ||
        (init && !st.quorum_up && vs.sorry_server && !st.sorry_active)) {
        st.quorum_up = false;
        out.push_back({EventKind::quorum_down, v, no_index, sum});
        if (vs.sorry_server && !st.sorry_active) {
            st.sorry_active = true;
            out.push_back({EventKind::sorry_server_in, v, no_index, sum});
        }
    }
}

std::vector<Event> Model::set_health(std::size_t v, std::size_t r, bool alive,
                                     std::optional<int> weight) {
    std::vector<Event> out;
    if (stopped_ || v >= state_.size() || r >= state_[v].real_servers.size()) return out;
    auto& rs = state_[v].real_servers[r];
    if (weight) rs.dynamic_weight = *weight;
    if (rs.alive != alive) {
        rs.alive = alive;
        out.push_back({alive ? EventKind::real_server_up : EventKind::real_server_down, v, r, 0});
    }
    update_quorum(v, false, out);
    return out;
}

std::vector<Event> Model::set_admin(std::size_t v, std::size_t r, Admin admin) {
    std::vector<Event> out;
    if (stopped_ || v >= state_.size() || r >= state_[v].real_servers.size()) return out;
    state_[v].real_servers[r].admin = admin;
    update_quorum(v, false, out);
    return out;
}

std::vector<Event> Model::shutdown() {
    std::vector<Event> out;
    if (stopped_) return out;
    stopped_ = true;
    for (std::size_t v = 0; v < state_.size(); ++v) {
        const auto& vs = config_->virtual_servers[v];
        if (!vs.omega) continue;
        for (std::size_t r = 0; r < state_[v].real_servers.size(); ++r)
            if (state_[v].real_servers[r].alive)
                out.push_back({EventKind::real_server_down, v, r, 0});
        if (state_[v].quorum_up)
            out.push_back({EventKind::quorum_down, v, no_index, alive_weight(v)});
    }
    return out;
}

Table Model::desired() const {
    Table table;
    if (stopped_) return table;
    for (std::size_t v = 0; v < state_.size(); ++v) {
        if (ignored(v)) continue;
        const auto& vs = config_->virtual_servers[v];
        const auto& st = state_[v];
        std::vector<Destination> dests;
        for (std::size_t r = 0; r < vs.real_servers.size(); ++r) {
            const auto& rs = vs.real_servers[r];
            const auto& rst = st.real_servers[r];
            if (rst.admin == Admin::disabled) continue;
            const bool in_pool = rst.alive && !st.sorry_active;
            if (in_pool && rst.admin == Admin::draining)
                dests.push_back(destination_of(vs, rs, 0));
            else if (in_pool)
                dests.push_back(destination_of(vs, rs, effective_weight(v, r)));
            else if (inhibited(vs, rs))
                dests.push_back(destination_of(vs, rs, 0));
        }
        if (vs.sorry_server) {
            const auto& ss = *vs.sorry_server;
            if (st.sorry_active)
                dests.push_back(destination_of(vs, ss, ss.weight, vs.sorry_server_lvs_method));
            else if (vs.sorry_server_inhibit)
                dests.push_back(destination_of(vs, ss, 0, vs.sorry_server_lvs_method));
        }
        for (auto& s : services_of(vs)) {
            for (const auto& d : dests) {
                // A destination of the other family cannot serve this service.
                if (d.address.is_v6() != s.id.is_ipv6()) continue;
                s.destinations.push_back(d);
                // As keepalived: only NAT maps ports. A DR or TUN real server gets the
                // service's port (0 under a firewall mark: each packet keeps its own); the
                // configured one is for its checkers.
                if (d.forwarding != Forwarding::nat) s.destinations.back().port = s.id.port;
            }
            table.push_back(std::move(s));
        }
    }
    normalize(table);
    return table;
}

std::string to_string(Admin admin) {
    switch (admin) {
        case Admin::enabled:
            return "enabled";
        case Admin::disabled:
            return "disabled";
        case Admin::draining:
            return "draining";
    }
    return "?";
}

std::string endpoint_name(const Address& a, std::uint16_t port) {
    return a.is_v6() ? "[" + a.to_string() + "]:" + std::to_string(port)
                     : a.to_string() + ":" + std::to_string(port);
}

std::string protocol_name(Protocol p) {
    return p == Protocol::udp ? "udp" : p == Protocol::sctp ? "sctp" : "tcp";
}

bool is_destination_of(const Destination& d, const RealServerConfig& rs) {
    return d.address == rs.address && (d.port == rs.port || d.forwarding != Forwarding::nat);
}

std::string service_name(const VirtualServerConfig& vs) {
    if (!vs.group.empty()) return vs.group;
    if (vs.keys.empty()) return "?";
    const auto& k = vs.keys.front();
    if (k.fwmark) return "FWM " + std::to_string(k.fwmark);
    return k.address ? endpoint_name(*k.address, k.port) : "?";
}

namespace {

std::optional<Protocol> protocol_prefix(std::string_view& text) {
    for (auto [name, p] : {std::pair{"tcp:", Protocol::tcp}, std::pair{"udp:", Protocol::udp},
                           std::pair{"sctp:", Protocol::sctp}}) {
        const std::string_view n(name);
        if (text.starts_with(n)) {
            text.remove_prefix(n.size());
            return p;
        }
    }
    return std::nullopt;
}

}  // namespace

Result<Target> locate(const Config& config, std::string_view vs_text, std::string_view rs_text) {
    const auto proto = protocol_prefix(vs_text);
    std::optional<std::size_t> vs;
    for (std::size_t v = 0; v < config.virtual_servers.size(); ++v) {
        const auto& c = config.virtual_servers[v];
        if (service_name(c) != vs_text || (proto && c.protocol != *proto)) continue;
        if (vs)
            return fail("virtual server '" + std::string(vs_text) +
                        "' is ambiguous: put tcp:, udp: or sctp: in front");
        vs = v;
    }
    if (!vs) return fail("no virtual server '" + std::string(vs_text) + "'");
    const auto& rss = config.virtual_servers[*vs].real_servers;
    std::optional<std::size_t> rs;
    for (std::size_t r = 0; r < rss.size(); ++r) {
        const bool full = endpoint_name(rss[r].address, rss[r].port) == rs_text;
        if (!full && rss[r].address.to_string() != rs_text) continue;
        if (full) return Target{*vs, r};
        if (rs)
            return fail("real server '" + std::string(rs_text) + "' is ambiguous in " +
                        std::string(vs_text) + ": give its port");
        rs = r;
    }
    if (!rs)
        return fail("no real server '" + std::string(rs_text) + "' in " + std::string(vs_text));
    return Target{*vs, *rs};
}

}  // namespace vigil::ipvs
