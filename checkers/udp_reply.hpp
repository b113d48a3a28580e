// UDP_CHECK reply verdict, without sockets.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "vigil/checkers/config.hpp"

namespace vigil::checkers {

// nullopt when the reply is accepted, else why not: its length outside
// [min_reply_length, max_reply_length], or a difference from reply_data over the shorter of the
// two (bits set in reply_mask ignored).
std::optional<std::string> udp_reply_error(const UdpCheck& udp,
                                           std::span<const std::uint8_t> reply);

}  // namespace vigil::checkers
