// The status socket: a Unix stream socket that answers each connection with the daemon's state
// as JSON, and the client side used by `vigild --status`.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <vigil/common/clock.hpp>

namespace vigil {

// Who is on the other end of a control connection (SO_PEERCRED).
struct Peer {
    int pid = 0;
    unsigned uid = 0, gid = 0;
};

// A connection that sends nothing within a moment (a bare `nc -U`) gets the status; one that
// sends a request line gets the handler's answer.
class StatusServer {
  public:
    using Producer = std::function<std::string()>;
    using Handler = std::function<std::string(const std::string& request, const Peer& peer)>;
    struct Access {
        std::optional<unsigned> mode;  // chmod of the socket file
        std::optional<unsigned> gid;   // its group
    };
    // Binds PATH (a stale socket file is replaced); the file is removed on destruction.
    static std::expected<std::unique_ptr<StatusServer>, std::string> create(
        boost::asio::io_context& io, Clock& clock, const std::string& path, Producer produce,
        Handler handle = {}, Access access = {});
    ~StatusServer();
    StatusServer(const StatusServer&) = delete;
    StatusServer& operator=(const StatusServer&) = delete;
    std::size_t served() const { return served_; }

    StatusServer(boost::asio::io_context& io, Clock& clock, std::string path, Producer produce,
                 Handler handle);

  private:
    void accept();
    void serve(std::shared_ptr<boost::asio::local::stream_protocol::socket> s);
    boost::asio::io_context& io_;
    Clock& clock_;  // the wait for a request line
    boost::asio::local::stream_protocol::acceptor acceptor_;
    std::string path_;
    Producer produce_;
    Handler handle_;
    std::size_t served_ = 0;
};

// Connects to PATH, sends REQUEST (one line; "status" for the state) and returns the answer
// (blocking: for the command line only).
std::expected<std::string, std::string> query_status(
    const std::string& path, const std::string& request = R"({"cmd":"status"})");

// A human-readable table from the JSON document.
std::string render_status(const std::string& json);

}  // namespace vigil
