#include "vigil/ipvs/dump.hpp"

#include <linux/ip_vs.h>

#include <fmt/format.h>

namespace vigil::ipvs {

namespace {

std::string endpoint(const Address& a, std::uint16_t port) {
    return a.is_v6() ? fmt::format("[{}]:{}", a.to_string(), port)
                     : fmt::format("{}:{}", a.to_string(), port);
}

std::string service_key(const ServiceId& id) {
    if (id.fwmark) return fmt::format("-f {}", id.fwmark);
    const char* opt = id.protocol == Protocol::udp    ? "-u"
                      : id.protocol == Protocol::sctp ? "--sctp-service"
                                                      : "-t";
    return fmt::format("{} {}", opt, endpoint(*id.address, id.port));
}

std::string sched_flags(std::uint32_t flags, const std::string& sched) {
    std::string out;
    auto add = [&](std::string_view f) {
        if (!out.empty()) out += ',';
        out += f;
    };
    const bool hash = sched == "sh" || sched == "mh";
    if (flags & IP_VS_SVC_F_SCHED1) add(hash ? sched + "-fallback" : "flag-1");
    if (flags & IP_VS_SVC_F_SCHED2) add(hash ? sched + "-port" : "flag-2");
    if (flags & IP_VS_SVC_F_SCHED3) add("flag-3");
    return out;
}

std::string netmask_text(const Service& s) {
    if (s.id.is_ipv6()) return std::to_string(s.prefix);
    const std::uint32_t m = s.prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - std::min(s.prefix, 32u));
    return boost::asio::ip::address_v4(m).to_string();
}

}  // namespace

std::string dump_ipvsadm(const Table& table) {
    std::string out;
    for (const auto& s : table) {
        if (!s.id.fwmark && !s.id.address) continue;
        const std::string key = service_key(s.id);
        out += fmt::format("-A {} -s {}", key, s.scheduler);
        if (auto f = sched_flags(s.flags, s.scheduler); !f.empty()) out += " -b " + f;
        if (s.flags & IP_VS_SVC_F_PERSISTENT) {
            out += fmt::format(" -p {}", s.timeout);
            if (s.prefix != (s.id.is_ipv6() ? 128u : 32u)) out += " -M " + netmask_text(s);
        }
        if (s.flags & IP_VS_SVC_F_ONEPACKET) out += " -o";
        if (s.id.fwmark && s.id.ipv6) out += " -6";
        out += '\n';
        for (const auto& d : s.destinations) {
            const char* fwd = d.forwarding == Forwarding::dr    ? "-g"
                              : d.forwarding == Forwarding::tun ? "-i"
                                                                : "-m";
            out += fmt::format("-a {} -r {} {} -w {}", key, endpoint(d.address, d.port), fwd,
                               d.weight);
            if (d.upper_threshold) out += fmt::format(" -x {}", d.upper_threshold);
            if (d.lower_threshold) out += fmt::format(" -y {}", d.lower_threshold);
            out += '\n';
        }
    }
    return out;
}

}  // namespace vigil::ipvs
