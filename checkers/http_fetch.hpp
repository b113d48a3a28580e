// One HTTP or HTTPS GET on a fresh connection, its status and the MD5 of its body as keepalived
// computes it, the whole exchange bounded by one timeout. Used by HTTP_GET/SSL_GET and
// vigil-genhash.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <string>

#include "digest.hpp"
#include "probe.hpp"
#include "socket_options.hpp"
#include "tls.hpp"

namespace vigil::checkers {

struct FetchRequest {
    boost::asio::ip::tcp::endpoint dst;
    SocketOptions options;
    TlsProvider* tls = nullptr;  // null: plain HTTP
    std::string sni;             // empty: none
    std::string request;         // see http_request()
    Duration timeout{std::chrono::seconds(5)};
    bool digest = true;
    bool keep_head = false;
    // With a regex: the body window [regex_min_offset, ...) is searched once complete.
    std::shared_ptr<const std::regex> regex;
    std::size_t regex_min_offset = 0;
    std::size_t regex_max_offset = 0;
};

struct FetchResult {
    Failure failure = Failure::none;  // none: a complete response with a head was read
    std::string detail;
    int status = 0;
    Md5Digest digest{};
    std::uint64_t body_bytes = 0;
    std::string head;                   // with keep_head
    std::optional<bool> regex_matched;  // with a regex, on a complete response
};

using FetchDone = std::function<void(FetchResult)>;

// done is called once, never from within this call, unless the returned probe is cancelled.
std::shared_ptr<Probe> start_fetch(boost::asio::io_context& io, Clock& clock, FetchRequest req,
                                   FetchDone done);

}  // namespace vigil::checkers
