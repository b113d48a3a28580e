// UDP sockets of RFC 5881: one receiving socket per family on port 3784 that
// reports each datagram with its TTL / hop limit, and one sending socket per session bound to
// a source port in 49152-65535 with the configured TTL.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "vigil/bfd/config.hpp"

namespace vigil::bfd {

struct Datagram {
    std::span<const std::uint8_t> bytes;
    Address source;
    int ttl = -1;  // -1: the kernel did not say
};

class RxSocket {
  public:
    using Handler = std::function<void(const Datagram&)>;
    static std::expected<std::unique_ptr<RxSocket>, std::string> open(boost::asio::io_context& io,
                                                                      bool ipv6, std::uint16_t port,
                                                                      Handler handler);
    RxSocket(boost::asio::ip::udp::socket s, Handler h);  // use open()
    ~RxSocket();
    RxSocket(const RxSocket&) = delete;
    RxSocket& operator=(const RxSocket&) = delete;

  private:
    void wait();
    void drain();

    boost::asio::ip::udp::socket socket_;
    Handler handler_;
    std::array<std::uint8_t, 2048> buffer_{};
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

class TxSocket {
  public:
    static std::expected<TxSocket, std::string> open(boost::asio::io_context& io,
                                                     const Address& neighbor,
                                                     const std::optional<Address>& source,
                                                     std::uint8_t ttl, std::uint64_t seed);
    std::expected<void, std::string> send(std::span<const std::uint8_t> bytes, const Address& to,
                                          std::uint16_t port);
    std::uint16_t local_port() const { return port_; }

  private:
    TxSocket(boost::asio::ip::udp::socket s, std::uint16_t port)
        : socket_(std::move(s)), port_(port) {}
    boost::asio::ip::udp::socket socket_;
    std::uint16_t port_ = 0;
};

}  // namespace vigil::bfd
