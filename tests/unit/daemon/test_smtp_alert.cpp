#include "smtp_alert.hpp"

#include <gtest/gtest.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <vigil/common/fake_clock.hpp>

#include <algorithm>
#include <istream>

namespace asio = boost::asio;
using asio::ip::tcp;
using vigil::FakeClock;
using vigil::run_until;

namespace {

// A scripted SMTP server on 127.0.0.1 that records every line it receives.
struct Sink : std::enable_shared_from_this<Sink> {
    tcp::acceptor acceptor;
    tcp::socket sock;
    asio::streambuf buf;
    std::vector<std::string> lines;
    bool in_data = false;
    bool silent = false;  // accept and never answer

    explicit Sink(asio::io_context& io)
        : acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), sock(io) {}
    std::uint16_t port() const { return acceptor.local_endpoint().port(); }

    void start() {
        acceptor.async_accept(sock, [this](auto ec) {
            if (ec) return;
            if (silent) return;
            say("220 sink ready");
            read();
        });
    }
    void say(std::string s) {
        auto msg = std::make_shared<std::string>(s + "\r\n");
        asio::async_write(sock, asio::buffer(*msg), [msg](auto, auto) {});
    }
    void read() {
        asio::async_read_until(sock, buf, "\r\n", [this](auto ec, std::size_t) {
            if (ec) return;
            std::istream is(&buf);
            std::string l;
            std::getline(is, l);
            if (!l.empty() && l.back() == '\r') l.pop_back();
            lines.push_back(l);
            if (in_data) {
                if (l == ".") {
                    in_data = false;
                    say("250 queued");
                }
            } else if (l == "DATA") {
                in_data = true;
                say("354 go ahead");
            } else if (l.rfind("HELO", 0) == 0) {
                // A multi-line reply, in one segment: a second small one would wait for the
                // delayed ACK of the first (Nagle), real time the fake clock does not wait for.
                say("250-sink\r\n250 ok");
            } else if (l == "QUIT") {
                say("221 bye");
                return;
            } else {
                say("250 ok");
            }
            read();
        });
    }
};

vigil::SmtpSettings settings(std::uint16_t port) {
    vigil::SmtpSettings s;
    s.server = asio::ip::make_address("127.0.0.1");
    s.port = port;
    s.from = "vigil@example.org";
    s.to = {"a@example.org", "b@example.org"};
    s.router_id = "LVS_A";
    s.timeout = std::chrono::seconds(5);
    return s;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST(SmtpAlert, TextsMatchKeepalived) {
    auto m = vigil::vrrp_instance_alert("VI_1", "MASTER");
    EXPECT_EQ(m.subject, "VRRP Instance VI_1 - Entering MASTER state");
    EXPECT_EQ(m.body, "=> VRRP Instance is now owning VRRP VIPs <=");
    EXPECT_EQ(vigil::vrrp_instance_alert("VI_1", "BACKUP").body,
              "=> VRRP Instance is no longer owning VRRP VIPs <=");
    EXPECT_EQ(vigil::realserver_alert("[10.0.0.2]:80", "[10.0.0.1]:80", false).subject,
              "Realserver [10.0.0.2]:80 of virtual server [10.0.0.1]:80 - DOWN");
    EXPECT_EQ(vigil::quorum_alert("[10.0.0.1]:80", false).body, "=> Lost quorum <=");
}

TEST(SmtpAlert, MailHeadersAndDotStuffing) {
    auto s = settings(25);
    std::string mail =
        vigil::format_mail(s, {"subj", "line1\n.hidden"}, std::chrono::system_clock::now());
    EXPECT_NE(mail.find("Subject: [LVS_A] subj\r\n"), std::string::npos);
    EXPECT_NE(mail.find("To: a@example.org, b@example.org\r\n"), std::string::npos);
    EXPECT_NE(mail.find("From: vigil@example.org\r\n"), std::string::npos);
    EXPECT_NE(mail.find("\r\n..hidden\r\n"), std::string::npos);
    EXPECT_NE(mail.find("Date: "), std::string::npos);
}

TEST(SmtpAlert, OneSessionWithEveryRecipient) {
    asio::io_context io;
    FakeClock clock;
    Sink sink(io);
    sink.start();
    vigil::SmtpAlerter alerter(io, clock, settings(sink.port()));
    bool ok = false;
    std::string err;
    alerter.send(vigil::vrrp_instance_alert("VI_1", "MASTER"), [&](bool o, const std::string& e) {
        ok = o;
        err = e;
    });
    ASSERT_TRUE(run_until(io, clock, [&] { return alerter.sent() + alerter.failed() > 0; }));
    EXPECT_TRUE(ok) << err;
    EXPECT_TRUE(contains(sink.lines, "HELO LVS_A"));
    EXPECT_TRUE(contains(sink.lines, "MAIL FROM:<vigil@example.org>"));
    EXPECT_TRUE(contains(sink.lines, "RCPT TO:<a@example.org>"));
    EXPECT_TRUE(contains(sink.lines, "RCPT TO:<b@example.org>"));
    EXPECT_TRUE(
        contains(sink.lines, "Subject: [LVS_A] VRRP Instance VI_1 - Entering MASTER state"));
    EXPECT_TRUE(contains(sink.lines, "=> VRRP Instance is now owning VRRP VIPs <="));
    EXPECT_TRUE(contains(sink.lines, "QUIT"));
    EXPECT_EQ(alerter.sent(), 1u);
}

TEST(SmtpAlert, ServerByHostName) {
    asio::io_context io;
    FakeClock clock;
    Sink sink(io);
    sink.start();
    auto s = settings(sink.port());
    s.server_name = "localhost";
    vigil::SmtpAlerter alerter(io, clock, s);
    bool ok = false;
    std::string err;
    alerter.send({"x", "y"}, [&](bool o, const std::string& e) {
        ok = o;
        err = e;
    });
    // The name is resolved off the loop's thread: real time, bounded.
    for (int i = 0; i < 500 && alerter.sent() + alerter.failed() == 0; ++i) {
        io.run_one_for(std::chrono::milliseconds(10));
        if (io.stopped()) io.restart();
    }
    EXPECT_TRUE(ok) << err;
}

TEST(SmtpAlert, HangingServerTimesOutWithOneError) {
    asio::io_context io;
    FakeClock clock;
    Sink sink(io);
    sink.silent = true;
    sink.start();
    auto s = settings(sink.port());
    s.timeout = std::chrono::milliseconds(200);
    vigil::SmtpAlerter alerter(io, clock, s);
    int calls = 0;
    std::string err;
    const auto t0 = clock.now();
    alerter.send({"x", "y"}, [&](bool o, const std::string& e) {
        ++calls;
        EXPECT_FALSE(o);
        err = e;
    });
    ASSERT_TRUE(run_until(io, clock, [&] { return calls > 0; }));
    EXPECT_EQ(clock.now(), t0 + s.timeout);
    clock.advance(std::chrono::seconds(10));
    vigil::settle(io, clock);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(err, "timed out");
    EXPECT_EQ(alerter.failed(), 1u);
}

TEST(SmtpAlert, RefusedConnectionIsAnError) {
    asio::io_context io;
    FakeClock clock;
    std::uint16_t port;
    {
        tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        port = a.local_endpoint().port();
    }
    vigil::SmtpAlerter alerter(io, clock, settings(port));
    bool called = false;
    alerter.send({"x", "y"}, [&](bool o, const std::string& e) {
        called = true;
        EXPECT_FALSE(o);
        EXPECT_NE(e.find("connect"), std::string::npos);
    });
    ASSERT_TRUE(run_until(io, clock, [&] { return called; }));
    EXPECT_EQ(alerter.failed(), 1u);
}

namespace {

// Takes any number of sessions; the mail of a "slow" or BACKUP subject is acknowledged late, so
// that a mail sent after it on another connection would overtake it. events records accepts,
// subjects and ends, in order.
struct SlowSink {
    struct Conn : std::enable_shared_from_this<Conn> {
        SlowSink* owner;
        tcp::socket sock;
        vigil::Clock::Alarm delay;
        std::shared_ptr<Conn> waiting;  // alive while the delay runs
        asio::streambuf buf;
        std::string subject;
        bool in_data = false;
        Conn(SlowSink* o, tcp::socket s)
            : owner(o), sock(std::move(s)), delay(o->clock, [this] {
                  auto self = std::move(waiting);
                  say("250 queued");
                  read();
              }) {}
        void start() {
            owner->events.push_back("accept");
            say("220 ready");
            read();
        }
        void say(std::string s) {
            auto msg = std::make_shared<std::string>(s + "\r\n");
            asio::async_write(sock, asio::buffer(*msg), [msg](auto, auto) {});
        }
        void queued() {
            const bool slow = subject.find("slow") != std::string::npos ||
                              subject.find("BACKUP") != std::string::npos;
            waiting = shared_from_this();
            delay.arm_after(std::chrono::milliseconds(slow ? 300 : 0));
        }
        void read() {
            asio::async_read_until(sock, buf, "\r\n",
                                   [self = shared_from_this()](auto ec, std::size_t) {
                                       if (ec) return;
                                       std::istream is(&self->buf);
                                       std::string l;
                                       std::getline(is, l);
                                       if (!l.empty() && l.back() == '\r') l.pop_back();
                                       if (l.rfind("Subject: ", 0) == 0) {
                                           self->subject = l.substr(9);
                                           self->owner->events.push_back(self->subject);
                                       }
                                       if (self->in_data) {
                                           if (l == ".") {
                                               self->in_data = false;
                                               return self->queued();
                                           }
                                       } else if (l == "DATA") {
                                           self->in_data = true;
                                           self->say("354 go ahead");
                                       } else if (l == "QUIT") {
                                           self->owner->events.push_back("quit " + self->subject);
                                           self->say("221 bye");
                                           return;
                                       } else {
                                           self->say("250 ok");
                                       }
                                       self->read();
                                   });
        }
    };
    tcp::acceptor acceptor;
    vigil::Clock& clock;
    std::vector<std::string> events;
    SlowSink(asio::io_context& io, vigil::Clock& c)
        : acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), clock(c) {}
    std::uint16_t port() const { return acceptor.local_endpoint().port(); }
    void start() {
        acceptor.async_accept([this](auto ec, tcp::socket s) {
            if (ec) return;
            std::make_shared<Conn>(this, std::move(s))->start();
            start();
        });
    }
};

}  // namespace

TEST(SmtpAlert, AlertsOfOneKeyLeaveInOrderOneSessionAtATime) {
    asio::io_context io;
    FakeClock clock;
    SlowSink sink(io, clock);
    sink.start();
    vigil::SmtpAlerter alerter(io, clock, settings(sink.port()));
    int done = 0;
    for (const char* st : {"BACKUP", "MASTER", "FAULT"})
        alerter.send(
            vigil::vrrp_instance_alert("VI_1", st), [&](bool, const std::string&) { ++done; },
            "VI_1");
    EXPECT_EQ(alerter.waiting(), 2u);
    ASSERT_TRUE(run_until(io, clock, [&] { return done == 3; }));
    ASSERT_EQ(done, 3);
    std::vector<std::string> want;
    for (const char* st : {"BACKUP", "MASTER", "FAULT"}) {
        const std::string subject =
            std::string("[LVS_A] VRRP Instance VI_1 - Entering ") + st + " state";
        want.insert(want.end(), {"accept", subject, "quit " + subject});
    }
    EXPECT_EQ(sink.events, want);
    EXPECT_EQ(alerter.sent(), 3u);
}

TEST(SmtpAlert, OtherKeysDoNotWait) {
    asio::io_context io;
    FakeClock clock;
    SlowSink sink(io, clock);
    sink.start();
    vigil::SmtpAlerter alerter(io, clock, settings(sink.port()));
    int done = 0;
    auto count = [&](bool, const std::string&) { ++done; };
    alerter.send({"slow", "x"}, count, "VI_1");
    alerter.send({"quick", "x"}, count, "VI_2");
    ASSERT_TRUE(run_until(io, clock, [&] { return done == 2; }));
    ASSERT_EQ(done, 2);
    auto at = [&](const std::string& e) {
        return std::find(sink.events.begin(), sink.events.end(), e) - sink.events.begin();
    };
    EXPECT_LT(at("quit [LVS_A] quick"), at("quit [LVS_A] slow")) << "VI_2 waited for VI_1";
}
