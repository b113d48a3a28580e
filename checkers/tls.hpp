// TLS for SSL_GET and vigil-genhash -S. The implementation is a plugin (vigil-tls-openssl.so,
// OpenSSL over memory BIOs) opened by the first TLS check, so that a configuration without one
// never maps libssl and libcrypto. Across the plugin boundary TLS is bytes in and bytes out:
// the plugin touches no socket, and TlsStream (tls_stream.hpp) runs it over one on the loop.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "vigil/checkers/config.hpp"

namespace vigil::checkers {

// One client connection's TLS state.
class TlsSession {
  public:
    enum class Step {
        done,       // the call did what it was asked
        want_read,  // it needs more ciphertext from the peer: feed() some, then call again
        closed,     // the peer closed the TLS stream (close_notify)
        failed,     // error() says why
    };
    virtual ~TlsSession() = default;

    // Ciphertext read from the socket.
    virtual void feed(std::span<const std::uint8_t> ciphertext) = 0;
    // Ciphertext to write to the socket, taken out of the session (empty when there is none).
    virtual std::vector<std::uint8_t> take_output() = 0;

    virtual Step handshake() = 0;
    // Encrypts all of `plaintext` into the output.
    virtual Step write(std::span<const std::uint8_t> plaintext) = 0;
    // Decrypts into `out`; with done, `n` is the count, at least 1.
    virtual Step read(std::span<std::uint8_t> out, std::size_t& n) = 0;
    virtual std::string error() const = 0;
};

// A client context (certificate, key, CAs of the SSL { } block) that makes sessions.
class TlsProvider {
  public:
    virtual ~TlsProvider() = default;
    // `sni`: the server name sent in the handshake, empty for none.
    virtual std::expected<std::unique_ptr<TlsSession>, std::string> client(
        const std::string& sni) = 0;
};

// The one function a TLS plugin exports, under tls_entry_name. The plugin is built from this
// tree with the same compiler: C++ types may cross, the name carries the interface's version.
using TlsMade = std::expected<std::unique_ptr<TlsProvider>, std::string>;
using TlsEntry = void(const TlsClientConfig& config, TlsMade& out);
inline constexpr const char* tls_entry_name = "vigil_tls_provider_v1";

}  // namespace vigil::checkers
