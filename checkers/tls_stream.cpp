#include "tls_stream.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "socket_options.hpp"

namespace vigil::checkers {

namespace {

StreamError tls_error(std::string detail) {
    return StreamError{Failure::tls, std::move(detail)};
}

}  // namespace

TlsStream::TlsStream(boost::asio::ip::tcp::socket& socket, std::unique_ptr<TlsSession> session)
    : socket_(socket), session_(std::move(session)), in_(16 * 1024) {}

template <class F>
void TlsStream::later(F f) {
    boost::asio::post(socket_.get_executor(), std::move(f));
}

void TlsStream::async_handshake(Done done) {
    handshake(std::make_shared<Done>(std::move(done)));
}

void TlsStream::handshake(std::shared_ptr<Done> done) {
    auto fail = [done](StreamError e) { (*done)(std::move(e)); };
    switch (session_->handshake()) {
        case TlsSession::Step::done:
            return flush([done] { (*done)(std::nullopt); }, fail);
        case TlsSession::Step::want_read:
            return flush(
                [this, done, fail] {
                    read_ciphertext([this, done] { handshake(done); },
                                    [fail] { fail(tls_error("closed during the handshake")); },
                                    fail);
                },
                fail);
        case TlsSession::Step::closed:
            return later([done] { (*done)(tls_error("closed during the handshake")); });
        case TlsSession::Step::failed:
            return later([done, e = session_->error()] { (*done)(tls_error(e)); });
    }
}

void TlsStream::async_write(std::span<const std::uint8_t> plaintext, Done done) {
    auto d = std::make_shared<Done>(std::move(done));
    if (session_->write(plaintext) == TlsSession::Step::failed)
        return later([d, e = session_->error()] { (*d)(tls_error(e)); });
    flush([d] { (*d)(std::nullopt); }, [d](StreamError e) { (*d)(std::move(e)); });
}

void TlsStream::async_read_some(std::span<std::uint8_t> out, ReadDone done) {
    read(out, std::make_shared<ReadDone>(std::move(done)));
}

void TlsStream::read(std::span<std::uint8_t> out, std::shared_ptr<ReadDone> done) {
    std::size_t n = 0;
    switch (session_->read(out, n)) {
        case TlsSession::Step::done:
            return later([done, n] { (*done)(n); });
        case TlsSession::Step::closed:
            return later([done] { (*done)(std::size_t{0}); });
        case TlsSession::Step::failed:
            return later([done, e = session_->error()] { (*done)(std::unexpected(tls_error(e))); });
        case TlsSession::Step::want_read:
            break;
    }
    auto fail = [done](StreamError e) { (*done)(std::unexpected(std::move(e))); };
    // A read may have to answer first (a TLS 1.3 key update, say).
    flush(
        [this, out, done, fail] {
            read_ciphertext([this, out, done] { read(out, done); },
                            [done] { (*done)(std::size_t{0}); }, fail);
        },
        fail);
}

void TlsStream::flush(Then then, Fail fail) {
    out_ = session_->take_output();
    if (out_.empty()) return later(std::move(then));
    boost::asio::async_write(socket_, boost::asio::buffer(out_),
                             [then = std::move(then), fail = std::move(fail)](
                                 const boost::system::error_code& ec, std::size_t) {
                                 if (ec)
                                     return fail(StreamError{connect_failure(ec), ec.message()});
                                 then();
                             });
}

void TlsStream::read_ciphertext(Then then, Then eof, Fail fail) {
    socket_.async_read_some(
        boost::asio::buffer(in_),
        [this, then = std::move(then), eof = std::move(eof), fail = std::move(fail)](
            const boost::system::error_code& ec, std::size_t n) {
            if (n > 0) session_->feed({in_.data(), n});
            if (!ec || n > 0) return then();
            if (ec == boost::asio::error::eof) return eof();
            fail(StreamError{connect_failure(ec), ec.message()});
        });
}

}  // namespace vigil::checkers
