// DNS_CHECK: one query over UDP; the answer must carry our id and RCODE NOERROR.
#include "datagram.hpp"
#include "dns_codec.hpp"

namespace vigil::checkers {

std::shared_ptr<Probe> start_dns_probe(ProbeEnv& env, std::shared_ptr<const CheckConfig> cfg,
                                       ProbeDone done) {
    const auto& dns = std::get<DnsCheck>(cfg->kind);
    auto id = static_cast<std::uint16_t>(env.random());
    auto qtype = dns_type_code(dns.type).value_or(6);
    auto query = encode_dns_query(id, dns.name, qtype);
    auto ex = std::make_shared<DatagramExchange>(
        env.io, env.clock,
        [done = std::move(done), id](const boost::system::error_code& ec,
                                     std::span<const std::uint8_t> reply) {
            if (ec == boost::asio::error::timed_out) {
                return done(ProbeOutcome::fail(Failure::timeout, "no DNS answer"));
            }
            if (ec) return done(ProbeOutcome::fail(connect_failure(ec), ec.message()));
            switch (check_dns_reply(reply, id)) {
                case DnsReply::ok:
                    return done(ProbeOutcome::success());
                case DnsReply::too_short:
                    return done(ProbeOutcome::fail(Failure::bad_response, "short DNS answer"));
                case DnsReply::wrong_id:
                    return done(ProbeOutcome::fail(Failure::dns_error, "DNS answer id differs"));
                case DnsReply::not_response:
                    return done(ProbeOutcome::fail(Failure::dns_error, "DNS packet not an answer"));
                case DnsReply::error_rcode:
                    return done(ProbeOutcome::fail(Failure::dns_error,
                                                   "DNS RCODE " + std::to_string(reply[3] & 0x0f)));
            }
        });
    if (query.empty()) query = encode_dns_query(id, ".", qtype);
    ex->start(boost::asio::ip::udp::endpoint(cfg->effective_ip(), cfg->effective_port()),
              SocketOptions::from(*cfg), std::move(query), cfg->connect_timeout);
    return ex;
}

}  // namespace vigil::checkers
