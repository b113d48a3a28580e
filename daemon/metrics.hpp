// Prometheus text metrics over HTTP (Boost.Beast), for a listener such as 127.0.0.1:9650.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <expected>
#include <functional>
#include <memory>
#include <string>

namespace vigil {

// Builds exposition text, one family at a time.
class MetricsText {
  public:
    void family(const std::string& name, const std::string& type, const std::string& help);
    // labels: already formatted `a="x",b="y"` (use label()), may be empty.
    void sample(const std::string& name, const std::string& labels, double value);
    static std::string label(const std::string& key, const std::string& value);
    const std::string& text() const { return text_; }

  private:
    std::string text_;
};

class MetricsServer {
  public:
    using Producer = std::function<std::string()>;
    // listen: "ADDR:PORT" or "[V6]:PORT".
    static std::expected<std::unique_ptr<MetricsServer>, std::string> create(
        boost::asio::io_context& io, const std::string& listen, Producer produce);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;
    boost::asio::ip::tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }

  private:
    MetricsServer(boost::asio::io_context& io, Producer produce);
    void accept();
    boost::asio::ip::tcp::acceptor acceptor_;
    Producer produce_;
};

}  // namespace vigil
