#include "packet.hpp"

namespace vigil::bfd {

namespace {

std::uint32_t be32(std::span<const std::uint8_t> b, std::size_t at) {
    return std::uint32_t(b[at]) << 24 | std::uint32_t(b[at + 1]) << 16 |
           std::uint32_t(b[at + 2]) << 8 | std::uint32_t(b[at + 3]);
}

void put32(std::array<std::uint8_t, kPacketSize>& b, std::size_t at, std::uint32_t v) {
    b[at] = std::uint8_t(v >> 24);
    b[at + 1] = std::uint8_t(v >> 16);
    b[at + 2] = std::uint8_t(v >> 8);
    b[at + 3] = std::uint8_t(v);
}

}  // namespace

std::string_view to_string(State s) {
    switch (s) {
        case State::admin_down:
            return "AdminDown";
        case State::down:
            return "Down";
        case State::init:
            return "Init";
        case State::up:
            return "Up";
    }
    return "?";
}

std::string_view to_string(Diag d) {
    switch (d) {
        case Diag::none:
            return "none";
        case Diag::detection_expired:
            return "control_detection_time_expired";
        case Diag::echo_failed:
            return "echo_function_failed";
        case Diag::neighbor_down:
            return "neighbor_signaled_session_down";
        case Diag::forwarding_reset:
            return "forwarding_plane_reset";
        case Diag::path_down:
            return "path_down";
        case Diag::concatenated_path_down:
            return "concatenated_path_down";
        case Diag::admin_down:
            return "administratively_down";
        case Diag::reverse_concatenated_path_down:
            return "reverse_concatenated_path_down";
    }
    return "reserved";
}

std::string_view to_string(DropReason r) {
    switch (r) {
        case DropReason::truncated:
            return "truncated";
        case DropReason::bad_version:
            return "bad_version";
        case DropReason::bad_length:
            return "bad_length";
        case DropReason::length_exceeds_payload:
            return "length_exceeds_payload";
        case DropReason::zero_multiplier:
            return "zero_multiplier";
        case DropReason::multipoint:
            return "multipoint";
        case DropReason::zero_my_discriminator:
            return "zero_my_discriminator";
        case DropReason::zero_your_discriminator:
            return "zero_your_discriminator";
        case DropReason::auth_present:
            return "auth_present";
        case DropReason::unknown_discriminator:
            return "unknown_discriminator";
        case DropReason::unknown_neighbor:
            return "unknown_neighbor";
        case DropReason::bad_ttl:
            return "bad_ttl";
        case DropReason::count_:
            break;
    }
    return "?";
}

std::expected<ControlPacket, DropReason> decode(std::span<const std::uint8_t> b) {
    // The version sits in the first byte: judge it before the size so that a short packet of
    // another version is reported as such.
    if (b.empty()) return std::unexpected(DropReason::truncated);
    ControlPacket p;
    p.version = b[0] >> 5;
    if (p.version != kVersion) return std::unexpected(DropReason::bad_version);
    if (b.size() < kPacketSize) return std::unexpected(DropReason::truncated);
    p.diag = b[0] & 0x1f;
    p.state = static_cast<State>(b[1] >> 6);
    p.poll = b[1] & 0x20;
    p.final = b[1] & 0x10;
    p.control_plane_independent = b[1] & 0x08;
    p.auth = b[1] & 0x04;
    p.demand = b[1] & 0x02;
    p.multipoint = b[1] & 0x01;
    p.detect_mult = b[2];
    p.length = b[3];
    p.my_discriminator = be32(b, 4);
    p.your_discriminator = be32(b, 8);
    p.desired_min_tx = be32(b, 12);
    p.required_min_rx = be32(b, 16);
    p.required_min_echo_rx = be32(b, 20);
    // RFC 5880 6.8.6, in its order.
    if (p.length < (p.auth ? kPacketSize + 2 : kPacketSize))
        return std::unexpected(DropReason::bad_length);
    if (p.length > b.size()) return std::unexpected(DropReason::length_exceeds_payload);
    if (p.detect_mult == 0) return std::unexpected(DropReason::zero_multiplier);
    if (p.multipoint) return std::unexpected(DropReason::multipoint);
    if (p.my_discriminator == 0) return std::unexpected(DropReason::zero_my_discriminator);
    if (p.your_discriminator == 0 && p.state != State::down && p.state != State::admin_down)
        return std::unexpected(DropReason::zero_your_discriminator);
    if (p.auth) return std::unexpected(DropReason::auth_present);
    return p;
}

std::array<std::uint8_t, kPacketSize> encode(const ControlPacket& p) {
    std::array<std::uint8_t, kPacketSize> b{};
    b[0] = std::uint8_t((p.version & 0x7) << 5 | (p.diag & 0x1f));
    b[1] = std::uint8_t(static_cast<std::uint8_t>(p.state) << 6 | (p.poll ? 0x20 : 0) |
                        (p.final ? 0x10 : 0) | (p.control_plane_independent ? 0x08 : 0) |
                        (p.auth ? 0x04 : 0) | (p.demand ? 0x02 : 0) | (p.multipoint ? 0x01 : 0));
    b[2] = p.detect_mult;
    b[3] = p.length;
    put32(b, 4, p.my_discriminator);
    put32(b, 8, p.your_discriminator);
    put32(b, 12, p.desired_min_tx);
    put32(b, 16, p.required_min_rx);
    put32(b, 20, p.required_min_echo_rx);
    return b;
}

}  // namespace vigil::bfd
