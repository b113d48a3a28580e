// A TLS client stream over a connected socket, run on the socket's io_context: the session
// (tls.hpp) turns plaintext into ciphertext and back, this sends and receives it. Every
// callback is called once, never from within the call that started it, and while it is
// pending the caller keeps the stream and the socket alive (e.g. the callback holds their
// owner); closing the socket ends a pending operation with an error.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tls.hpp"
#include "vigil/checkers/pool.hpp"

namespace vigil::checkers {

// Why a stream operation failed: Failure::tls for TLS, connect_failure() of a socket error.
struct StreamError {
    Failure failure = Failure::tls;
    std::string detail;
};

class TlsStream {
  public:
    using Done = std::function<void(std::optional<StreamError>)>;
    // The count of plaintext bytes read; 0 at the end of the stream (close_notify, or the
    // connection closed without one, which ends an HTTP/1.0 body as over plain TCP).
    using ReadDone = std::function<void(std::expected<std::size_t, StreamError>)>;

    TlsStream(boost::asio::ip::tcp::socket& socket, std::unique_ptr<TlsSession> session);

    void async_handshake(Done done);
    // Sends all of `plaintext`, which is copied into the session at once.
    void async_write(std::span<const std::uint8_t> plaintext, Done done);
    // Reads into `out`, which stays valid until `done`.
    void async_read_some(std::span<std::uint8_t> out, ReadDone done);

  private:
    using Then = std::function<void()>;
    using Fail = std::function<void(StreamError)>;
    void handshake(std::shared_ptr<Done> done);
    void read(std::span<std::uint8_t> out, std::shared_ptr<ReadDone> done);
    // Sends what the session has to send, then `then`.
    void flush(Then then, Fail fail);
    // One read of ciphertext into the session, then `then`; `eof` when the peer closed.
    void read_ciphertext(Then then, Then eof, Fail fail);
    template <class F>
    void later(F f);

    boost::asio::ip::tcp::socket& socket_;
    std::unique_ptr<TlsSession> session_;
    std::vector<std::uint8_t> out_;  // ciphertext being written
    std::vector<std::uint8_t> in_;   // ciphertext read
};

}  // namespace vigil::checkers
