#include "check_bindings.hpp"

#include <fmt/format.h>

#include <limits>
#include <unordered_map>

#include <vigil/checkers/pool.hpp>

#include "names.hpp"
#include "notify_fifo.hpp"

namespace vigil {

bool all_checks_up(std::span<const std::size_t> ids,
                   const std::function<std::optional<bool>(std::size_t)>& up) {
    for (auto id : ids) {
        const auto u = up(id);
        if (!u || !*u) return false;
    }
    return true;
}

std::string check_identity(const CheckSource& c, std::size_t v, std::size_t r, std::size_t nth,
                           std::size_t kind, std::string_view service) {
    const auto& vs = c.lvs.virtual_servers.at(v);
    std::string rs = r < vs.real_servers.size()
                         ? endpoint_text(vs.real_servers[r].address, vs.real_servers[r].port)
                         : "sorry";
    return fmt::format("{}|{}|{}|{}", service, rs, nth, kind);
}

bool same_identity(const CheckSource& ac, const config::CheckBinding& a, const CheckSource& bc,
                   const config::CheckBinding& b) {
    if (a.check.kind.index() != b.check.kind.index()) return false;
    const auto& avs = ac.lvs.virtual_servers.at(a.virtual_server);
    const auto& bvs = bc.lvs.virtual_servers.at(b.virtual_server);
    const bool a_sorry = a.real_server >= avs.real_servers.size();
    const bool b_sorry = b.real_server >= bvs.real_servers.size();
    if (a_sorry != b_sorry) return false;
    if (!a_sorry) {
        const auto& ars = avs.real_servers[a.real_server];
        const auto& brs = bvs.real_servers[b.real_server];
        if (ars.address != brs.address || ars.port != brs.port) return false;
    }
    if (!avs.group.empty() || !bvs.group.empty()) return avs.group == bvs.group;
    if (avs.keys.empty() || bvs.keys.empty()) return avs.keys.empty() == bvs.keys.empty();
    const auto& ak = avs.keys.front();
    const auto& bk = bvs.keys.front();
    if (ak.fwmark || bk.fwmark) return ak.fwmark == bk.fwmark;
    return ak.address == bk.address && (!ak.address || ak.port == bk.port);
}

std::shared_ptr<const checkers::CheckConfig> CheckSource::settings(std::size_t i) const {
    if (owner) return {owner, &checks[i].check};  // shares the owner's life
    return std::make_shared<const checkers::CheckConfig>(checks[i].check);
}

std::string CheckBindings::label(const CheckSource& c, std::size_t id) const {
    const auto* b = find(id);
    if (!b || b->vs >= c.lvs.virtual_servers.size()) return "check " + std::to_string(id);
    const auto& vs = c.lvs.virtual_servers[b->vs];
    const std::string_view kind =
        b->index < c.checks.size() ? checkers::kind_name(c.checks[b->index].check.kind) : "check";
    const std::string proto = ipvs::protocol_name(vs.protocol);
    const std::string rs =
        b->rs < vs.real_servers.size()
            ? fifo_endpoint(vs.real_servers[b->rs].address, proto, vs.real_servers[b->rs].port)
            : "the sorry server";
    return fmt::format("{} on {} of VS {}", kind, rs, fifo_service(vs));
}

void CheckBindings::bind(const CheckSource& c, checkers::Pool& pool,
                         const std::optional<CheckSource>& previous) {
    // A reload mostly keeps the checks in their order: the longest such prefix keeps its ids
    // without building identities to look up.
    std::size_t kept = 0;
    const bool in_order = previous && previous->checks.size() == in_order_.size() &&
                          by_id_.size() == in_order_.size();
    if (in_order)
        while (kept < c.checks.size() && kept < in_order_.size() &&
               same_identity(*previous, previous->checks[kept], c, c.checks[kept]))
            ++kept;
    if (in_order && kept == c.checks.size() && kept == in_order_.size() && keep_all(c, pool))
        return;
    const auto identity = [](const CheckSource& cc, const Binding& b) {
        return check_identity(cc, b.vs, b.rs, b.nth, b.kind,
                              service_text(cc.lvs.virtual_servers.at(b.vs)));
    };
    std::unordered_map<std::string, std::size_t> old;
    if (in_order) {
        old.reserve(in_order_.size() - kept);
        for (std::size_t i = kept; i < in_order_.size(); ++i)
            old.insert_or_assign(identity(*previous, by_id_.at(in_order_[i])), in_order_[i]);
    } else if (previous) {
        for (const auto& [id, b] : by_id_) old.insert_or_assign(identity(*previous, b), id);
    } else {
        for (const auto& [id, b] : by_id_) pool.remove(id);  // nothing to match them against
    }
    by_id_.clear();
    of_.clear();
    std::vector<std::size_t> ids_in_order;
    ids_in_order.reserve(c.checks.size());
    // Checks come grouped by virtual server: its name is made once.
    std::size_t named = std::numeric_limits<std::size_t>::max();
    std::string service;
    for (std::size_t i = 0; i < c.checks.size(); ++i) {
        const auto& b = c.checks[i];
        const Key key{b.virtual_server, b.real_server};
        // In file order the keys only grow: most inserts go at the end, in constant time.
        auto slot = of_.empty() || std::prev(of_.end())->first < key
                        ? of_.emplace_hint(of_.end(), key, std::vector<std::size_t>{})
                        : of_.try_emplace(key).first;
        auto& ids = slot->second;
        const Binding bound{b.virtual_server, b.real_server, ids.size(), b.check.kind.index(), i};
        std::optional<std::size_t> id;
        if (i < kept && pool.update(in_order_[i], c.settings(i))) id = in_order_[i];
        if (!id && !old.empty()) {
            if (b.virtual_server != named) {
                service = service_text(c.lvs.virtual_servers.at(b.virtual_server));
                named = b.virtual_server;
            }
            auto it =
                old.find(check_identity(c, bound.vs, bound.rs, bound.nth, bound.kind, service));
            if (it != old.end() && pool.update(it->second, c.settings(i))) {
                id = it->second;
                old.erase(it);
            }
        }
        if (!id) id = pool.add(c.settings(i));
        by_id_.insert_or_assign(by_id_.empty() || std::prev(by_id_.end())->first < *id
                                    ? by_id_.end()
                                    : by_id_.lower_bound(*id),
                                *id, bound);
        ids.push_back(*id);
        ids_in_order.push_back(*id);
    }
    for (const auto& [ident, id] : old) pool.remove(id);
    in_order_ = std::move(ids_in_order);
}

// Every check where it was, at the same indices (the usual reload: a weight or a timeout
// changed): the maps stay, each checker takes its new settings.
bool CheckBindings::keep_all(const CheckSource& c, checkers::Pool& pool) {
    for (std::size_t i = 0; i < c.checks.size(); ++i) {
        const auto& b = by_id_.at(in_order_[i]);
        if (b.vs != c.checks[i].virtual_server || b.rs != c.checks[i].real_server || b.index != i)
            return false;
    }
    for (std::size_t i = 0; i < c.checks.size(); ++i)
        if (!pool.update(in_order_[i], c.settings(i))) return false;
    return true;
}

const CheckBindings::Binding* CheckBindings::find(std::size_t id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &it->second;
}

std::span<const std::size_t> CheckBindings::ids_of(Key k) const {
    auto it = of_.find(k);
    if (it == of_.end()) return {};
    return it->second;
}

std::vector<CheckBindings::Key> CheckBindings::keys() const {
    std::vector<Key> out;
    out.reserve(of_.size());
    for (const auto& [k, ids] : of_) out.push_back(k);
    return out;
}

std::optional<int> CheckBindings::weight(Key k) const {
    auto it = weight_.find(k);
    return it == weight_.end() ? std::nullopt : it->second;
}

}  // namespace vigil
