#include "status.hpp"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

namespace vigil {

namespace asio = boost::asio;
using asio::local::stream_protocol;

StatusServer::StatusServer(asio::io_context& io, Clock& clock, std::string path, Producer produce,
                           Handler handle)
    : io_(io),
      clock_(clock),
      acceptor_(io),
      path_(std::move(path)),
      produce_(std::move(produce)),
      handle_(std::move(handle)) {}

std::expected<std::unique_ptr<StatusServer>, std::string> StatusServer::create(
    asio::io_context& io, Clock& clock, const std::string& path, Producer produce, Handler handle,
    Access access) {
    auto s = std::make_unique<StatusServer>(io, clock, path, std::move(produce), std::move(handle));
    ::unlink(path.c_str());
    boost::system::error_code ec;
    s->acceptor_.open(stream_protocol(), ec);
    if (!ec) s->acceptor_.bind(stream_protocol::endpoint(path), ec);
    if (!ec) s->acceptor_.listen(16, ec);
    if (ec) return std::unexpected(fmt::format("status socket {}: {}", path, ec.message()));
    if (access.gid && ::chown(path.c_str(), static_cast<uid_t>(-1), *access.gid) != 0)
        return std::unexpected(
            fmt::format("status socket {}: chown: {}", path, std::strerror(errno)));
    if (access.mode && ::chmod(path.c_str(), *access.mode) != 0)
        return std::unexpected(
            fmt::format("status socket {}: chmod: {}", path, std::strerror(errno)));
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
                ++served_;
                serve(std::make_shared<stream_protocol::socket>(std::move(sock)));
            }
            accept();
        });
}

namespace {

constexpr std::size_t kMaxRequest = 4096;

void answer(std::shared_ptr<stream_protocol::socket> s, std::string text) {
    auto body = std::make_shared<std::string>(std::move(text) + "\n");
    asio::async_write(*s, asio::buffer(*body), [s, body](auto, auto) {
        boost::system::error_code ignored;
        s->shutdown(stream_protocol::socket::shutdown_both, ignored);
    });
}

}  // namespace

void StatusServer::serve(std::shared_ptr<stream_protocol::socket> s) {
    Peer peer;
    ucred cred{};
    socklen_t len = sizeof(cred);
    if (::getsockopt(s->native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
        peer.pid = cred.pid;
        peer.uid = cred.uid;
        peer.gid = cred.gid;
    }
    // Held by the pending read alone: the wait's alarm lives in it and holds no owner back.
    struct Conn {
        std::string buf;
        std::optional<Clock::Alarm> wait;
        bool done = false;
    };
    auto c = std::make_shared<Conn>();
    auto finish = [this, s, peer](Conn& conn, bool got_line) {
        if (conn.done) return;
        conn.done = true;
        conn.wait->cancel();
        std::string line = conn.buf.substr(0, conn.buf.find('\n'));
        if (!got_line || line.empty() || !handle_)
            answer(s, produce_());
        else
            answer(s, handle_(line, peer));
    };
    // A bare reader (nc -U, socat) says nothing: it gets the status.
    c->wait.emplace(clock_, [w = std::weak_ptr<Conn>(c), finish] {
        if (auto conn = w.lock()) finish(*conn, false);
    });
    c->wait->arm_after(std::chrono::milliseconds(200));
    asio::async_read_until(
        *s, asio::dynamic_buffer(c->buf, kMaxRequest), '\n',
        [c, finish](const boost::system::error_code& ec, std::size_t) { finish(*c, !ec); });
}

std::expected<std::string, std::string> query_status(const std::string& path,
                                                     const std::string& request) {
    asio::io_context io;
    stream_protocol::socket s(io);
    boost::system::error_code ec;
    s.connect(stream_protocol::endpoint(path), ec);
    if (ec) return std::unexpected(fmt::format("{}: {}", path, ec.message()));
    asio::write(s, asio::buffer(request + "\n"), ec);
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
