#include "socket_options.hpp"

#include <sys/socket.h>

#include <boost/asio/error.hpp>

namespace vigil::checkers {

SocketOptions SocketOptions::from(const CheckConfig& cfg) {
    return SocketOptions{cfg.bind_to, cfg.bind_port.value_or(0), cfg.bind_if, cfg.fwmark};
}

namespace {

template <class Socket, class Endpoint>
boost::system::error_code open_impl(Socket& s, const Endpoint& dst, const SocketOptions& o) {
    boost::system::error_code ec;
    s.open(dst.protocol(), ec);
    if (ec) return ec;
    int fd = s.native_handle();
    if (!o.bind_if.empty() && ::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o.bind_if.c_str(),
                                           static_cast<socklen_t>(o.bind_if.size())) != 0) {
        return {errno, boost::system::system_category()};
    }
    if (o.fwmark != 0 && ::setsockopt(fd, SOL_SOCKET, SO_MARK, &o.fwmark, sizeof o.fwmark) != 0) {
        return {errno, boost::system::system_category()};
    }
    if (o.bind_ip || o.bind_port != 0) {
        if (o.bind_port != 0) s.set_option(typename Socket::reuse_address(true), ec);
        Address ip = o.bind_ip ? *o.bind_ip
                               : (dst.address().is_v6() ? Address(boost::asio::ip::address_v6())
                                                        : Address(boost::asio::ip::address_v4()));
        s.bind(Endpoint(ip, o.bind_port), ec);
        if (ec) return ec;
    }
    s.non_blocking(true, ec);
    return ec;
}

}  // namespace

boost::system::error_code open_socket(boost::asio::ip::tcp::socket& s,
                                      const boost::asio::ip::tcp::endpoint& dst,
                                      const SocketOptions& o) {
    return open_impl(s, dst, o);
}

boost::system::error_code open_socket(boost::asio::ip::udp::socket& s,
                                      const boost::asio::ip::udp::endpoint& dst,
                                      const SocketOptions& o) {
    return open_impl(s, dst, o);
}

Failure connect_failure(const boost::system::error_code& ec) {
    namespace e = boost::asio::error;
    if (ec == e::connection_refused || ec == e::connection_reset) return Failure::refused;
    if (ec == e::timed_out) return Failure::connect_timeout;
    return Failure::network;
}

}  // namespace vigil::checkers
