#pragma once

#include <array>
#include <cstdint>

namespace vigil::vrrp {

// An Ethernet address, as the kernel and the wire carry it.
using MacAddress = std::array<std::uint8_t, 6>;

}  // namespace vigil::vrrp
