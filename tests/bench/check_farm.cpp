// The real-server side of the checker benchmarks: one listener on 0.0.0.0:PORT that answers
// every HTTP request with a small 200 and counts connections and requests. A namespace that
// routes a whole block to lo (`ip route add local 10.1.0.0/16 dev lo`) makes it every server
// of the block at once. Every half second the counts go to STATS as "SECONDS CONNS REQUESTS".
//
//   check_farm PORT STATS
#include <boost/asio.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr std::string_view kResponse =
    "HTTP/1.0 200 OK\r\nContent-Length: 12\r\nContent-Type: text/plain\r\n\r\nhello world\n";

struct Counts {
    unsigned long long conns = 0, requests = 0;
};

void serve(std::shared_ptr<tcp::socket> s, Counts& n) {
    auto buf = std::make_shared<std::array<char, 1024>>();
    s->async_read_some(asio::buffer(*buf),
                       [s, buf, &n](const boost::system::error_code& ec, std::size_t) {
                           if (ec) return;  // a TCP check: connect and close
                           ++n.requests;
                           asio::async_write(*s, asio::buffer(kResponse), [s](auto, auto) {
                               boost::system::error_code ignore;
                               s->shutdown(tcp::socket::shutdown_both, ignore);
                           });
                       });
}

void accept(tcp::acceptor& a, Counts& n) {
    a.async_accept([&a, &n](const boost::system::error_code& ec, tcp::socket s) {
        if (!ec) {
            ++n.conns;
            serve(std::make_shared<tcp::socket>(std::move(s)), n);
        }
        accept(a, n);
    });
}

void report(asio::steady_timer& t, const std::string& path, const Counts& n) {
    t.expires_after(std::chrono::milliseconds(500));
    t.async_wait([&t, &path, &n](const boost::system::error_code& ec) {
        if (ec) return;
        const double now =
            std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
                .count();
        const std::string tmp = path + ".tmp";
        std::ofstream(tmp) << std::fixed << now << ' ' << n.conns << ' ' << n.requests << '\n';
        std::rename(tmp.c_str(), path.c_str());
        report(t, path, n);
    });
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: check_farm PORT STATS\n");
        return 2;
    }
    asio::io_context io;
    tcp::acceptor a(io);
    const tcp::endpoint ep(tcp::v4(), static_cast<unsigned short>(std::atoi(argv[1])));
    a.open(ep.protocol());
    a.set_option(asio::socket_base::reuse_address(true));
    a.bind(ep);
    a.listen(4096);
    Counts n;
    accept(a, n);
    const std::string path = argv[2];
    asio::steady_timer t(io);
    report(t, path, n);
    io.run();
}
