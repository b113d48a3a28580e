// The TLS plugin over OpenSSL: one SSL_CTX per client configuration, one SSL per connection
// between two memory BIOs (ciphertext in, ciphertext out). Built as vigil-tls-openssl.so.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "tls.hpp"

namespace vigil::checkers {

namespace {

// The reasons queued by the last failed call, as one line.
std::string openssl_errors(const char* fallback) {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        const char* reason = ERR_reason_error_string(e);
        out += reason ? reason : buf;
    }
    return out.empty() ? fallback : out;
}

struct CtxFree {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
    void operator()(SSL* s) const { SSL_free(s); }
};

class OpenSslSession final : public TlsSession {
  public:
    // `in` and `out` belong to the SSL once set: one free releases all three.
    OpenSslSession(std::unique_ptr<SSL, SslFree> ssl, BIO* in, BIO* out)
        : ssl_(std::move(ssl)), in_(in), out_(out) {
        SSL_set_bio(ssl_.get(), in_, out_);
    }

    void feed(std::span<const std::uint8_t> c) override {
        if (!c.empty()) BIO_write(in_, c.data(), static_cast<int>(c.size()));
    }

    std::vector<std::uint8_t> take_output() override {
        std::vector<std::uint8_t> v(BIO_ctrl_pending(out_));
        if (!v.empty()) {
            const int n = BIO_read(out_, v.data(), static_cast<int>(v.size()));
            v.resize(static_cast<std::size_t>(std::max(0, n)));
        }
        return v;
    }

    Step handshake() override {
        ERR_clear_error();
        const int r = SSL_connect(ssl_.get());
        return r == 1 ? Step::done : step(r);
    }

    Step write(std::span<const std::uint8_t> p) override {
        while (!p.empty()) {
            ERR_clear_error();
            std::size_t n = 0;
            const int r = SSL_write_ex(ssl_.get(), p.data(), p.size(), &n);
            if (r != 1) return step(r);
            p = p.subspan(n);
        }
        return Step::done;
    }

    Step read(std::span<std::uint8_t> out, std::size_t& n) override {
        ERR_clear_error();
        n = 0;
        const int r = SSL_read_ex(ssl_.get(), out.data(), out.size(), &n);
        return r == 1 ? Step::done : step(r);
    }

    std::string error() const override { return error_; }

  private:
    Step step(int r) {
        switch (SSL_get_error(ssl_.get(), r)) {
            case SSL_ERROR_WANT_READ:
            case SSL_ERROR_WANT_WRITE:  // a memory BIO takes any write: only a read can help
                return Step::want_read;
            case SSL_ERROR_ZERO_RETURN:
                return Step::closed;
            default:
                error_ = openssl_errors("TLS error");
                return Step::failed;
        }
    }

    std::unique_ptr<SSL, SslFree> ssl_;
    BIO* in_;
    BIO* out_;
    std::string error_;
};

class OpenSslProvider final : public TlsProvider {
  public:
    explicit OpenSslProvider(std::string password)
        : ctx_(SSL_CTX_new(TLS_client_method())), password_(std::move(password)) {}

    static TlsMade make(const TlsClientConfig& c) {
        ERR_clear_error();
        auto p = std::make_unique<OpenSslProvider>(c.password);
        if (!p->ctx_) return std::unexpected(openssl_errors("cannot create a TLS context"));
        SSL_CTX* ctx = p->ctx_.get();
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);  // as keepalived: not a PKI audit
        SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);    // idle sessions hold no buffers
        if (!c.password.empty()) {
            SSL_CTX_set_default_passwd_cb(ctx, &OpenSslProvider::password_cb);
            SSL_CTX_set_default_passwd_cb_userdata(ctx, p.get());
        }
        if (!c.certificate.empty() &&
            SSL_CTX_use_certificate_chain_file(ctx, c.certificate.c_str()) != 1)
            return std::unexpected("certificate " + c.certificate + ": " + openssl_errors("bad"));
        if (!c.key.empty() &&
            SSL_CTX_use_PrivateKey_file(ctx, c.key.c_str(), SSL_FILETYPE_PEM) != 1)
            return std::unexpected("key " + c.key + ": " + openssl_errors("bad"));
        if (!c.ca.empty() && SSL_CTX_load_verify_locations(ctx, c.ca.c_str(), nullptr) != 1)
            return std::unexpected("ca " + c.ca + ": " + openssl_errors("bad"));
        return p;
    }

    std::expected<std::unique_ptr<TlsSession>, std::string> client(
        const std::string& sni) override {
        ERR_clear_error();
        std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx_.get()));
        if (!ssl) return std::unexpected(openssl_errors("cannot create a TLS session"));
        if (!sni.empty() && SSL_set_tlsext_host_name(ssl.get(), sni.c_str()) != 1)
            return std::unexpected("SNI " + sni + ": " + openssl_errors("refused"));
        SSL_set_connect_state(ssl.get());
        BIO* in = BIO_new(BIO_s_mem());
        BIO* out = BIO_new(BIO_s_mem());
        if (!in || !out) {
            BIO_free(in);
            BIO_free(out);
            return std::unexpected(std::string("cannot create memory BIOs"));
        }
        return std::make_unique<OpenSslSession>(std::move(ssl), in, out);
    }

  private:
    static int password_cb(char* buf, int size, int, void* self) {
        const auto& pw = static_cast<OpenSslProvider*>(self)->password_;
        if (size <= 0 || pw.size() >= static_cast<std::size_t>(size)) return 0;
        std::memcpy(buf, pw.data(), pw.size());
        return static_cast<int>(pw.size());
    }

    std::unique_ptr<SSL_CTX, CtxFree> ctx_;
    std::string password_;
};

}  // namespace

}  // namespace vigil::checkers

extern "C" __attribute__((visibility("default"))) void vigil_tls_provider_v1(
    const vigil::checkers::TlsClientConfig& config, vigil::checkers::TlsMade& out) {
    out = vigil::checkers::OpenSslProvider::make(config);
}
static_assert(std::is_same_v<decltype(vigil_tls_provider_v1), vigil::checkers::TlsEntry>);
