#include "datagram.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

namespace vigil::checkers {

DatagramExchange::DatagramExchange(boost::asio::io_context& io, Clock& clock, DatagramDone done)
    : sock_(io),
      timer_(clock,
             [this] {
                 auto self = shared_from_this();
                 finish(boost::asio::error::timed_out, {});
             }),
      done_(std::move(done)) {}

void DatagramExchange::start(const boost::asio::ip::udp::endpoint& dst, const SocketOptions& opts,
                             std::vector<std::uint8_t> query, Duration timeout) {
    query_ = std::move(query);
    boost::system::error_code ec = open_socket(sock_, dst, opts);
    if (!ec) sock_.connect(dst, ec);
    if (!ec) sock_.send(boost::asio::buffer(query_), 0, ec);
    if (ec) {
        boost::asio::post(sock_.get_executor(),
                          [self = shared_from_this(), ec] { self->finish(ec, {}); });
        return;
    }
    timer_.arm_after(timeout);
    sock_.async_receive(
        boost::asio::buffer(buf_),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
            if (self->finished_) return;
            self->finish(ec, std::span<const std::uint8_t>(self->buf_.data(), ec ? 0 : n));
        });
}

void DatagramExchange::cancel() {
    finished_ = true;
    done_ = nullptr;
    timer_.cancel();
    boost::system::error_code ec;
    sock_.close(ec);
}

void DatagramExchange::finish(const boost::system::error_code& ec,
                              std::span<const std::uint8_t> bytes) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    auto done = std::move(done_);
    done(ec, bytes);  // bytes live in buf_ until the socket closes below
    boost::system::error_code ignored;
    sock_.close(ignored);
}

}  // namespace vigil::checkers
