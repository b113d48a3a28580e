#include "static_network.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace vigil::vrrp {

namespace {

template <class T>
bool contains(const std::vector<T>& list, const T& x) {
    return std::find(list.begin(), list.end(), x) != list.end();
}

}  // namespace

std::vector<std::string> StaticNetwork::apply(const StaticConfig& next) {
    std::vector<std::string> errors;
    auto ok = [&](const std::expected<void, std::string>& r) {
        if (!r) errors.push_back(r.error());
        return r.has_value();
    };
    auto ifindex = [&](const std::string& dev) { return dev.empty() ? 0 : io_.ifindex_of(dev); };
    auto address = [&](const VirtualAddress& a, bool add) {
        const int index = ifindex(a.dev);
        if (index == 0) {
            errors.push_back(
                fmt::format("static address {}: no interface '{}'", a.address.to_string(), a.dev));
            return !add;  // an address on a missing interface is gone already
        }
        return ok(add ? io_.add_address(index, a) : io_.remove_address(index, a));
    };
    // What fails to go stays recorded (tried again next time); what fails to come is not.
    StaticConfig now;
    for (const auto& r : installed_.rules)
        if (!contains(next.rules, r) && !ok(io_.remove_rule(r))) now.rules.push_back(r);
    for (const auto& r : installed_.routes)
        if (!contains(next.routes, r) && !ok(io_.remove_route(ifindex(r.dev), r)))
            now.routes.push_back(r);
    for (const auto& a : installed_.addresses)
        if (!contains(next.addresses, a) && !address(a, false)) now.addresses.push_back(a);
    for (const auto& a : next.addresses)
        if (contains(installed_.addresses, a) || address(a, true)) now.addresses.push_back(a);
    for (const auto& r : next.routes)
        if (contains(installed_.routes, r) || ok(io_.add_route(ifindex(r.dev), r)))
            now.routes.push_back(r);
    for (const auto& r : next.rules)
        if (contains(installed_.rules, r) || ok(io_.add_rule(r))) now.rules.push_back(r);
    installed_ = std::move(now);
    return errors;
}

}  // namespace vigil::vrrp
