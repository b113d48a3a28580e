// Source address, interface and firewall mark of a checker's sockets, and error mapping.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "vigil/checkers/config.hpp"
#include "vigil/checkers/pool.hpp"

namespace vigil::checkers {

struct SocketOptions {
    std::optional<Address> bind_ip;
    std::uint16_t bind_port = 0;
    std::string bind_if;
    std::uint32_t fwmark = 0;

    static SocketOptions from(const CheckConfig& cfg);
};

// Opens the socket for dst's family and applies the options (bind, SO_BINDTODEVICE, SO_MARK).
boost::system::error_code open_socket(boost::asio::ip::tcp::socket& s,
                                      const boost::asio::ip::tcp::endpoint& dst,
                                      const SocketOptions& o);
boost::system::error_code open_socket(boost::asio::ip::udp::socket& s,
                                      const boost::asio::ip::udp::endpoint& dst,
                                      const SocketOptions& o);

// The failure a connect error stands for.
Failure connect_failure(const boost::system::error_code& ec);

}  // namespace vigil::checkers
