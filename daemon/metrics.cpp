#include "metrics.hpp"

#include <fmt/format.h>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <charconv>

namespace vigil {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

void MetricsText::family(const std::string& name, const std::string& type,
                         const std::string& help) {
    text_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void MetricsText::sample(const std::string& name, const std::string& labels, double value) {
    if (labels.empty())
        text_ += fmt::format("{} {}\n", name, value);
    else
        text_ += fmt::format("{}{{{}}} {}\n", name, labels, value);
}

std::string MetricsText::label(const std::string& key, const std::string& value) {
    std::string v;
    for (char c : value) {
        if (c == '\\' || c == '"') v += '\\';
        if (c == '\n') {
            v += "\\n";
            continue;
        }
        v += c;
    }
    return fmt::format("{}=\"{}\"", key, v);
}

namespace {

struct Connection : std::enable_shared_from_this<Connection> {
    beast::tcp_stream stream;
    beast::flat_buffer buf;
    http::request<http::empty_body> req;
    http::response<http::string_body> res;
    MetricsServer::Producer& produce;

    Connection(tcp::socket s, MetricsServer::Producer& p) : stream(std::move(s)), produce(p) {}

    void start() {
        stream.expires_after(std::chrono::seconds(10));
        http::async_read(stream, buf, req,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) {
                             if (ec) return;
                             self->respond();
                         });
    }

    void respond() {
        res.version(req.version());
        res.keep_alive(false);
        if (req.method() != http::verb::get && req.method() != http::verb::head) {
            res.result(http::status::method_not_allowed);
            res.body() = "only GET\n";
        } else if (req.target() == "/metrics" || req.target().starts_with("/metrics?")) {
            res.result(http::status::ok);
            res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
            res.body() = produce();
        } else {
            res.result(http::status::not_found);
            res.body() = "see /metrics\n";
        }
        res.prepare_payload();
        http::async_write(stream, res, [self = shared_from_this()](beast::error_code, std::size_t) {
            beast::error_code ignored;
            self->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        });
    }
};

}  // namespace

MetricsServer::MetricsServer(asio::io_context& io, Producer produce)
    : acceptor_(io), produce_(std::move(produce)) {}

MetricsServer::~MetricsServer() {
    boost::system::error_code ec;
    acceptor_.close(ec);
}

std::expected<std::unique_ptr<MetricsServer>, std::string> MetricsServer::create(
    asio::io_context& io, const std::string& listen, Producer produce) {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos)
        return std::unexpected(fmt::format("metrics_listen '{}': expected ADDR:PORT", listen));
    std::string host = listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    unsigned port = 0;
    const std::string ps = listen.substr(colon + 1);
    auto [p, perr] = std::from_chars(ps.data(), ps.data() + ps.size(), port);
    if (perr != std::errc() || p != ps.data() + ps.size() || port > 65535)
        return std::unexpected(fmt::format("metrics_listen '{}': bad port", listen));
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(host, ec);
    if (ec) return std::unexpected(fmt::format("metrics_listen '{}': bad address", listen));
    std::unique_ptr<MetricsServer> s(new MetricsServer(io, std::move(produce)));
    tcp::endpoint ep(addr, static_cast<std::uint16_t>(port));
    s->acceptor_.open(ep.protocol(), ec);
    if (!ec) s->acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) s->acceptor_.bind(ep, ec);
    if (!ec) s->acceptor_.listen(64, ec);
    if (ec) return std::unexpected(fmt::format("metrics_listen {}: {}", listen, ec.message()));
    s->accept();
    return s;
}

void MetricsServer::accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket sock) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) std::make_shared<Connection>(std::move(sock), produce_)->start();
        accept();
    });
}

}  // namespace vigil
