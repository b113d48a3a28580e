#include "status.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

namespace vigil {

namespace asio = boost::asio;
using asio::local::stream_protocol;

StatusServer::StatusServer(asio::io_context& io, std::string path, Producer produce)
    : acceptor_(io), path_(std::move(path)), produce_(std::move(produce)) {}

std::expected<std::unique_ptr<StatusServer>, std::string> StatusServer::create(
    asio::io_context& io, const std::string& path, Producer produce) {
    std::unique_ptr<StatusServer> s(new StatusServer(io, path, std::move(produce)));
    ::unlink(path.c_str());
    boost::system::error_code ec;
    s->acceptor_.open(stream_protocol(), ec);
    if (!ec) s->acceptor_.bind(stream_protocol::endpoint(path), ec);
    if (!ec) s->acceptor_.listen(16, ec);
    if (ec) return std::unexpected(fmt::format("status socket {}: {}", path, ec.message()));
    s->accept();
    return s;
}

StatusServer::~StatusServer() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    ::unlink(path_.c_str());
}

void StatusServer::accept() {
    acceptor_.async_accept(
        [this](const boost::system::error_code& ec, stream_protocol::socket sock) {
            if (ec == asio::error::operation_aborted) return;
            if (!ec) {
                auto body = std::make_shared<std::string>(produce_() + "\n");
                auto s = std::make_shared<stream_protocol::socket>(std::move(sock));
                ++served_;
                asio::async_write(*s, asio::buffer(*body), [s, body](auto, auto) {
                    boost::system::error_code ignored;
                    s->shutdown(stream_protocol::socket::shutdown_both, ignored);
                });
            }
            accept();
        });
}

std::expected<std::string, std::string> query_status(const std::string& path) {
    asio::io_context io;
    stream_protocol::socket s(io);
    boost::system::error_code ec;
    s.connect(stream_protocol::endpoint(path), ec);
    if (ec) return std::unexpected(fmt::format("{}: {}", path, ec.message()));
    std::string out;
    asio::read(s, asio::dynamic_buffer(out), ec);
    if (ec && ec != asio::error::eof)
        return std::unexpected(fmt::format("{}: {}", path, ec.message()));
    return out;
}

std::string render_status(const std::string& text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) return text;
    std::string out;
    if (j.contains("daemon")) {
        const auto& d = j["daemon"];
        out += fmt::format("vigild pid {}  up {} s  config {}\n", d.value("pid", 0),
                           d.value("uptime_s", 0), d.value("config_file", ""));
    }
    if (j.contains("vrrp") && j["vrrp"].contains("instances")) {
        out += fmt::format("\n{:<16} {:<8} {:>4} {:>5} {:>9}  {:<16} {}\n", "INSTANCE", "STATE",
                           "VRID", "PRIO", "EFFECTIVE", "MASTER", "VIPS");
        for (const auto& i : j["vrrp"]["instances"]) {
            std::string vips;
            for (const auto& v : i.value("vips", nlohmann::json::array()))
                vips += (vips.empty() ? "" : ",") + v.get<std::string>();
            out += fmt::format("{:<16} {:<8} {:>4} {:>5} {:>9}  {:<16} {}\n", i.value("name", ""),
                               i.value("state", ""), i.value("vrid", 0), i.value("priority", 0),
                               i.value("effective_priority", 0), i.value("master", ""), vips);
        }
    }
    if (j.contains("virtual_servers")) {
        for (const auto& vs : j["virtual_servers"]) {
            out += fmt::format("\nvirtual server {}  ({})\n", vs.value("name", ""),
                               vs.value("quorum_up", true) ? "quorum up" : "QUORUM DOWN");
            for (const auto& rs : vs.value("real_servers", nlohmann::json::array()))
                out += fmt::format("  {:<24} {:<5} weight {}\n", rs.value("address", ""),
                                   rs.value("alive", false) ? "UP" : "DOWN", rs.value("weight", 0));
        }
    }
    return out.empty() ? j.dump(2) + "\n" : out;
}

}  // namespace vigil
