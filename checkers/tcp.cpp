// TCP_CHECK: a connection within connect_timeout, closed at once.
#include "probe.hpp"
#include "socket_options.hpp"

namespace vigil::checkers {

namespace {

using boost::asio::ip::tcp;

class TcpProbe : public SocketProbe<tcp::socket>, public std::enable_shared_from_this<TcpProbe> {
  public:
    TcpProbe(ProbeEnv& env, ProbeDone done) : SocketProbe(env, std::move(done)) {}

    void start(const tcp::endpoint& dst, const SocketOptions& opts, Duration timeout) {
        if (auto ec = open_socket(sock_, dst, opts))
            return fail_later(shared_from_this(), Failure::network, ec.message());
        arm_deadline(timeout);
        sock_.async_connect(dst, [self = shared_from_this()](const boost::system::error_code& ec) {
            if (ec) {
                self->finish(ProbeOutcome::fail(connect_failure(ec), ec.message()));
            } else {
                self->finish(ProbeOutcome::success());
            }
        });
    }

  private:
    void expired() override {
        auto self = shared_from_this();
        finish(ProbeOutcome::fail(Failure::connect_timeout, "connect timeout"));
    }
};

}  // namespace

std::shared_ptr<Probe> start_tcp_probe(ProbeEnv& env, std::shared_ptr<const CheckConfig> cfg,
                                       ProbeDone done) {
    auto p = std::make_shared<TcpProbe>(env, std::move(done));
    p->start(tcp::endpoint(cfg->effective_ip(), cfg->effective_port()), SocketOptions::from(*cfg),
             cfg->connect_timeout);
    return p;
}

}  // namespace vigil::checkers
