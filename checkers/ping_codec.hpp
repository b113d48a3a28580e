// ICMP / ICMPv6 echo for PING_CHECK, without sockets.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace vigil::checkers {

// An echo request: type 8 (ICMP) or 128 (ICMPv6), code 0, id, sequence, payload. The ICMP
// checksum is set (the kernel sets it for ICMPv6 and for ping sockets anyway).
std::vector<std::uint8_t> build_echo_request(bool v6, std::uint16_t id, std::uint16_t seq,
                                             std::span<const std::uint8_t> payload);

enum class EchoMatch { reply, other };

// A datagram read from an ICMP socket. with_ip_header: IPv4 raw sockets deliver the IP header.
// check_id: raw sockets see every echo reply; ping sockets get only theirs, with the id the
// kernel chose. A reply must carry our sequence and payload.
EchoMatch match_echo_reply(std::span<const std::uint8_t> packet, bool v6, bool with_ip_header,
                           bool check_id, std::uint16_t id, std::uint16_t seq,
                           std::span<const std::uint8_t> payload);

// RFC 1071 one's complement sum.
std::uint16_t internet_checksum(std::span<const std::uint8_t> data);

}  // namespace vigil::checkers
