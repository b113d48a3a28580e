#include "vigil/ipvs/live.hpp"

#include <charconv>

#include "vigil/ipvs/model.hpp"

namespace vigil::ipvs {

std::string conntrack_key(Protocol p, const Address& vip, std::uint16_t vport, const Address& rs,
                          std::uint16_t rport) {
    return protocol_name(p) + " " + endpoint_name(vip, vport) + " " + endpoint_name(rs, rport);
}

namespace {

std::string_view value(std::string_view field, std::string_view key) {
    return field.starts_with(key) ? field.substr(key.size()) : std::string_view{};
}

}  // namespace

std::map<std::string, ConntrackCount> count_conntrack(std::string_view text) {
    std::map<std::string, ConntrackCount> out;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        // ipv4 2 tcp 6 431999 ESTABLISHED src= dst= sport= dport= src= dst= sport= dport= ...
        std::vector<std::string_view> f;
        for (std::size_t i = 0; i < line.size();) {
            while (i < line.size() && line[i] == ' ') ++i;
            const auto j = line.find(' ', i);
            if (i < line.size())
                f.push_back(line.substr(i, j == std::string_view::npos ? j : j - i));
            if (j == std::string_view::npos) break;
            i = j;
        }
        if (f.size() < 6) continue;
        Protocol proto;
        if (f[2] == "tcp")
            proto = Protocol::tcp;
        else if (f[2] == "udp")
            proto = Protocol::udp;
        else if (f[2] == "sctp")
            proto = Protocol::sctp;
        else
            continue;
        std::string_view state;
        std::vector<std::string_view> src, dst, sport, dport;
        for (std::size_t i = 5; i < f.size(); ++i) {
            if (auto v = value(f[i], "src="); !v.empty())
                src.push_back(v);
            else if (auto v2 = value(f[i], "dst="); !v2.empty())
                dst.push_back(v2);
            else if (auto v3 = value(f[i], "sport="); !v3.empty())
                sport.push_back(v3);
            else if (auto v4 = value(f[i], "dport="); !v4.empty())
                dport.push_back(v4);
            else if (proto == Protocol::tcp && state.empty() &&
                     f[i].find('=') == std::string_view::npos && f[i].front() != '[')
                state = f[i];
        }
        // Original direction: client -> VIP; reply: real server -> client.
        if (src.size() < 2 || dst.size() < 1 || sport.size() < 2 || dport.size() < 1) continue;
        boost::system::error_code ec1, ec2;
        const auto vip = boost::asio::ip::make_address(std::string(dst[0]), ec1);
        const auto rs = boost::asio::ip::make_address(std::string(src[1]), ec2);
        unsigned vport = 0, rport = 0;
        std::from_chars(dport[0].data(), dport[0].data() + dport[0].size(), vport);
        std::from_chars(sport[1].data(), sport[1].data() + sport[1].size(), rport);
        if (ec1 || ec2 || vport > 65535 || rport > 65535) continue;
        auto& c = out[conntrack_key(proto, vip, std::uint16_t(vport), rs, std::uint16_t(rport))];
        if (proto != Protocol::tcp || state == "ESTABLISHED")
            ++c.active;
        else
            ++c.inactive;
    }
    return out;
}

}  // namespace vigil::ipvs
