#include <gtest/gtest.h>

#include "dns_codec.hpp"
#include "misc.hpp"
#include "smtp_reply.hpp"

using namespace vigil::checkers;

TEST(Dns, TypeCodes) {
    EXPECT_EQ(dns_type_code("A"), 1);
    EXPECT_EQ(dns_type_code("soa"), 6);
    EXPECT_EQ(dns_type_code("AAAA"), 28);
    EXPECT_EQ(dns_type_code("TXT"), 16);
    EXPECT_EQ(dns_type_code("PTR"), 12);
    EXPECT_EQ(dns_type_code("any"), 255);
    EXPECT_EQ(dns_type_code("WKS"), std::nullopt);
}

TEST(Dns, EncodesQuery) {
    auto q = encode_dns_query(0x1234, "www.example.org", 1);
    std::vector<std::uint8_t> want{0x12, 0x34, 0x01, 0x00, 0,   1,   0,   0,   0,   0,   0,
                                   0,    3,    'w',  'w',  'w', 7,   'e', 'x', 'a', 'm', 'p',
                                   'l',  'e',  3,    'o',  'r', 'g', 0,   0,   1,   0,   1};
    EXPECT_EQ(q, want);
    auto root = encode_dns_query(1, ".", 6);
    EXPECT_EQ(root.size(), 12u + 1 + 4);
    EXPECT_EQ(encode_dns_query(1, "a.b.", 1), encode_dns_query(1, "a.b", 1));
    EXPECT_TRUE(encode_dns_query(1, "a..b", 1).empty());
    EXPECT_TRUE(encode_dns_query(1, std::string(64, 'x'), 1).empty());
}

TEST(Dns, ChecksReply) {
    std::vector<std::uint8_t> r{0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0};
    EXPECT_EQ(check_dns_reply(r, 0x1234), DnsReply::ok);
    EXPECT_EQ(check_dns_reply(r, 0x1235), DnsReply::wrong_id);
    r[3] = 0x83;  // NXDOMAIN
    EXPECT_EQ(check_dns_reply(r, 0x1234), DnsReply::error_rcode);
    r[3] = 0x80;
    r[2] = 0x01;  // a query, not an answer
    EXPECT_EQ(check_dns_reply(r, 0x1234), DnsReply::not_response);
    EXPECT_EQ(check_dns_reply(std::span(r).first(5), 0x1234), DnsReply::too_short);
}

namespace {
std::optional<int> feed(SmtpReplyReader& r, std::string_view s) {
    std::size_t used = 0;
    return r.feed(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()), used);
}
}  // namespace

TEST(Smtp, Replies) {
    SmtpReplyReader r;
    EXPECT_EQ(feed(r, "220 mail ESMTP\r\n"), 220);
    r.reset();
    EXPECT_EQ(feed(r, "250-first\r\n250-"), std::nullopt);
    EXPECT_EQ(feed(r, "second\r\n250 last\r\n"), 250);
    r.reset();
    EXPECT_EQ(feed(r, "554\r\n"), 554);
    r.reset();
    EXPECT_EQ(feed(r, "hello\r\n"), 0);
}

TEST(Misc, ExitCodes) {
    EXPECT_TRUE(misc_outcome(0, false).ok);
    EXPECT_FALSE(misc_outcome(1, true).ok);
    EXPECT_EQ(misc_outcome(1, true).failure, Failure::script_failed);
    EXPECT_FALSE(misc_outcome(5, false).ok);
    auto d = misc_outcome(12, true);
    EXPECT_TRUE(d.ok);
    EXPECT_EQ(d.weight, 10);
    EXPECT_EQ(misc_outcome(255, true).weight, 253);
    EXPECT_EQ(misc_outcome(-1, true).failure, Failure::script_timeout);
    EXPECT_EQ(misc_outcome(-2, true).failure, Failure::spawn_failed);
}
