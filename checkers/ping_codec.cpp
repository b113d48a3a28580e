#include "ping_codec.hpp"

#include <algorithm>

namespace vigil::checkers {

std::uint16_t internet_checksum(std::span<const std::uint8_t> data) {
    std::uint32_t sum = 0;
    std::size_t i = 0;
    for (; i + 1 < data.size(); i += 2)
        sum += static_cast<std::uint32_t>(data[i] << 8 | data[i + 1]);
    if (i < data.size()) sum += static_cast<std::uint32_t>(data[i] << 8);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

std::vector<std::uint8_t> build_echo_request(bool v6, std::uint16_t id, std::uint16_t seq,
                                             std::span<const std::uint8_t> payload) {
    std::vector<std::uint8_t> p(8 + payload.size());
    p[0] = v6 ? 128 : 8;
    p[4] = static_cast<std::uint8_t>(id >> 8);
    p[5] = static_cast<std::uint8_t>(id);
    p[6] = static_cast<std::uint8_t>(seq >> 8);
    p[7] = static_cast<std::uint8_t>(seq);
    std::copy(payload.begin(), payload.end(), p.begin() + 8);
    if (!v6) {
        std::uint16_t c = internet_checksum(p);
        p[2] = static_cast<std::uint8_t>(c >> 8);
        p[3] = static_cast<std::uint8_t>(c);
    }
    return p;
}

EchoMatch match_echo_reply(std::span<const std::uint8_t> packet, bool v6, bool with_ip_header,
                           bool check_id, std::uint16_t id, std::uint16_t seq,
                           std::span<const std::uint8_t> payload) {
    if (with_ip_header) {
        if (packet.empty() || (packet[0] >> 4) != 4) return EchoMatch::other;
        std::size_t ihl = static_cast<std::size_t>(packet[0] & 0x0f) * 4;
        if (ihl < 20 || packet.size() < ihl) return EchoMatch::other;
        packet = packet.subspan(ihl);
    }
    if (packet.size() < 8 + payload.size()) return EchoMatch::other;
    if (packet[0] != (v6 ? 129 : 0) || packet[1] != 0) return EchoMatch::other;
    std::uint16_t rid = static_cast<std::uint16_t>(packet[4] << 8 | packet[5]);
    std::uint16_t rseq = static_cast<std::uint16_t>(packet[6] << 8 | packet[7]);
    if ((check_id && rid != id) || rseq != seq) return EchoMatch::other;
    if (!std::equal(payload.begin(), payload.end(), packet.begin() + 8)) return EchoMatch::other;
    return EchoMatch::reply;
}

}  // namespace vigil::checkers
