// HTTP_GET / SSL_GET: every url in turn on a fresh connection; all must answer with an accepted
// status and, when set, the expected digest.
#include <boost/asio/post.hpp>

#include "digest.hpp"
#include "http_fetch.hpp"
#include "http_response.hpp"
#include "probe.hpp"

namespace vigil::checkers {

namespace {

using boost::asio::ip::tcp;

class HttpProbe : public Probe, public std::enable_shared_from_this<HttpProbe> {
  public:
    HttpProbe(ProbeEnv& env, std::shared_ptr<const CheckConfig> cfg, ProbeDone done)
        : io_(env.io),
          clock_(env.clock),
          cfg_(std::move(cfg)),
          http_(std::get<HttpCheck>(cfg_->kind)),
          done_(std::move(done)) {
        if (http_.ssl && !http_.urls.empty()) {
            if (auto t = env.tls()) {
                tls_ = std::move(*t);
            } else {
                tls_error_ = std::move(t.error());
            }
        }
        for (const auto& u : http_.urls)
            regexes_.push_back(u.regex.empty() ? nullptr : env.regex(u));
    }

    void start() {
        if (http_.urls.empty()) {
            // keepalived ignores such a checker; a lone one would keep the server up.
            boost::asio::post(
                io_, [self = shared_from_this()] { self->finish(ProbeOutcome::success()); });
            return;
        }
        if (http_.ssl && !tls_) {
            return boost::asio::post(io_, [self = shared_from_this()] {
                self->finish(ProbeOutcome::fail(Failure::tls, self->tls_error_));
            });
        }
        next();
    }

    void cancel() override {
        finished_ = true;
        done_ = nullptr;
        if (fetch_) fetch_->cancel();
        fetch_.reset();
    }

  private:
    void next() {
        if (index_ >= http_.urls.size()) return finish(ProbeOutcome::success());
        const HttpUrl& url = http_.urls[index_];
        const std::string& vhost = url.virtualhost.empty() ? http_.virtualhost : url.virtualhost;
        Address ip = cfg_->effective_ip();
        std::uint16_t port = cfg_->effective_port();
        FetchRequest req;
        req.dst = tcp::endpoint(ip, port);
        req.options = SocketOptions::from(*cfg_);
        req.tls = tls_.get();
        if (!url.regex.empty()) {
            if (!regexes_[index_]) {
                return boost::asio::post(io_, [self = shared_from_this(), path = url.path] {
                    self->finish(
                        ProbeOutcome::fail(Failure::bad_regex, path + ": regex does not compile"));
                });
            }
            req.regex = regexes_[index_];
            req.regex_min_offset = url.regex_min_offset;
            req.regex_max_offset = url.regex_max_offset;
        }
        if (tls_ && http_.enable_sni) req.sni = vhost;
        req.request = http_request(url.path, http_host(vhost, ip.to_string(), ip.is_v6(), port),
                                   http_.http_protocol);
        req.timeout = cfg_->connect_timeout;
        req.digest = url.digest.has_value();
        fetch_ = start_fetch(
            io_, clock_, std::move(req),
            [self = shared_from_this()](FetchResult r) { self->on_fetch(std::move(r)); });
    }

    void on_fetch(FetchResult r) {
        if (finished_) return;
        const HttpUrl& url = http_.urls[index_];
        if (r.failure != Failure::none) {
            return finish(ProbeOutcome::fail(r.failure, url.path + ": " + r.detail));
        }
        if (!status_accepted(url.status_codes, r.status)) {
            return finish(ProbeOutcome::fail(
                Failure::bad_status, url.path + ": HTTP status " + std::to_string(r.status)));
        }
        if (url.digest && *url.digest != r.digest) {
            return finish(ProbeOutcome::fail(Failure::bad_digest,
                                             url.path + ": MD5 digest " + to_hex(r.digest)));
        }
        if (r.regex_matched && *r.regex_matched == url.regex_no_match) {
            return finish(ProbeOutcome::fail(
                Failure::bad_regex,
                url.path + (url.regex_no_match ? ": regex matched" : ": regex did not match")));
        }
        ++index_;
        next();
    }

    void finish(ProbeOutcome o) {
        if (finished_) return;
        finished_ = true;
        fetch_.reset();
        auto done = std::move(done_);
        done(std::move(o));
    }

    boost::asio::io_context& io_;
    Clock& clock_;
    std::shared_ptr<const CheckConfig> cfg_;
    const HttpCheck& http_;
    std::shared_ptr<TlsProvider> tls_;
    std::string tls_error_;                                   // why an SSL_GET has no tls_
    std::vector<std::shared_ptr<const std::regex>> regexes_;  // by url; null without regex
    ProbeDone done_;
    std::shared_ptr<Probe> fetch_;
    std::size_t index_ = 0;
    bool finished_ = false;
};

}  // namespace

std::shared_ptr<Probe> start_http_probe(ProbeEnv& env, std::shared_ptr<const CheckConfig> cfg,
                                        ProbeDone done) {
    auto p = std::make_shared<HttpProbe>(env, std::move(cfg), std::move(done));
    p->start();
    return p;
}

}  // namespace vigil::checkers
