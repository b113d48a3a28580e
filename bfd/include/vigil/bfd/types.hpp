// Plain types shared by the BFD core, its shell and the daemon.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace vigil::bfd {

enum class State : std::uint8_t { admin_down = 0, down = 1, init = 2, up = 3 };
std::string_view to_string(State);

// RFC 5880 section 4.1 diagnostic codes.
enum class Diag : std::uint8_t {
    none = 0,
    detection_expired = 1,
    echo_failed = 2,
    neighbor_down = 3,
    forwarding_reset = 4,
    path_down = 5,
    concatenated_path_down = 6,
    admin_down = 7,
    reverse_concatenated_path_down = 8,
};
std::string_view to_string(Diag);

// Why a received packet changed nothing; each has a counter.
enum class DropReason : std::uint8_t {
    truncated,                // shorter than the mandatory section
    bad_version,              // version other than 1
    bad_length,               // length field below 24 (26 with authentication)
    length_exceeds_payload,   // length field above the datagram's size
    zero_multiplier,          // Detect Mult 0
    multipoint,               // M bit set
    zero_my_discriminator,    // My Discriminator 0
    zero_your_discriminator,  // Your Discriminator 0 with a state other than Down/AdminDown
    auth_present,             // A bit set: no authentication is configured
    unknown_discriminator,    // Your Discriminator names no session
    unknown_neighbor,         // no session for the source address
    bad_ttl,                  // TTL / hop limit below what the session accepts
    count_,
};
inline constexpr std::size_t kDropReasonCount = static_cast<std::size_t>(DropReason::count_);
std::string_view to_string(DropReason);

}  // namespace vigil::bfd
