#include "vigil/ipvs/table.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <tuple>

namespace vigil::ipvs {

bool operator<(const ServiceId& a, const ServiceId& b) {
    auto rank = [](const ServiceId& s) {
        return std::tuple(s.fwmark != 0, s.is_ipv6(), s.fwmark, static_cast<int>(s.protocol),
                          s.port);
    };
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    if (a.address.has_value() != b.address.has_value()) return !a.address.has_value();
    return a.address && *a.address < *b.address;
}

bool same_destination(const Destination& a, const Destination& b) {
    return a.address == b.address && a.port == b.port;
}

bool destination_less(const Destination& a, const Destination& b) {
    if (a.address != b.address) return a.address < b.address;
    return a.port < b.port;
}

void normalize(Table& table) {
    std::stable_sort(table.begin(), table.end(),
                     [](const Service& a, const Service& b) { return a.id < b.id; });
    table.erase(std::unique(table.begin(), table.end(),
                            [](const Service& a, const Service& b) { return a.id == b.id; }),
                table.end());
    for (auto& s : table) {
        std::stable_sort(s.destinations.begin(), s.destinations.end(), destination_less);
        s.destinations.erase(
            std::unique(s.destinations.begin(), s.destinations.end(), same_destination),
            s.destinations.end());
    }
}

const Service* find_service(const Table& table, const ServiceId& id) {
    auto it = std::lower_bound(table.begin(), table.end(), id,
                               [](const Service& s, const ServiceId& k) { return s.id < k; });
    if (it != table.end() && it->id == id) return &*it;
    // Tables built by hand may be unsorted.
    auto lin =
        std::find_if(table.begin(), table.end(), [&](const Service& s) { return s.id == id; });
    return lin == table.end() ? nullptr : &*lin;
}

namespace {

Service bare(const Service& s) {
    Service b = s;
    b.destinations.clear();
    return b;
}

const Destination* find_dest(const Service& s, const Destination& d) {
    auto it = std::find_if(s.destinations.begin(), s.destinations.end(),
                           [&](const Destination& x) { return same_destination(x, d); });
    return it == s.destinations.end() ? nullptr : &*it;
}

}  // namespace

std::vector<Op> diff(const Table& desired, const Table& actual) {
    std::vector<Op> ops;
    for (const auto& want : desired) {
        const Service* have = find_service(actual, want.id);
        if (!have) {
            ops.push_back({OpKind::add_service, bare(want), std::nullopt});
            for (const auto& d : want.destinations)
                ops.push_back({OpKind::add_destination, bare(want), d});
            continue;
        }
        if (!want.same_settings(*have)) ops.push_back({OpKind::edit_service, bare(want), {}});
        for (const auto& d : want.destinations)
            if (!find_dest(*have, d)) ops.push_back({OpKind::add_destination, bare(want), d});
        for (const auto& d : want.destinations)
            if (const auto* h = find_dest(*have, d); h && !(*h == d))
                ops.push_back({OpKind::edit_destination, bare(want), d});
        for (const auto& d : have->destinations)
            if (!find_dest(want, d)) ops.push_back({OpKind::delete_destination, bare(want), d});
    }
    for (const auto& have : actual)
        if (!find_service(desired, have.id))
            ops.push_back({OpKind::delete_service, bare(have), std::nullopt});
    return ops;
}

std::vector<Rejection> run_ops(const std::vector<Op>& ops,
                               const std::function<Result<void>(const Op&)>& send) {
    std::vector<Rejection> out;
    std::vector<ServiceId> missing;  // services whose add was refused
    for (const auto& op : ops) {
        const bool dest_op = op.kind == OpKind::add_destination ||
                             op.kind == OpKind::edit_destination ||
                             op.kind == OpKind::delete_destination;
        if (dest_op && std::find(missing.begin(), missing.end(), op.service.id) != missing.end())
            continue;
        auto ok = send(op);
        if (ok) continue;
        if (op.kind == OpKind::add_service) missing.push_back(op.service.id);
        out.push_back({op.kind, op.service.id, op.destination, ok.error().message});
    }
    return out;
}

std::string to_string(const Rejection& r) {
    std::string what = to_string(r.kind) + " " + to_string(r.service);
    if (r.destination) {
        const auto& d = *r.destination;
        what += d.address.is_v6() ? fmt::format(" -> [{}]:{}", d.address.to_string(), d.port)
                                  : fmt::format(" -> {}:{}", d.address.to_string(), d.port);
    }
    return what + ": " + r.reason;
}

void apply_ops(Table& table, const std::vector<Op>& ops) {
    auto find = [&](const ServiceId& id) {
        return std::find_if(table.begin(), table.end(),
                            [&](const Service& s) { return s.id == id; });
    };
    for (const auto& op : ops) {
        auto it = find(op.service.id);
        switch (op.kind) {
            case OpKind::add_service:
            case OpKind::edit_service:
                if (it == table.end()) {
                    table.push_back(op.service);
                } else {
                    auto dests = std::move(it->destinations);
                    *it = op.service;
                    it->destinations = std::move(dests);
                }
                break;
            case OpKind::delete_service:
                if (it != table.end()) table.erase(it);
                break;
            case OpKind::add_destination:
            case OpKind::edit_destination:
            case OpKind::delete_destination: {
                if (it == table.end() || !op.destination) break;
                auto& ds = it->destinations;
                auto d = std::find_if(ds.begin(), ds.end(), [&](const Destination& x) {
                    return same_destination(x, *op.destination);
                });
                if (op.kind == OpKind::delete_destination) {
                    if (d != ds.end()) ds.erase(d);
                } else if (d == ds.end()) {
                    ds.push_back(*op.destination);
                } else {
                    *d = *op.destination;
                }
                break;
            }
        }
    }
    normalize(table);
}

std::string to_string(const ServiceId& id) {
    static constexpr const char* protos[] = {"TCP", "UDP", "SCTP"};
    const char* proto = protos[static_cast<int>(id.protocol)];
    if (id.fwmark) return fmt::format("FWM {}{}", id.fwmark, id.ipv6 ? " IPv6" : "");
    if (!id.address) return fmt::format("{} ?:{}", proto, id.port);
    if (id.address->is_v6())
        return fmt::format("{} [{}]:{}", proto, id.address->to_string(), id.port);
    return fmt::format("{} {}:{}", proto, id.address->to_string(), id.port);
}

std::string to_string(OpKind kind) {
    switch (kind) {
        case OpKind::add_service:
            return "add service";
        case OpKind::edit_service:
            return "edit service";
        case OpKind::delete_service:
            return "delete service";
        case OpKind::add_destination:
            return "add destination";
        case OpKind::edit_destination:
            return "edit destination";
        case OpKind::delete_destination:
            return "delete destination";
    }
    return "?";
}

}  // namespace vigil::ipvs
