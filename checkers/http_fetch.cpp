#include "http_fetch.hpp"

#include <openssl/ssl.h>

#include <array>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <optional>
#include <type_traits>

#include "http_regex.hpp"
#include "http_response.hpp"

namespace vigil::checkers {

namespace {

using boost::asio::ip::tcp;
namespace ssl = boost::asio::ssl;

template <bool Tls>
class Fetch : public Probe, public std::enable_shared_from_this<Fetch<Tls>> {
    using Stream = std::conditional_t<Tls, ssl::stream<tcp::socket>, tcp::socket>;

  public:
    Fetch(boost::asio::io_context& io, Clock& clock, FetchRequest req, FetchDone done)
        : stream_(make_stream(io, req)),
          timer_(clock, [this] { expired(); }),
          req_(std::move(req)),
          done_(std::move(done)) {
        if (req_.digest) md5_.emplace();
        if (req_.regex) window_.emplace(req_.regex_min_offset, req_.regex_max_offset);
    }

    void start() {
        if (auto ec = open_socket(socket(), req_.dst, req_.options)) {
            boost::asio::post(socket().get_executor(), [self = this->shared_from_this(), ec] {
                self->fail(Failure::network, ec.message());
            });
            return;
        }
        if constexpr (Tls) {
            if (!req_.sni.empty())
                SSL_set_tlsext_host_name(stream_.native_handle(), req_.sni.c_str());
        }
        timer_.arm_after(req_.timeout);
        socket().async_connect(
            req_.dst, [self = this->shared_from_this()](const boost::system::error_code& ec) {
                if (self->finished_) return;
                if (ec) return self->fail(connect_failure(ec), ec.message());
                self->connected_ = true;
                if constexpr (Tls) {
                    self->stream_.async_handshake(
                        ssl::stream_base::client, [self](const boost::system::error_code& ec) {
                            if (self->finished_) return;
                            if (ec) return self->fail(Failure::tls, ec.message());
                            self->send();
                        });
                } else {
                    self->send();
                }
            });
    }

    void cancel() override {
        finished_ = true;
        done_ = nullptr;
        close();
    }

  private:
    static Stream make_stream(boost::asio::io_context& io, const FetchRequest& req) {
        if constexpr (Tls) {
            return Stream(io, *req.tls);
        } else {
            (void)req;
            return Stream(io);
        }
    }

    tcp::socket& socket() {
        if constexpr (Tls) {
            return stream_.next_layer();
        } else {
            return stream_;
        }
    }

    void expired() {
        auto self = this->shared_from_this();
        if (connected_) {
            fail(Failure::timeout, "no complete answer within connect_timeout");
        } else {
            fail(Failure::connect_timeout, "connect timeout");
        }
    }

    void send() {
        boost::asio::async_write(
            stream_, boost::asio::buffer(req_.request),
            [self = this->shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                if (self->finished_) return;
                if (ec) return self->fail(read_failure(ec), ec.message());
                self->read();
            });
    }

    void read() {
        stream_.async_read_some(
            boost::asio::buffer(buf_),
            [self = this->shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                if (self->finished_) return;
                if (n > 0) self->consume(n);
                if (self->finished_) return;
                if (!ec) return self->read();
                if (ec == boost::asio::error::eof || ec == ssl::error::stream_truncated) {
                    return self->complete();
                }
                self->fail(read_failure(ec), ec.message());
            });
    }

    static Failure read_failure(const boost::system::error_code& ec) {
        if (ec.category() == boost::asio::error::get_ssl_category() ||
            ec == ssl::error::stream_truncated) {
            return Failure::tls;
        }
        return connect_failure(ec);
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
        socket().close(ec);
    }

    Stream stream_;
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
    if (req.tls) {
        auto f = std::make_shared<Fetch<true>>(io, clock, std::move(req), std::move(done));
        f->start();
        return f;
    }
    auto f = std::make_shared<Fetch<false>>(io, clock, std::move(req), std::move(done));
    f->start();
    return f;
}

}  // namespace vigil::checkers
