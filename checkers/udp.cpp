// UDP_CHECK: send the payload; an ICMP unreachable (seen as connection refused) is down; with
// require_reply an answer of an acceptable length (and content, with require_reply HEX) is
// needed, otherwise silence is up.
#include "datagram.hpp"
#include "udp_reply.hpp"

namespace vigil::checkers {

std::shared_ptr<Probe> start_udp_probe(ProbeEnv& env, std::shared_ptr<const CheckConfig> cfg,
                                       ProbeDone done) {
    const auto& udp = std::get<UdpCheck>(cfg->kind);
    std::vector<std::uint8_t> payload = udp.payload;
    if (payload.empty()) {
        auto r = env.random();
        for (int i = 0; i < 8; ++i) payload.push_back(static_cast<std::uint8_t>(r >> (8 * i)));
    }
    auto ex = std::make_shared<DatagramExchange>(
        env.io, env.clock,
        [done = std::move(done), udp](const boost::system::error_code& ec,
                                      std::span<const std::uint8_t> reply) {
            if (ec == boost::asio::error::timed_out) {
                if (udp.require_reply) {
                    return done(ProbeOutcome::fail(Failure::udp_reply, "no UDP reply"));
                }
                return done(ProbeOutcome::success());
            }
            if (ec) return done(ProbeOutcome::fail(connect_failure(ec), ec.message()));
            if (udp.require_reply) {
                if (auto why = udp_reply_error(udp, reply)) {
                    return done(ProbeOutcome::fail(Failure::udp_reply, std::move(*why)));
                }
            }
            done(ProbeOutcome::success());
        });
    ex->start(boost::asio::ip::udp::endpoint(cfg->effective_ip(), cfg->effective_port()),
              SocketOptions::from(*cfg), std::move(payload), cfg->connect_timeout);
    return ex;
}

}  // namespace vigil::checkers
