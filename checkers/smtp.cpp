// SMTP_CHECK: 220 banner, HELO answered by 250, then QUIT; all within connect_timeout.
#include <unistd.h>

#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "probe.hpp"
#include "smtp_reply.hpp"
#include "socket_options.hpp"

namespace vigil::checkers {

namespace {

using boost::asio::ip::tcp;

class SmtpProbe : public SocketProbe<tcp::socket>, public std::enable_shared_from_this<SmtpProbe> {
  public:
    SmtpProbe(ProbeEnv& env, std::string helo, ProbeDone done)
        : SocketProbe(env, std::move(done)), helo_(std::move(helo)) {}

    void start(const tcp::endpoint& dst, const SocketOptions& opts, Duration timeout) {
        if (auto ec = open_socket(sock_, dst, opts))
            return fail_later(shared_from_this(), Failure::network, ec.message());
        arm_deadline(timeout);
        sock_.async_connect(dst, [self = shared_from_this()](const boost::system::error_code& ec) {
            if (self->finished_) return;
            if (ec) return self->finish(ProbeOutcome::fail(connect_failure(ec), ec.message()));
            self->connected_ = true;
            self->expect(220, [self] {
                self->out_ = "HELO " + self->helo_ + "\r\n";
                self->send([self] {
                    self->expect(250, [self] {
                        self->out_ = "QUIT\r\n";
                        self->send([self] { self->finish(ProbeOutcome::success()); });
                    });
                });
            });
        });
    }

  private:
    void expired() override {
        auto self = shared_from_this();
        finish(ProbeOutcome::fail(connected_ ? Failure::timeout : Failure::connect_timeout,
                                  "SMTP timeout"));
    }
    void release() override { then_ = nullptr; }

    void expect(int code, std::function<void()> then) {
        reader_.reset();
        expected_ = code;
        then_ = std::move(then);
        read();
    }

    void read() {
        sock_.async_read_some(
            boost::asio::buffer(buf_),
            [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                if (self->finished_) return;
                if (n > 0) {
                    std::size_t used = 0;
                    auto code = self->reader_.feed(std::span(self->buf_.data(), n), used);
                    if (code) {
                        if (*code != self->expected_) {
                            return self->finish(ProbeOutcome::fail(
                                *code == 0 ? Failure::bad_response : Failure::smtp_error,
                                "SMTP reply " + std::to_string(*code) + ", expected " +
                                    std::to_string(self->expected_)));
                        }
                        auto then = std::move(self->then_);
                        return then();
                    }
                }
                if (ec) {
                    return self->finish(ProbeOutcome::fail(
                        ec == boost::asio::error::eof ? Failure::bad_response : connect_failure(ec),
                        "SMTP read: " + ec.message()));
                }
                self->read();
            });
    }

    void send(std::function<void()> then) {
        boost::asio::async_write(sock_, boost::asio::buffer(out_),
                                 [self = shared_from_this(), then = std::move(then)](
                                     const boost::system::error_code& ec, std::size_t) {
                                     if (self->finished_) return;
                                     if (ec) {
                                         return self->finish(ProbeOutcome::fail(
                                             connect_failure(ec), "SMTP write: " + ec.message()));
                                     }
                                     then();
                                 });
    }

    std::string helo_;
    SmtpReplyReader reader_;
    std::array<std::uint8_t, 1024> buf_;
    std::string out_;
    std::function<void()> then_;
    int expected_ = 0;
    bool connected_ = false;
};

std::string local_host_name() {
    std::array<char, 256> name{};
    if (::gethostname(name.data(), name.size() - 1) != 0) return "localhost";
    return name.data();
}

}  // namespace

std::shared_ptr<Probe> start_smtp_probe(ProbeEnv& env, std::shared_ptr<const CheckConfig> cfg,
                                        ProbeDone done) {
    const auto& smtp = std::get<SmtpCheck>(cfg->kind);
    auto p =
        std::make_shared<SmtpProbe>(env,
                                    !smtp.helo_name.empty()              ? smtp.helo_name
                                    : !env.settings.default_helo.empty() ? env.settings.default_helo
                                                                         : local_host_name(),
                                    std::move(done));
    p->start(tcp::endpoint(cfg->effective_ip(), cfg->effective_port()), SocketOptions::from(*cfg),
             cfg->connect_timeout);
    return p;
}

}  // namespace vigil::checkers
