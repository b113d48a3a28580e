#include "http_response.hpp"

#include <gtest/gtest.h>

#include "digest.hpp"

using namespace vigil::checkers;

namespace {

std::span<const std::uint8_t> bytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Feeds `wire` in pieces of `step` bytes; returns the hashed body.
std::string run(HttpResponseParser& p, std::string_view wire, std::size_t step) {
    std::string body;
    for (std::size_t i = 0; i < wire.size(); i += step) {
        auto out = p.feed(bytes(wire.substr(i, step)));
        body.append(reinterpret_cast<const char*>(out.data()), out.size());
    }
    return body;
}

}  // namespace

TEST(HttpRequest, MatchesKeepalived) {
    EXPECT_EQ(
        http_request("/index.html", "10.0.0.1:80", "1.0"),
        "GET /index.html HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 10.0.0.1:80\r\n\r\n");
    EXPECT_EQ(http_request("/", "www.x", "1.1"),
              "GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: "
              "www.x\r\n\r\n");
    EXPECT_EQ(http_request("/", "h", "1.0C"),
              "GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: "
              "h\r\n\r\n");
    EXPECT_EQ(http_host("", "10.1.2.3", false, 8080), "10.1.2.3:8080");
    EXPECT_EQ(http_host("", "fe80::1", true, 80), "[fe80::1]:80");
    EXPECT_EQ(http_host("www.example.org", "10.1.2.3", false, 8080), "www.example.org");
}

TEST(HttpResponse, ContentLengthHonouredExtraBytesIgnored) {
    std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA";
    for (std::size_t step : {1u, 2u, 3u, 7u, 1000u}) {
        HttpResponseParser p;
        EXPECT_EQ(run(p, wire, step), "hello") << step;
        EXPECT_EQ(p.status_code(), 200);
        EXPECT_EQ(p.state(), HttpResponseParser::State::complete);
        EXPECT_EQ(p.body_bytes(), 5u);
    }
}

TEST(HttpResponse, ChunkedFramingIsHashedRaw) {
    std::string body = "5\r\nhello\r\n0\r\n\r\n";
    std::string wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body;
    for (std::size_t step : {1u, 4u, 1000u}) {
        HttpResponseParser p;
        EXPECT_EQ(run(p, wire, step), body);
        EXPECT_EQ(p.state(), HttpResponseParser::State::body);  // to EOF
    }
}

TEST(HttpResponse, CloseDelimitedToEof) {
    HttpResponseParser p;
    EXPECT_EQ(run(p, "HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\nabc\r\n\r\ndef", 5),
              "abc\r\n\r\ndef");
    EXPECT_EQ(p.status_code(), 404);
}

TEST(HttpResponse, ZeroLengthIsCompleteAtHead) {
    HttpResponseParser p;
    EXPECT_TRUE(run(p, "HTTP/1.0 204 No\r\ncontent-length: 0\r\n\r\nxyz", 3).empty());
    EXPECT_EQ(p.state(), HttpResponseParser::State::complete);
}

TEST(HttpResponse, HeadSplitAcrossCrLf) {
    HttpResponseParser p;
    EXPECT_EQ(run(p, "HTTP/1.0 200 OK\r\nA: \r\r\n\r\nbody", 1), "body");
    EXPECT_EQ(p.head(), "HTTP/1.0 200 OK\r\nA: \r\r\n\r\n");
}

TEST(HttpResponse, StatusLine) {
    EXPECT_EQ(parse_status_code("HTTP/1.0 200 OK\r\n"), 200);
    EXPECT_EQ(parse_status_code("HTTP/1.1 503\r\n"), 503);
    EXPECT_EQ(parse_status_code("HTTP/1.1 20 OK\r\n"), 0);
    EXPECT_EQ(parse_status_code("HTTP/1.1 2000 OK\r\n"), 0);
    EXPECT_EQ(parse_status_code("garbage\r\n"), 0);
    EXPECT_EQ(parse_status_code(""), 0);
    EXPECT_EQ(parse_content_length("HTTP/1.0 200 OK\r\nContent-Length:  12 \r\n\r\n"), 12u);
    EXPECT_EQ(parse_content_length("HTTP/1.0 200 OK\r\nContent-Length: x\r\n\r\n"), std::nullopt);
    EXPECT_EQ(parse_content_length("HTTP/1.0 200 OK\r\n\r\n"), std::nullopt);
}

TEST(HttpResponse, HeadTooLargeIsAnError) {
    HttpResponseParser p;
    std::string big(HttpResponseParser::max_head + 10, 'a');
    EXPECT_TRUE(p.feed(bytes(big)).empty());
    EXPECT_EQ(p.state(), HttpResponseParser::State::error);
}

TEST(HttpResponse, StatusRanges) {
    EXPECT_TRUE(status_accepted({}, 200));
    EXPECT_TRUE(status_accepted({}, 299));
    EXPECT_FALSE(status_accepted({}, 301));
    std::vector<StatusRange> r{{200, 200}, {400, 499}};
    EXPECT_TRUE(status_accepted(r, 404));
    EXPECT_FALSE(status_accepted(r, 201));
}

TEST(Md5, KnownDigest) {
    Md5 m;
    m.update(bytes("hel"));
    m.update(bytes("lo\n"));
    EXPECT_EQ(to_hex(m.finish()), "b1946ac92492d2347c6235b4d2611184");
    EXPECT_EQ(to_hex(m.finish()), "d41d8cd98f00b204e9800998ecf8427e");  // reset after finish
}
