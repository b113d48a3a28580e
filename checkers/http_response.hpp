// The HTTP side of HTTP_GET/SSL_GET and vigil-genhash, without sockets: the request keepalived
// sends, and an incremental response parser that yields the body bytes to hash the way
// keepalived and genhash do (raw bytes after the head: chunk framing included, Content-Length
// honoured, otherwise to EOF).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/checkers/config.hpp"

namespace vigil::checkers {

// "GET PATH HTTP/1.x\r\nUser-Agent: KeepAliveClient\r\n[Connection: close\r\n]Host: H\r\n\r\n".
// protocol: "1.0", "1.0C"/"1.0c" or "1.1".
std::string http_request(std::string_view path, std::string_view host, std::string_view protocol);

// The Host header value: the virtual host, else "ADDR:PORT" ("[ADDR]:PORT" for IPv6).
std::string http_host(std::string_view vhost, std::string_view addr, bool ipv6, std::uint16_t port);

class HttpResponseParser {
  public:
    enum class State { head, body, complete, error };
    static constexpr std::size_t max_head = 16 * 1024;

    // Consumes the next bytes read from the server; returns the part of them that is body to
    // hash (a sub-span of `in`, empty when none).
    std::span<const std::uint8_t> feed(std::span<const std::uint8_t> in);

    State state() const { return state_; }
    bool head_done() const { return state_ == State::body || state_ == State::complete; }
    // 0 when the status line is malformed.
    int status_code() const { return status_; }
    std::optional<std::uint64_t> content_length() const { return content_length_; }
    std::uint64_t body_bytes() const { return body_bytes_; }
    const std::string& head() const { return head_; }

  private:
    void parse_head();

    State state_ = State::head;
    std::string head_;
    unsigned crlf_match_ = 0;  // progress through "\r\n\r\n"
    int status_ = 0;
    std::optional<std::uint64_t> content_length_;
    std::uint64_t body_bytes_ = 0;
};

// The status code keepalived reads from a status line: 3 digits after the first space.
int parse_status_code(std::string_view head);
// status_code list of a url; an empty list accepts 200-299 as keepalived does.
bool status_accepted(const std::vector<StatusRange>& ranges, int code);

// Content-Length from a complete head, if present and numeric.
std::optional<std::uint64_t> parse_content_length(std::string_view head);

}  // namespace vigil::checkers
