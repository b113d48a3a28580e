// The status socket: a Unix stream socket that answers each connection with the daemon's state
// as JSON, and the client side used by `vigild --status`.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <expected>
#include <functional>
#include <string>

namespace vigil {

class StatusServer {
  public:
    using Producer = std::function<std::string()>;
    // Binds PATH (a stale socket file is replaced); the file is removed on destruction.
    static std::expected<std::unique_ptr<StatusServer>, std::string> create(
        boost::asio::io_context& io, const std::string& path, Producer produce);
    ~StatusServer();
    StatusServer(const StatusServer&) = delete;
    StatusServer& operator=(const StatusServer&) = delete;
    std::size_t served() const { return served_; }

  private:
    StatusServer(boost::asio::io_context& io, std::string path, Producer produce);
    void accept();
    boost::asio::local::stream_protocol::acceptor acceptor_;
    std::string path_;
    Producer produce_;
    std::size_t served_ = 0;
};

// Connects to PATH and returns what the daemon wrote (blocking: for the command line only).
std::expected<std::string, std::string> query_status(const std::string& path);

// A human-readable table from the JSON document.
std::string render_status(const std::string& json);

}  // namespace vigil
