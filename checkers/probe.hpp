// One probe of one checker: an asynchronous exchange on the shared io_context that reports
// once through ProbeDone. cancel() closes its sockets; done is then never called.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <string>

#include "tls.hpp"
#include "vigil/checkers/config.hpp"
#include "vigil/checkers/pool.hpp"
#include "vigil/common/clock.hpp"

namespace vigil::checkers {

struct ProbeOutcome {
    bool ok = false;
    Failure failure = Failure::none;
    std::string detail;
    std::optional<int> weight;  // misc_dynamic
    std::optional<int> offset;  // FILE_CHECK with a weight

    static ProbeOutcome success() {
        ProbeOutcome o;
        o.ok = true;
        return o;
    }
    static ProbeOutcome fail(Failure f, std::string d) {
        ProbeOutcome o;
        o.failure = f;
        o.detail = std::move(d);
        return o;
    }
};

using ProbeDone = std::function<void(ProbeOutcome)>;

class Probe {
  public:
    virtual ~Probe() = default;
    virtual void cancel() = 0;
};

struct ProbeEnv {
    boost::asio::io_context& io;
    Clock& clock;  // probes' deadlines
    // SSL_GET's client context: the plugin opened and the context made on first use, or why
    // not. A probe holds it while it runs (configure() may replace it).
    std::function<std::expected<std::shared_ptr<TlsProvider>, std::string>()> tls;
    const Hooks& hooks;
    std::function<std::uint64_t()> random;
    const PoolSettings& settings;
    // Compiled url regexes by pattern and options; nullptr for one that does not compile.
    std::function<std::shared_ptr<const std::regex>(const HttpUrl&)> regex;
};

// A probe that owns one socket and one deadline and reports exactly once: the ending every such
// probe shares. After finish() or cancel() the socket is closed and done is gone.
template <class Socket>
class SocketProbe : public Probe {
  public:
    void cancel() override {
        finished_ = true;
        done_ = nullptr;
        release();
        close();
    }

  protected:
    SocketProbe(ProbeEnv& env, ProbeDone done)
        : sock_(env.io), deadline_(env.clock, [this] { expired(); }), done_(std::move(done)) {}

    // The probe's one deadline: expired() runs at it unless the probe ended first.
    void arm_deadline(Duration timeout) { deadline_.arm_after(timeout); }
    // Ends the probe at its deadline (the derived probe keeps itself alive while it does).
    virtual void expired() = 0;

    void finish(ProbeOutcome o) {
        if (finished_) return;
        finished_ = true;
        close();
        release();
        auto done = std::move(done_);
        done(std::move(o));
    }
    void close() {
        deadline_.cancel();
        boost::system::error_code ec;
        sock_.close(ec);
    }
    // Drops what a derived probe holds for its next step.
    virtual void release() {}
    // Reports a failure from the loop: done is never called from inside start().
    template <class Self>
    static void fail_later(std::shared_ptr<Self> self, Failure f, std::string detail) {
        auto ex = self->sock_.get_executor();
        boost::asio::post(ex, [self = std::move(self), f, d = std::move(detail)]() mutable {
            self->finish(ProbeOutcome::fail(f, std::move(d)));
        });
    }

    Socket sock_;
    Clock::Alarm deadline_;
    ProbeDone done_;
    bool finished_ = false;
};

// Starts the probe for cfg's kind. done is never called from within this call.
std::shared_ptr<Probe> start_probe(ProbeEnv& env, std::shared_ptr<const CheckConfig> cfg,
                                   ProbeDone done);

std::shared_ptr<Probe> start_tcp_probe(ProbeEnv& env, std::shared_ptr<const CheckConfig> cfg,
                                       ProbeDone done);
std::shared_ptr<Probe> start_http_probe(ProbeEnv& env, std::shared_ptr<const CheckConfig> cfg,
                                        ProbeDone done);
std::shared_ptr<Probe> start_misc_probe(ProbeEnv& env, std::shared_ptr<const CheckConfig> cfg,
                                        ProbeDone done);
std::shared_ptr<Probe> start_dns_probe(ProbeEnv& env, std::shared_ptr<const CheckConfig> cfg,
                                       ProbeDone done);
std::shared_ptr<Probe> start_smtp_probe(ProbeEnv& env, std::shared_ptr<const CheckConfig> cfg,
                                        ProbeDone done);
std::shared_ptr<Probe> start_ping_probe(ProbeEnv& env, std::shared_ptr<const CheckConfig> cfg,
                                        ProbeDone done);
std::shared_ptr<Probe> start_udp_probe(ProbeEnv& env, std::shared_ptr<const CheckConfig> cfg,
                                       ProbeDone done);

}  // namespace vigil::checkers
