#include "udp_reply.hpp"

#include <algorithm>

namespace vigil::checkers {

std::optional<std::string> udp_reply_error(const UdpCheck& udp,
                                           std::span<const std::uint8_t> reply) {
    if (reply.size() < udp.min_reply_length || reply.size() > udp.max_reply_length) {
        return "UDP reply of " + std::to_string(reply.size()) + " bytes";
    }
    std::size_t n = std::min(reply.size(), udp.reply_data.size());
    for (std::size_t i = 0; i < n; ++i) {
        std::uint8_t ignore = i < udp.reply_mask.size() ? udp.reply_mask[i] : 0;
        if ((reply[i] ^ udp.reply_data[i]) & static_cast<std::uint8_t>(~ignore)) {
            return "UDP reply differs at byte " + std::to_string(i);
        }
    }
    return std::nullopt;
}

}  // namespace vigil::checkers
