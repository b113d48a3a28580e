// Mail alerts on state changes, sent asynchronously on the event loop.
#pragma once

#include "notify_queue.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <vigil/common/clock.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace vigil {

struct SmtpSettings {
    boost::asio::ip::address server;
    std::string server_name;  // when set, resolved (asynchronously) for each alert instead
    std::uint16_t port = 25;
    std::string helo_name;  // empty: router_id
    std::string from;
    std::vector<std::string> to;
    std::string router_id;
    std::chrono::microseconds timeout = std::chrono::seconds(30);
};

struct Alert {
    std::string subject;  // without the "[router_id] " prefix
    std::string body;
};

// The alert texts keepalived users filter on.
Alert vrrp_instance_alert(const std::string& instance, const std::string& state);
Alert vrrp_group_alert(const std::string& group, const std::string& state);
Alert realserver_alert(const std::string& real_server, const std::string& virtual_server, bool up);
Alert quorum_alert(const std::string& virtual_server, bool up);

// The DATA part of the mail (headers, blank line, body), lines ended by CRLF, dot-stuffed,
// without the final ".".
std::string format_mail(const SmtpSettings& s, const Alert& a,
                        std::chrono::system_clock::time_point now);

class SmtpAlerter {
  public:
    using Done = std::function<void(bool ok, const std::string& error)>;
    // Sessions' deadlines on clock, which outlives the alerter.
    SmtpAlerter(boost::asio::io_context& io, Clock& clock, SmtpSettings settings);
    ~SmtpAlerter();
    SmtpAlerter(const SmtpAlerter&) = delete;
    SmtpAlerter& operator=(const SmtpAlerter&) = delete;

    // One SMTP session per alert; never blocks; the whole session is bounded by the timeout.
    // Alerts of one key (an instance, a real server) leave one after the other, in order.
    void send(const Alert& alert, Done done, const std::string& key = {});
    // Settings for the sessions that start from now on; alerts waiting stay queued.
    void configure(SmtpSettings settings) { settings_ = std::move(settings); }
    std::size_t sent() const { return sent_; }
    std::size_t failed() const { return failed_; }
    std::size_t waiting() const { return queue_.waiting(); }

  private:
    struct Session;
    void start(NotifyQueue::JobId id, const Alert& alert, Done done);

    boost::asio::io_context& io_;
    Clock& clock_;
    SmtpSettings settings_;
    NotifyQueue queue_{{}};  // sessions end by their own timeout: nothing to kill
    std::size_t sent_ = 0;
    std::size_t failed_ = 0;
    std::shared_ptr<bool> alive_;
    std::vector<std::weak_ptr<Session>> sessions_;  // in flight
};

}  // namespace vigil
