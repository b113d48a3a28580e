#include "check_bindings.hpp"

#include <fmt/format.h>

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

std::string check_identity(const config::Config& c, const config::CheckBinding& b,
                           std::size_t nth) {
    const auto& vs = c.lvs.virtual_servers.at(b.virtual_server);
    std::string rs = b.real_server < vs.real_servers.size()
                         ? endpoint_text(vs.real_servers[b.real_server].address,
                                         vs.real_servers[b.real_server].port)
                         : "sorry";
    return fmt::format("{}|{}|{}|{}", service_text(vs), rs, nth, b.check.kind.index());
}

std::string check_label(const config::Config& c, const config::CheckBinding& b) {
    const auto& vs = c.lvs.virtual_servers.at(b.virtual_server);
    const std::string proto = ipvs::protocol_name(vs.protocol);
    std::string rs = b.real_server < vs.real_servers.size()
                         ? fifo_endpoint(vs.real_servers[b.real_server].address, proto,
                                         vs.real_servers[b.real_server].port)
                         : "the sorry server";
    return fmt::format("{} on {} of VS {}", checkers::kind_name(b.check.kind), rs,
                       fifo_service(vs));
}

void CheckBindings::bind(const config::Config& c, checkers::Pool& pool) {
    std::map<std::string, std::size_t> old;
    for (const auto& [id, b] : by_id_) old[b.identity] = id;
    by_id_.clear();
    of_.clear();
    std::map<Key, std::size_t> nth;
    for (const auto& b : c.checks) {
        const std::size_t n = nth[{b.virtual_server, b.real_server}]++;
        std::string ident = check_identity(c, b, n);
        std::size_t id;
        if (auto it = old.find(ident); it != old.end() && pool.update(it->second, b.check)) {
            id = it->second;
            old.erase(it);
        } else {
            id = pool.add(b.check);
        }
        by_id_[id] = {b.virtual_server, b.real_server, std::move(ident), check_label(c, b)};
        of_[{b.virtual_server, b.real_server}].push_back(id);
    }
    for (const auto& [ident, id] : old) pool.remove(id);
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
