#include "http_fetch.hpp"

#include <array>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <optional>

#include "http_regex.hpp"
#include "http_response.hpp"
#include "tls_stream.hpp"

namespace vigil::checkers {

namespace {

using boost::asio::ip::tcp;

class Fetch : public Probe, public std::enable_shared_from_this<Fetch> {
  public:
    Fetch(boost::asio::io_context& io, Clock& clock, FetchRequest req, FetchDone done)
        : socket_(io),
          timer_(clock, [this] { expired(); }),
          req_(std::move(req)),
          done_(std::move(done)) {
        if (req_.digest) md5_.emplace();
        if (req_.regex) window_.emplace(req_.regex_min_offset, req_.regex_max_offset);
    }

    void start() {
        std::optional<StreamError> error;
        if (auto ec = open_socket(socket_, req_.dst, req_.options)) {
            error = StreamError{Failure::network, ec.message()};
        } else if (req_.tls) {
            if (auto s = req_.tls->client(req_.sni)) {
                tls_.emplace(socket_, std::move(*s));
            } else {
                error = StreamError{Failure::tls, std::move(s.error())};
            }
        }
        if (error) {
            boost::asio::post(socket_.get_executor(), [self = shared_from_this(), e = *error] {
                self->fail(e.failure, e.detail);
            });
            return;
        }
        timer_.arm_after(req_.timeout);
        socket_.async_connect(req_.dst,
                              [self = shared_from_this()](const boost::system::error_code& ec) {
                                  if (self->finished_) return;
                                  if (ec) return self->fail(connect_failure(ec), ec.message());
                                  self->connected_ = true;
                                  if (!self->tls_) return self->send();
                                  self->tls_->async_handshake([self](std::optional<StreamError> e) {
                                      if (self->finished_) return;
                                      if (e) return self->fail(e->failure, e->detail);
                                      self->send();
                                  });
                              });
    }

    void cancel() override {
        finished_ = true;
        done_ = nullptr;
        close();
    }

  private:
    void expired() {
        auto self = shared_from_this();
        if (connected_) {
            fail(Failure::timeout, "no complete answer within connect_timeout");
        } else {
            fail(Failure::connect_timeout, "connect timeout");
        }
    }

    void send() {
        auto sent = [self = shared_from_this()](std::optional<StreamError> e) {
            if (self->finished_) return;
            if (e) return self->fail(e->failure, e->detail);
            self->read();
        };
        if (tls_) {
            const auto* p = reinterpret_cast<const std::uint8_t*>(req_.request.data());
            return tls_->async_write({p, req_.request.size()}, std::move(sent));
        }
        boost::asio::async_write(
            socket_, boost::asio::buffer(req_.request),
            [sent](const boost::system::error_code& ec, std::size_t) {
                if (ec) return sent(StreamError{connect_failure(ec), ec.message()});
                sent(std::nullopt);
            });
    }

    // A read of 0 bytes is the end of the response (the peer closed the connection).
    void read() {
        auto got = [self = shared_from_this()](std::expected<std::size_t, StreamError> n) {
            if (self->finished_) return;
            if (!n) return self->fail(n.error().failure, n.error().detail);
            if (*n == 0) return self->complete();
            self->consume(*n);
            if (!self->finished_) self->read();
        };
        if (tls_) return tls_->async_read_some(buf_, std::move(got));
        socket_.async_read_some(
            boost::asio::buffer(buf_), [got](const boost::system::error_code& ec, std::size_t n) {
                if (n > 0 || !ec) return got(n);
                if (ec == boost::asio::error::eof) return got(std::size_t{0});
                got(std::unexpected(StreamError{connect_failure(ec), ec.message()}));
            });
    }

    void consume(std::size_t n) {
        auto body = parser_.feed(std::span<const std::uint8_t>(buf_.data(), n));
        if (md5_) md5_->update(body);
        if (window_) window_->feed(body);
        if (parser_.state() == HttpResponseParser::State::error) {
            return fail(Failure::bad_response, "response head too large");
        }
        // Bytes past Content-Length are ignored: stop reading there.
        if (parser_.state() == HttpResponseParser::State::complete) complete();
    }

    void complete() {
        if (!parser_.head_done()) return fail(Failure::bad_response, "no complete response head");
        FetchResult r;
        r.status = parser_.status_code();
        if (md5_) r.digest = md5_->finish();
        if (window_) r.regex_matched = window_->matches(*req_.regex);
        r.body_bytes = parser_.body_bytes();
        if (req_.keep_head) r.head = parser_.head();
        finish(std::move(r));
    }

    void fail(Failure f, std::string detail) {
        FetchResult r;
        r.failure = f;
        r.detail = std::move(detail);
        r.status = parser_.status_code();
        if (req_.keep_head) r.head = parser_.head();
        finish(std::move(r));
    }

    void finish(FetchResult r) {
        if (finished_) return;
        finished_ = true;
        close();
        auto done = std::move(done_);
        done(std::move(r));
    }

    void close() {
        timer_.cancel();
        boost::system::error_code ec;
        socket_.close(ec);
    }

    tcp::socket socket_;
    std::optional<TlsStream> tls_;  // SSL_GET
    Clock::Alarm timer_;
    FetchRequest req_;
    FetchDone done_;
    HttpResponseParser parser_;
    std::optional<Md5> md5_;
    std::optional<RegexWindow> window_;
    std::array<std::uint8_t, 8192> buf_;
    bool connected_ = false;
    bool finished_ = false;
};

}  // namespace

std::shared_ptr<Probe> start_fetch(boost::asio::io_context& io, Clock& clock, FetchRequest req,
                                   FetchDone done) {
    auto f = std::make_shared<Fetch>(io, clock, std::move(req), std::move(done));
    f->start();
    return f;
}

}  // namespace vigil::checkers
