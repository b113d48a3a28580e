#include "names.hpp"

#include <fmt/format.h>

#include <cctype>

#include "notify_fifo.hpp"

namespace vigil {

std::string upper(std::string_view s) {
    std::string r(s);
    for (auto& c : r) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return r;
}

std::string endpoint_text(const boost::asio::ip::address& a, std::uint16_t port) {
    return a.is_v6() ? fmt::format("[{}]:{}", a.to_string(), port)
                     : fmt::format("{}:{}", a.to_string(), port);
}

std::string service_text(const ipvs::VirtualServerConfig& vs) {
    if (!vs.group.empty()) return vs.group;
    if (vs.keys.empty()) return "?";
    const auto& k = vs.keys.front();
    if (k.fwmark) return fmt::format("FWM {}", k.fwmark);
    return k.address ? endpoint_text(*k.address, k.port) : "?";
}

std::string fifo_service(const ipvs::VirtualServerConfig& vs) {
    if (!vs.group.empty()) return fmt::format("[{}]:0", vs.group);
    if (vs.keys.empty()) return "?";
    const auto& k = vs.keys.front();
    if (k.fwmark) return fmt::format("FWM {}", k.fwmark);
    return k.address ? fifo_endpoint(*k.address, ipvs::protocol_name(vs.protocol), k.port) : "?";
}

}  // namespace vigil
