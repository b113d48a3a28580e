// BFD Control packet codec (RFC 5880 section 4.1) and the receive checks of section 6.8.6
// that need no session. Pure functions over byte spans.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>

#include "vigil/bfd/types.hpp"

namespace vigil::bfd {

inline constexpr std::size_t kPacketSize = 24;  // without an authentication section
inline constexpr std::uint8_t kVersion = 1;

struct ControlPacket {
    std::uint8_t version = kVersion;
    std::uint8_t diag = 0;  // raw: codes 9..31 are reserved but carried
    State state = State::down;
    bool poll = false;
    bool final = false;
    bool control_plane_independent = false;
    bool auth = false;
    bool demand = false;
    bool multipoint = false;
    std::uint8_t detect_mult = 0;
    std::uint8_t length = kPacketSize;
    std::uint32_t my_discriminator = 0;
    std::uint32_t your_discriminator = 0;
    std::uint32_t desired_min_tx = 0;  // microseconds
    std::uint32_t required_min_rx = 0;
    std::uint32_t required_min_echo_rx = 0;
    bool operator==(const ControlPacket&) const = default;
};

// Decodes and applies every check that needs no session state.
std::expected<ControlPacket, DropReason> decode(std::span<const std::uint8_t> datagram);

// The 24-byte packet (auth and length as given; length is not recomputed).
std::array<std::uint8_t, kPacketSize> encode(const ControlPacket& p);

}  // namespace vigil::bfd
