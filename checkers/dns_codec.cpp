#include "dns_codec.hpp"

#include <array>
#include <utility>

namespace vigil::checkers {

std::optional<std::uint16_t> dns_type_code(std::string_view type) {
    // The query types keepalived's DNS_CHECK takes, with their RFC 1035 / IANA codes.
    static constexpr std::array<std::pair<std::string_view, std::uint16_t>, 18> types{
        {{"A", 1},
         {"NS", 2},
         {"CNAME", 5},
         {"SOA", 6},
         {"PTR", 12},
         {"HINFO", 13},
         {"MINFO", 14},
         {"MX", 15},
         {"TXT", 16},
         {"AAAA", 28},
         {"SRV", 33},
         {"NAPTR", 35},
         {"DS", 43},
         {"RRSIG", 46},
         {"NSEC", 47},
         {"DNSKEY", 48},
         {"NSEC3", 50},
         {"ANY", 255}}};
    for (auto [n, code] : types) {
        if (n.size() != type.size()) continue;
        bool eq = true;
        for (std::size_t i = 0; i < n.size(); ++i) {
            char c = type[i];
            if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
            if (c != n[i]) eq = false;
        }
        if (eq) return code;
    }
    return std::nullopt;
}

std::vector<std::uint8_t> encode_dns_query(std::uint16_t id, std::string_view name,
                                           std::uint16_t qtype) {
    std::vector<std::uint8_t> q{static_cast<std::uint8_t>(id >> 8),
                                static_cast<std::uint8_t>(id & 0xff),
                                0x01,
                                0x00,  // RD
                                0,
                                1,
                                0,
                                0,
                                0,
                                0,
                                0,
                                0};
    std::size_t total = 0;
    while (!name.empty()) {
        std::size_t dot = name.find('.');
        std::string_view label = name.substr(0, dot);
        name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
        if (label.empty()) {
            if (!name.empty()) return {};  // "a..b" or ".a"
            break;
        }
        if (label.size() > 63) return {};
        total += label.size() + 1;
        if (total > 253) return {};
        q.push_back(static_cast<std::uint8_t>(label.size()));
        q.insert(q.end(), label.begin(), label.end());
    }
    q.push_back(0);
    q.push_back(static_cast<std::uint8_t>(qtype >> 8));
    q.push_back(static_cast<std::uint8_t>(qtype & 0xff));
    q.push_back(0);
    q.push_back(1);  // IN
    return q;
}

DnsReply check_dns_reply(std::span<const std::uint8_t> reply, std::uint16_t id) {
    if (reply.size() < 12) return DnsReply::too_short;
    if (((reply[0] << 8) | reply[1]) != id) return DnsReply::wrong_id;
    if (!(reply[2] & 0x80)) return DnsReply::not_response;
    if ((reply[3] & 0x0f) != 0) return DnsReply::error_rcode;
    return DnsReply::ok;
}

}  // namespace vigil::checkers
