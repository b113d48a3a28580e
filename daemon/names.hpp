// How the daemon names things to operators: in logs, notify FIFO lines, status and metrics.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "vigil/ipvs/model.hpp"

namespace vigil {

std::string upper(std::string_view s);
// "10.0.0.1:80", "[fd00::1]:80"
std::string endpoint_text(const boost::asio::ip::address& a, std::uint16_t port);
// The virtual server as status and metrics name it: its group, "FWM 1" or its endpoint.
std::string service_text(const ipvs::VirtualServerConfig& vs);
// keepalived's FMT_VS: "[group]:0", "FWM 1" or "[10.0.0.1]:tcp:80".
std::string fifo_service(const ipvs::VirtualServerConfig& vs);

}  // namespace vigil
