#include "http_response.hpp"

#include <algorithm>
#include <charconv>

namespace vigil::checkers {

std::string http_request(std::string_view path, std::string_view host, std::string_view protocol) {
    bool v11 = protocol == "1.1";
    bool close = v11 || protocol == "1.0C" || protocol == "1.0c";
    std::string r;
    r.reserve(path.size() + host.size() + 80);
    r.append("GET ").append(path).append(v11 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n");
    r.append("User-Agent: KeepAliveClient\r\n");
    if (close) r.append("Connection: close\r\n");
    r.append("Host: ").append(host).append("\r\n\r\n");
    return r;
}

std::string http_host(std::string_view vhost, std::string_view addr, bool ipv6,
                      std::uint16_t port) {
    if (!vhost.empty()) return std::string(vhost);
    std::string h;
    if (ipv6) {
        h.append("[").append(addr).append("]");
    } else {
        h.append(addr);
    }
    h.append(":").append(std::to_string(port));
    return h;
}

bool status_accepted(const std::vector<StatusRange>& ranges, int code) {
    if (ranges.empty()) return code >= 200 && code <= 299;
    for (const auto& r : ranges) {
        if (code >= r.low && code <= r.high) return true;
    }
    return false;
}

int parse_status_code(std::string_view head) {
    std::size_t i = 0;
    while (i < head.size() && head[i] != ' ' && head[i] != '\r') ++i;
    if (i >= head.size() || head[i] != ' ') return 0;
    ++i;
    if (i + 3 >= head.size()) return 0;
    for (std::size_t k = 0; k < 3; ++k) {
        if (head[i + k] < '0' || head[i + k] > '9') return 0;
    }
    // keepalived needs a space after the code; a bare "\r" (no reason phrase) is accepted too.
    if (head[i + 3] != ' ' && head[i + 3] != '\r') return 0;
    return (head[i] - '0') * 100 + (head[i + 1] - '0') * 10 + (head[i + 2] - '0');
}

namespace {
bool iequals_prefix(std::string_view line, std::string_view name) {
    if (line.size() < name.size()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char a = line[i], b = name[i];
        if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
        if (a != b) return false;
    }
    return true;
}
}  // namespace

std::optional<std::uint64_t> parse_content_length(std::string_view head) {
    std::size_t pos = head.find("\r\n");
    while (pos != std::string_view::npos && pos + 2 < head.size()) {
        std::size_t start = pos + 2;
        std::size_t end = head.find("\r\n", start);
        if (end == std::string_view::npos) end = head.size();
        std::string_view line = head.substr(start, end - start);
        constexpr std::string_view name = "content-length:";
        if (iequals_prefix(line, name)) {
            std::string_view v = line.substr(name.size());
            while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
            while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
            std::uint64_t n = 0;
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
            if (ec != std::errc{} || p != v.data() + v.size() || v.empty()) return std::nullopt;
            return n;
        }
        pos = end;
    }
    return std::nullopt;
}

void HttpResponseParser::parse_head() {
    status_ = parse_status_code(head_);
    content_length_ = parse_content_length(head_);
    state_ = (content_length_ && *content_length_ == 0) ? State::complete : State::body;
}

std::span<const std::uint8_t> HttpResponseParser::feed(std::span<const std::uint8_t> in) {
    if (state_ == State::head) {
        static constexpr char crlfcrlf[] = "\r\n\r\n";
        std::size_t i = 0;
        for (; i < in.size() && crlf_match_ < 4; ++i) {
            char c = static_cast<char>(in[i]);
            if (c == crlfcrlf[crlf_match_]) {
                ++crlf_match_;
            } else {
                crlf_match_ = (c == '\r') ? 1 : 0;
            }
        }
        if (head_.size() + i > max_head) {
            state_ = State::error;
            return {};
        }
        head_.append(reinterpret_cast<const char*>(in.data()), i);
        if (crlf_match_ < 4) return {};
        parse_head();
        in = in.subspan(i);
    }
    if (state_ != State::body) return {};
    std::size_t take = in.size();
    if (content_length_) {
        take =
            static_cast<std::size_t>(std::min<std::uint64_t>(take, *content_length_ - body_bytes_));
    }
    body_bytes_ += take;
    if (content_length_ && body_bytes_ >= *content_length_) state_ = State::complete;
    return in.first(take);
}

}  // namespace vigil::checkers
