// A query/answer exchange over a connected UDP socket within a timeout (DNS_CHECK, UDP_CHECK).
#pragma once

#include <array>
#include <boost/asio/ip/udp.hpp>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "probe.hpp"
#include "socket_options.hpp"

namespace vigil::checkers {

// Receives the first answer (or an error, e.g. connection_refused from an ICMP unreachable),
// or times out: on_answer(error, bytes) or on_answer(timed_out, {}).
using DatagramDone =
    std::function<void(const boost::system::error_code&, std::span<const std::uint8_t>)>;

class DatagramExchange : public Probe, public std::enable_shared_from_this<DatagramExchange> {
  public:
    DatagramExchange(boost::asio::io_context& io, Clock& clock, DatagramDone done);
    void start(const boost::asio::ip::udp::endpoint& dst, const SocketOptions& opts,
               std::vector<std::uint8_t> query, Duration timeout);
    void cancel() override;

  private:
    void finish(const boost::system::error_code& ec, std::span<const std::uint8_t> bytes);

    boost::asio::ip::udp::socket sock_;
    Clock::Alarm timer_;
    DatagramDone done_;
    std::vector<std::uint8_t> query_;
    std::array<std::uint8_t, 4096> buf_;
    bool finished_ = false;
};

}  // namespace vigil::checkers
