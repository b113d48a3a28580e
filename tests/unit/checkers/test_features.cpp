// Pure cores of PING_CHECK, FILE_CHECK, UDP_CHECK reply matching, HEX_STR and the body regex.
#include <gtest/gtest.h>

#include "file_check.hpp"
#include "http_regex.hpp"
#include "ping_codec.hpp"
#include "udp_reply.hpp"
#include "vigil/checkers/parse.hpp"

using namespace vigil::checkers;

namespace {
std::vector<std::uint8_t> bytes(std::string_view s) {
    return {s.begin(), s.end()};
}
}  // namespace

TEST(HexPattern, KeepalivedExample) {
    auto p = parse_hex_pattern("Ab12f 3 456 546443123", false);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->data, (std::vector<std::uint8_t>{0xab, 0x12, 0x0f, 0x03, 0x45, 0x06, 0x54, 0x64,
                                                  0x43, 0x12, 0x03}));
    EXPECT_TRUE(p->mask.empty());
}

TEST(HexPattern, WildcardsOnlyWhenAllowed) {
    auto p = parse_hex_pattern("4x X1", true);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->data, (std::vector<std::uint8_t>{0x40, 0x01}));
    EXPECT_EQ(p->mask, (std::vector<std::uint8_t>{0x0f, 0xf0}));
    EXPECT_FALSE(parse_hex_pattern("4x", false));
    EXPECT_FALSE(parse_hex_pattern("zz", true));
    EXPECT_FALSE(parse_hex_pattern("   ", true));
}

TEST(UdpReply, DataMaskAndLength) {
    UdpCheck u;
    u.require_reply = true;
    u.reply_data = {0x12, 0x34, 0x56};
    u.reply_mask = {0x00, 0x0f, 0x00};
    EXPECT_FALSE(udp_reply_error(u, std::vector<std::uint8_t>{0x12, 0x3f, 0x56, 0x99}));
    // Only the shorter of the two is compared.
    EXPECT_FALSE(udp_reply_error(u, std::vector<std::uint8_t>{0x12}));
    EXPECT_TRUE(udp_reply_error(u, std::vector<std::uint8_t>{0x12, 0x44, 0x56}));
    EXPECT_TRUE(udp_reply_error(u, std::vector<std::uint8_t>{0x13}));
    u.min_reply_length = 2;
    u.max_reply_length = 3;
    EXPECT_TRUE(udp_reply_error(u, std::vector<std::uint8_t>{0x12}));
    EXPECT_TRUE(udp_reply_error(u, std::vector<std::uint8_t>{0x12, 0x34, 0x56, 0x00}));
    EXPECT_FALSE(udp_reply_error(u, std::vector<std::uint8_t>{0x12, 0x34, 0x56}));
}

TEST(BodyRegex, WindowOffsets) {
    auto re = compile_body_regex("ready", {});
    ASSERT_TRUE(re);
    RegexWindow all(0, 0);
    all.feed(bytes("status: re"));
    all.feed(bytes("ady\n"));  // split across reads
    EXPECT_TRUE(all.matches(**re));

    RegexWindow late(12, 0);  // the match at offset 8 starts before min
    late.feed(bytes("status: ready ..."));
    EXPECT_FALSE(late.matches(**re));

    RegexWindow bounded(0, 8);  // must start before 8
    bounded.feed(bytes("status: ready"));
    EXPECT_FALSE(bounded.matches(**re));
    RegexWindow bounded9(0, 9);
    bounded9.feed(bytes("status: ready"));
    EXPECT_TRUE(bounded9.matches(**re));
}

TEST(BodyRegex, OptionsAndErrors) {
    auto re = compile_body_regex("READY", {"caseless"});
    ASSERT_TRUE(re);
    RegexWindow w(0, 0);
    w.feed(bytes("all ready"));
    EXPECT_TRUE(w.matches(**re));
    EXPECT_FALSE(compile_body_regex("(unclosed", {}));
    EXPECT_TRUE(regex_error("(unclosed", {}));
    EXPECT_FALSE(regex_error("ok[0-9]+", {}));
}

TEST(BodyRegex, LongBodyIsBoundedAndSafe) {
    auto re = compile_body_regex("(a|b)*c", {});
    ASSERT_TRUE(re);
    RegexWindow w(0, 0);
    std::string big(1 << 20, 'a');
    w.feed(bytes(big));
    w.feed(bytes("c"));  // beyond the window: not seen
    EXPECT_FALSE(w.matches(**re));
}

TEST(PingCodec, RequestChecksumAndReplyMatch) {
    std::vector<std::uint8_t> payload{1, 2, 3, 4};
    auto req = build_echo_request(false, 0x1234, 7, payload);
    ASSERT_EQ(req.size(), 12u);
    EXPECT_EQ(req[0], 8);
    EXPECT_EQ(internet_checksum(req), 0);  // a valid checksum sums to zero

    auto reply = req;
    reply[0] = 0;
    EXPECT_EQ(match_echo_reply(reply, false, false, true, 0x1234, 7, payload), EchoMatch::reply);
    EXPECT_EQ(match_echo_reply(reply, false, false, true, 0x1235, 7, payload), EchoMatch::other);
    EXPECT_EQ(match_echo_reply(reply, false, false, false, 0x1235, 7, payload), EchoMatch::reply);
    EXPECT_EQ(match_echo_reply(reply, false, false, true, 0x1234, 8, payload), EchoMatch::other);
    EXPECT_EQ(match_echo_reply(req, false, false, true, 0x1234, 7, payload), EchoMatch::other);

    std::vector<std::uint8_t> with_ip(20, 0);
    with_ip[0] = 0x45;
    with_ip.insert(with_ip.end(), reply.begin(), reply.end());
    EXPECT_EQ(match_echo_reply(with_ip, false, true, true, 0x1234, 7, payload), EchoMatch::reply);
    with_ip.resize(25);
    EXPECT_EQ(match_echo_reply(with_ip, false, true, true, 0x1234, 7, payload), EchoMatch::other);

    auto req6 = build_echo_request(true, 1, 2, payload);
    EXPECT_EQ(req6[0], 128);
    auto reply6 = req6;
    reply6[0] = 129;
    EXPECT_EQ(match_echo_reply(reply6, true, false, true, 1, 2, payload), EchoMatch::reply);
    EXPECT_EQ(match_echo_reply(reply, true, false, true, 1, 2, payload), EchoMatch::other);
}

TEST(FileCheck, ValuesAsKeepalivedReadsThem) {
    EXPECT_EQ(parse_track_value("0\n"), 0);
    EXPECT_EQ(parse_track_value("  12\n"), 12);
    EXPECT_EQ(parse_track_value("0x10"), 16);
    EXPECT_EQ(parse_track_value("-5"), -5);
    EXPECT_EQ(parse_track_value("abc"), 0);
    EXPECT_EQ(parse_track_value(""), 0);
    EXPECT_FALSE(parse_track_value("99999999999"));
    EXPECT_EQ(read_track_value("/nonexistent/vigil/track"), 0);
}

TEST(FileCheck, Verdicts) {
    EXPECT_TRUE(file_outcome(0, 0, false).ok);
    EXPECT_FALSE(file_outcome(3, 0, false).ok);
    EXPECT_EQ(file_outcome(3, 0, false).failure, Failure::file_fault);
    EXPECT_FALSE(file_outcome(0, 0, true).ok);  // reverse: zero is down
    EXPECT_TRUE(file_outcome(3, 0, true).ok);

    auto w = file_outcome(3, 5, false);
    EXPECT_TRUE(w.ok);
    EXPECT_EQ(w.offset, 15);
    EXPECT_EQ(file_outcome(3, 5, true).offset, -15);
    EXPECT_EQ(file_outcome(0, 5, false).offset, 0);
    EXPECT_FALSE(file_outcome(-2147483648LL, 1, false).ok);  // INT_MIN is a fault
}
