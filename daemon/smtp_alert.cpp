#include "smtp_alert.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <ctime>
#include <istream>

namespace vigil {

namespace asio = boost::asio;
using asio::ip::tcp;

Alert vrrp_instance_alert(const std::string& instance, const std::string& state) {
    Alert a;
    a.subject = fmt::format("VRRP Instance {} - Entering {} state", instance, state);
    if (state == "MASTER")
        a.body = "=> VRRP Instance is now owning VRRP VIPs <=";
    else if (state == "STOP")
        a.body = "=> VRRP Instance stopping <=";
    else
        a.body = "=> VRRP Instance is no longer owning VRRP VIPs <=";
    return a;
}

Alert vrrp_group_alert(const std::string& group, const std::string& state) {
    return {fmt::format("VRRP Group {} - Entering {} state", group, state),
            fmt::format("=> All VRRP group instances are now in {} state <=", state)};
}

Alert realserver_alert(const std::string& rs, const std::string& vs, bool up) {
    return {fmt::format("Realserver {} of virtual server {} - {}", rs, vs, up ? "UP" : "DOWN"),
            fmt::format("=> CHECK {} on service <=", up ? "succeed" : "failed")};
}

Alert quorum_alert(const std::string& vs, bool up) {
    return {fmt::format("Virtual Server {} - {}", vs, up ? "UP" : "DOWN"),
            up ? "=> Gained quorum <=" : "=> Lost quorum <="};
}

std::string format_mail(const SmtpSettings& s, const Alert& a,
                        std::chrono::system_clock::time_point now) {
    std::string to;
    for (const auto& r : s.to) to += (to.empty() ? "" : ", ") + r;
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    localtime_r(&t, &tm);
    char date[64];
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z", &tm);
    std::string text =
        fmt::format("Date: {}\r\nFrom: {}\r\nSubject: [{}] {}\r\nX-Mailer: Vigil\r\nTo: {}\r\n\r\n",
                    date, s.from, s.router_id, a.subject, to);
    // Body lines: CRLF endings, and a leading "." doubled (RFC 5321 4.5.2).
    std::string_view body = a.body;
    while (!body.empty()) {
        auto nl = body.find('\n');
        std::string_view line = body.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.starts_with('.')) text += '.';
        text += line;
        text += "\r\n";
        if (nl == std::string_view::npos) break;
        body.remove_prefix(nl + 1);
    }
    return text;
}

// One session: connect, then a fixed dialogue; each step expects a reply class.
struct SmtpAlerter::Session : std::enable_shared_from_this<Session> {
    SmtpAlerter* owner;
    std::shared_ptr<bool> alive;
    tcp::socket socket;
    tcp::resolver resolver;
    Clock::Alarm deadline;
    asio::streambuf in;
    std::vector<std::pair<std::string, char>> steps;  // command to send, expected first digit
    std::size_t step = 0;
    Done done;
    bool finished = false;

    Session(SmtpAlerter* o, asio::io_context& io)
        : owner(o), alive(o->alive_), socket(io), resolver(io), deadline(o->clock_, [this] {
              auto self = shared_from_this();
              fail("timed out");
          }) {}

    void start(const Alert& a) {
        const auto& s = owner->settings_;
        const std::string helo = s.helo_name.empty() ? s.router_id : s.helo_name;
        steps.emplace_back("", '2');  // the greeting
        steps.emplace_back(fmt::format("HELO {}\r\n", helo.empty() ? "localhost" : helo), '2');
        steps.emplace_back(fmt::format("MAIL FROM:<{}>\r\n", s.from), '2');
        for (const auto& r : s.to) steps.emplace_back(fmt::format("RCPT TO:<{}>\r\n", r), '2');
        steps.emplace_back("DATA\r\n", '3');
        steps.emplace_back(format_mail(s, a, std::chrono::system_clock::now()) + ".\r\n", '2');
        steps.emplace_back("QUIT\r\n", '2');
        deadline.arm_after(s.timeout);
        auto connected = [self = shared_from_this()](const boost::system::error_code& ec,
                                                     auto&&...) {
            if (ec) return self->fail("connect: " + ec.message());
            self->read_reply();
        };
        if (s.server_name.empty()) {
            socket.async_connect(tcp::endpoint(s.server, s.port), connected);
            return;
        }
        // A host name: resolved off the loop's thread by Asio, for each alert.
        resolver.async_resolve(
            s.server_name, std::to_string(s.port),
            [self = shared_from_this(), connected](const boost::system::error_code& ec,
                                                   tcp::resolver::results_type results) {
                if (self->finished) return;
                if (ec) return self->fail("resolve: " + ec.message());
                asio::async_connect(self->socket, results, connected);
            });
    }

    void read_reply() {
        asio::async_read_until(socket, in, "\r\n",
                               [self = shared_from_this()](const boost::system::error_code& ec,
                                                           std::size_t) { self->on_line(ec); });
    }

    void on_line(const boost::system::error_code& ec) {
        if (finished) return;
        if (ec) return fail("read: " + ec.message());
        std::istream is(&in);
        std::string line;
        std::getline(is, line);
        if (line.size() >= 4 && line[3] == '-') return read_reply();  // continuation line
        if (line.size() < 3 || line[0] != steps[step].second)
            return fail(fmt::format("server answered '{}'", line.substr(0, line.find('\r'))));
        if (++step == steps.size()) return finish(true, "");
        asio::async_write(
            socket, asio::buffer(steps[step].first),
            [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                if (ec) return self->fail("write: " + ec.message());
                self->read_reply();
            });
    }

    void fail(const std::string& why) { finish(false, why); }

    void finish(bool ok, const std::string& why) {
        if (finished) return;
        finished = true;
        deadline.cancel();
        resolver.cancel();
        boost::system::error_code ignored;
        socket.close(ignored);
        if (!*alive) return;
        ++(ok ? owner->sent_ : owner->failed_);
        if (done) done(ok, why);
    }
};

SmtpAlerter::SmtpAlerter(asio::io_context& io, Clock& clock, SmtpSettings settings)
    : io_(io),
      clock_(clock),
      settings_(std::move(settings)),
      alive_(std::make_shared<bool>(true)) {}

SmtpAlerter::~SmtpAlerter() {
    *alive_ = false;
    // Sessions still in flight end here: their sockets close, their deadlines go.
    for (auto& w : sessions_)
        if (auto s = w.lock()) s->fail("abandoned");
}

void SmtpAlerter::send(const Alert& alert, Done done, const std::string& key) {
    NotifyQueue::Job job;
    job.label = alert.subject;
    job.start = [this, alert, done](NotifyQueue::JobId id) {
        start(id, alert, done);
        return true;
    };
    if (!queue_.push(key, std::move(job), clock_.now())) {
        ++failed_;
        boost::asio::post(io_, [alive = std::weak_ptr<bool>(alive_), done = std::move(done)] {
            if (auto a = alive.lock(); a && *a && done) done(false, "too many alerts waiting");
        });
    }
}

void SmtpAlerter::start(NotifyQueue::JobId id, const Alert& alert, Done done) {
    auto s = std::make_shared<Session>(this, io_);
    std::erase_if(sessions_, [](const std::weak_ptr<Session>& w) { return w.expired(); });
    sessions_.push_back(s);
    // finish() reaches here only while this alerter lives.
    s->done = [this, id, done = std::move(done)](bool ok, const std::string& err) {
        try {
            if (done) done(ok, err);
        } catch (...) {
            // the next alert must leave whatever this callback did
        }
        queue_.finished(id, clock_.now());
    };
    s->start(alert);
}

}  // namespace vigil
