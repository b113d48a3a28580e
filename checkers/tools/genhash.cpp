// vigil-genhash: keepalived's genhash. Prints the MD5 of a page's body as HTTP_GET/SSL_GET
// compute it, for their `digest` keyword.
#include <getopt.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "http_fetch.hpp"
#include "http_response.hpp"
#include "tls_plugin.hpp"

namespace {

void usage(const char* prog) {
    std::printf(
        "Usage: %s COMMAND [OPTIONS]\n"
        "Commands:\n"
        "   -s server-address -p port -u url\n"
        "   -S -s server-address -p port -u url\n"
        "   -h\n\n"
        "Options:\n"
        "Either long or short options are allowed.\n"
        "   --use-ssl         -S       Use SSL connection to remote server.\n"
        "   --use-sni         -I       Use SNI during SSL handshake (uses virtualhost setting; "
        "see -V).\n"
        "   --server          -s       Use the specified remote server address.\n"
        "   --port            -p       Use the specified remote server port.\n"
        "   --url             -u       Use the specified remote server url.\n"
        "   --use-virtualhost -V       Use the specified virtualhost in GET query.\n"
        "   --verbose         -v       Use verbose mode output.\n"
        "   --help            -h       Display this short inlined help screen.\n"
        "   --fwmark          -m       Use the specified FW mark.\n"
        "   --protocol        -P       Use the specified HTTP protocol - '1.0', 1.0c', '1.1'.\n"
        "                                1.0c means 1.0 with 'Connection: close'\n"
        "   --timeout         -t       Timeout in seconds\n",
        prog);
}

}  // namespace

int main(int argc, char** argv) {
    using namespace vigil::checkers;
    static const option longopts[] = {{"use-ssl", no_argument, nullptr, 'S'},
                                      {"use-sni", no_argument, nullptr, 'I'},
                                      {"server", required_argument, nullptr, 's'},
                                      {"port", required_argument, nullptr, 'p'},
                                      {"url", required_argument, nullptr, 'u'},
                                      {"use-virtualhost", required_argument, nullptr, 'V'},
                                      {"verbose", no_argument, nullptr, 'v'},
                                      {"help", no_argument, nullptr, 'h'},
                                      {"fwmark", required_argument, nullptr, 'm'},
                                      {"protocol", required_argument, nullptr, 'P'},
                                      {"timeout", required_argument, nullptr, 't'},
                                      {nullptr, 0, nullptr, 0}};

    bool ssl = false, sni = false, verbose = false;
    std::string server, url, vhost, protocol = "1.0";
    std::optional<unsigned long> port;
    unsigned long fwmark = 0, timeout_s = 5;
    int c;
    while ((c = getopt_long(argc, argv, "SIs:p:u:V:vhm:P:t:", longopts, nullptr)) != -1) {
        char* end = nullptr;
        switch (c) {
            case 'S':
                ssl = true;
                break;
            case 'I':
                sni = true;
                break;
            case 's':
                server = optarg;
                break;
            case 'p':
                port = std::strtoul(optarg, &end, 10);
                if (*end || *port == 0 || *port > 65535) {
                    std::fprintf(stderr, "Invalid port '%s'\n", optarg);
                    return 1;
                }
                break;
            case 'u':
                url = optarg;
                break;
            case 'V':
                vhost = optarg;
                break;
            case 'v':
                verbose = true;
                break;
            case 'h':
                usage(argv[0]);
                return 0;
            case 'm':
                fwmark = std::strtoul(optarg, &end, 0);
                break;
            case 'P':
                protocol = optarg;
                if (protocol != "1.0" && protocol != "1.0c" && protocol != "1.0C" &&
                    protocol != "1.1") {
                    std::fprintf(stderr, "Invalid protocol '%s'\n", optarg);
                    return 1;
                }
                break;
            case 't':
                timeout_s = std::strtoul(optarg, &end, 10);
                if (*end || timeout_s == 0) {
                    std::fprintf(stderr, "Invalid timeout '%s'\n", optarg);
                    return 1;
                }
                break;
            default:
                usage(argv[0]);
                return 1;
        }
    }
    if (server.empty() || url.empty()) {
        usage(argv[0]);
        return 1;
    }
    boost::system::error_code ec;
    auto addr = boost::asio::ip::make_address(server, ec);
    if (ec) {
        std::fprintf(stderr, "Invalid server address '%s'\n", server.c_str());
        return 1;
    }
    auto p = static_cast<std::uint16_t>(port.value_or(ssl ? 443 : 80));

    boost::asio::io_context io;
    vigil::AsioClock clock(io);
    std::shared_ptr<TlsProvider> tls;
    FetchRequest req;
    req.dst = boost::asio::ip::tcp::endpoint(addr, p);
    req.options.fwmark = static_cast<std::uint32_t>(fwmark);
    if (ssl) {
        auto plugin = TlsPlugin::load();
        auto made =
            plugin ? plugin->make(TlsClientConfig{}) : std::unexpected(std::move(plugin.error()));
        if (!made) {
            std::fprintf(stderr, "SSL: %s\n", made.error().c_str());
            return 1;
        }
        tls = std::move(*made);
        req.tls = tls.get();
        if (sni) req.sni = vhost;
    }
    req.request = http_request(url, http_host(vhost, addr.to_string(), addr.is_v6(), p), protocol);
    req.timeout = std::chrono::seconds(timeout_s);
    req.keep_head = verbose;

    std::optional<FetchResult> result;
    auto start = clock.now();
    auto probe = start_fetch(io, clock, req, [&](FetchResult r) { result = std::move(r); });
    io.run();
    auto took = std::chrono::duration_cast<std::chrono::microseconds>(clock.now() - start);
    if (!result || result->failure != Failure::none) {
        std::fprintf(stderr, "Connection failed: %s\n",
                     result ? result->detail.c_str() : "no result");
        return 1;
    }
    if (verbose) {
        std::printf("-----------------------[ HTTP Header Ascii Buffer ]-----------------------\n");
        std::fwrite(result->head.data(), 1, result->head.size(), stdout);
        std::printf(
            "\n-----------------------[ HTML hash final resulting ]-----------------------\n");
    }
    std::printf("%s\n", to_hex(result->digest).c_str());
    if (verbose) {
        std::printf("\nGlobal response time for [%s] = %lld usecs\n", url.c_str(),
                    static_cast<long long>(took.count()));
    }
    return 0;
}
