#include <gtest/gtest.h>

#include "packet.hpp"

namespace vigil::vrrp {
namespace {

using boost::asio::ip::make_address;
using Bytes = std::vector<std::uint8_t>;

// Checksums below were computed by hand / with an independent RFC 1071 implementation.
const Bytes kV2None = {0x21, 0x33, 0x64, 0x01, 0x00, 0x01, 0xb9, 0x17, 192, 168,
                       1,    10,   0,    0,    0,    0,    0,    0,    0,   0};
const Bytes kV2Pass = {0x21, 0x33, 0x64, 0x01, 0x01, 0x01, 0x7b, 0xcb, 192, 168,
                       1,    10,   's',  'e',  'c',  'r',  'e',  't',  0,   0};
const Bytes kV3v4 = {0x31, 0x01, 200, 0x01, 0x00, 100, 0x11, 0xa5, 10, 0, 0, 100};
const Bytes kV3v6 = {0x31, 0x02, 100, 0x01, 0x00, 100, 0x3e, 0xbf, 0x20, 0x01, 0x0d, 0xb8,
                     0,    0,    0,   0,    0,    0,   0,    0,    0,    0,    0,    1};

const auto kSrc4 = make_address("10.0.0.1");
const auto kGroup4 = make_address("224.0.0.18");
const auto kSrc6 = make_address("fe80::1");
const auto kGroup6 = make_address("ff02::12");

Advert v2_none() {
    Advert a;
    a.version = 2;
    a.vrid = 51;
    a.priority = 100;
    a.interval_cs = 100;
    a.addresses = {make_address("192.168.1.10")};
    return a;
}

TEST(Packet, ChecksumRfc1071Example) {
    // RFC 1071 section 3 example: the sum of these words is ddf2, the checksum its complement.
    const Bytes data = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    EXPECT_EQ(inet_checksum(data), static_cast<std::uint16_t>(~0xddf2u));
}

TEST(Packet, EncodeV2NoAuthMatchesKnownBytes) {
    EXPECT_EQ(encode(v2_none(), kSrc4, kGroup4), kV2None);
}

TEST(Packet, EncodeV2PassMatchesKnownBytes) {
    auto a = v2_none();
    a.auth_type = AuthType::pass;
    a.auth = pad_password("secret");
    EXPECT_EQ(encode(a, kSrc4, kGroup4), kV2Pass);
}

TEST(Packet, EncodeV3Ipv4UsesPseudoHeader) {
    Advert a;
    a.version = 3;
    a.vrid = 1;
    a.priority = 200;
    a.interval_cs = 100;
    a.addresses = {make_address("10.0.0.100")};
    EXPECT_EQ(encode(a, kSrc4, kGroup4), kV3v4);
    // Another source gives another checksum: the pseudo-header is covered.
    EXPECT_NE(encode(a, make_address("10.0.0.2"), kGroup4), kV3v4);
}

TEST(Packet, EncodeV3Ipv6UsesPseudoHeader) {
    Advert a;
    a.version = 3;
    a.vrid = 2;
    a.priority = 100;
    a.interval_cs = 100;
    a.addresses = {make_address("2001:db8::1")};
    EXPECT_EQ(encode(a, kSrc6, kGroup6), kV3v6);
}

TEST(Packet, DecodeKnownVectors) {
    auto a = decode(kV2Pass, kSrc4, kGroup4);
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->version, 2);
    EXPECT_EQ(a->vrid, 51);
    EXPECT_EQ(a->priority, 100);
    EXPECT_EQ(a->auth_type, AuthType::pass);
    EXPECT_EQ(a->auth, pad_password("secret"));
    EXPECT_EQ(a->interval_cs, 100);
    ASSERT_EQ(a->addresses.size(), 1u);
    EXPECT_EQ(a->addresses[0], make_address("192.168.1.10"));

    auto b = decode(kV3v6, kSrc6, kGroup6);
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(b->version, 3);
    EXPECT_EQ(b->vrid, 2);
    EXPECT_EQ(b->addresses, std::vector{make_address("2001:db8::1")});

    auto c = decode(kV3v4, kSrc4, kGroup4);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->priority, 200);
}

TEST(Packet, DecodeV3WithWrongPseudoHeaderFails) {
    auto r = decode(kV3v4, make_address("10.0.0.9"), kGroup4);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), DropReason::bad_checksum);
}

TEST(Packet, DecodeErrors) {
    EXPECT_EQ(decode(Bytes{0x21, 1, 2}, kSrc4, kGroup4).error(), DropReason::too_short);
    auto bad = kV2None;
    bad[0] = 0x41;
    EXPECT_EQ(decode(bad, kSrc4, kGroup4).error(), DropReason::bad_version);
    bad = kV2None;
    bad[0] = 0x22;
    EXPECT_EQ(decode(bad, kSrc4, kGroup4).error(), DropReason::bad_type);
    bad = kV2None;
    bad[3] = 2;  // claims two addresses, has room for one plus auth
    EXPECT_EQ(decode(bad, kSrc4, kGroup4).error(), DropReason::too_short);
    bad = kV2None;
    bad[10] ^= 1;
    EXPECT_EQ(decode(bad, kSrc4, kGroup4).error(), DropReason::bad_checksum);
    bad = kV2None;
    bad.pop_back();  // auth field cut short
    EXPECT_EQ(decode(bad, kSrc4, kGroup4).error(), DropReason::too_short);
}

TEST(Packet, RoundTrips) {
    for (int version : {2, 3}) {
        for (bool v6 : {false, true}) {
            if (version == 2 && v6) continue;
            Advert a;
            a.version = version;
            a.vrid = 255;
            a.priority = 254;
            a.interval_cs = version == 2 ? 300 : 4095;
            for (int i = 1; i <= 20; ++i) {
                if (v6) {
                    auto b = make_address("2001:db8::").to_v6().to_bytes();
                    b[15] = static_cast<std::uint8_t>(i);
                    a.addresses.emplace_back(boost::asio::ip::address_v6(b));
                } else {
                    a.addresses.emplace_back(
                        boost::asio::ip::address_v4(0x0a000000u + static_cast<unsigned>(i)));
                }
            }
            const auto src = v6 ? kSrc6 : kSrc4;
            const auto dst = v6 ? kGroup6 : kGroup4;
            auto bytes = encode(a, src, dst);
            auto back = decode(bytes, src, dst);
            ASSERT_TRUE(back.has_value()) << version << v6;
            EXPECT_EQ(*back, a);
        }
    }
}

TEST(Packet, V2IntervalIsWholeSeconds) {
    auto a = v2_none();
    a.interval_cs = 10;  // 0.1 s cannot be said in v2; at least one second goes out
    auto bytes = encode(a, kSrc4, kGroup4);
    EXPECT_EQ(bytes[5], 1);
}

TEST(Packet, SplitIpv4) {
    // Trailing byte 0xee lies beyond the total length: not payload.
    Bytes d = {0x45, 0,   0,   20 + 20, 0, 0,  0,    0,    255,  112,  0,    0,    10,   0,
               0,    1,   224, 0,       0, 18, 0x21, 0x33, 0x64, 0x01, 0x00, 0x01, 0xb9, 0x17,
               192,  168, 1,   10,      0, 0,  0,    0,    0,    0,    0,    0,    0xee};
    auto r = split_ipv4(d);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->ttl, 255);
    EXPECT_EQ(r->protocol, 112);
    EXPECT_EQ(r->src, make_address("10.0.0.1").to_v4());
    EXPECT_EQ(r->dst, make_address("224.0.0.18").to_v4());
    EXPECT_EQ(Bytes(r->payload.begin(), r->payload.end()), kV2None);
    EXPECT_EQ(split_ipv4(Bytes(10, 0x45)).error(), DropReason::too_short);
    d[0] = 0x65;
    EXPECT_EQ(split_ipv4(d).error(), DropReason::bad_ip_header);
    d[0] = 0x4f;  // header length 60 > datagram
    EXPECT_EQ(split_ipv4(Bytes(d.begin(), d.begin() + 40)).error(), DropReason::bad_ip_header);
}

Expectation expect_v2() {
    Expectation e;
    e.version = 2;
    e.vrid = 51;
    e.interval_cs = 100;
    e.vips = {make_address("192.168.1.10")};
    return e;
}

TEST(Validate, AcceptsMatchingAdvert) {
    EXPECT_TRUE(validate(v2_none(), 255, expect_v2()).has_value());
}

TEST(Validate, EachMismatchHasItsReason) {
    auto e = expect_v2();
    EXPECT_EQ(validate(v2_none(), 254, e).error(), DropReason::bad_ttl);
    auto u = e;
    u.unicast = true;
    EXPECT_TRUE(validate(v2_none(), 60, u).has_value());

    auto a = v2_none();
    a.vrid = 52;
    EXPECT_EQ(validate(a, 255, e).error(), DropReason::unknown_vrid);

    a = v2_none();
    a.version = 3;
    EXPECT_EQ(validate(a, 255, e).error(), DropReason::wrong_version);

    a = v2_none();
    a.interval_cs = 200;
    EXPECT_EQ(validate(a, 255, e).error(), DropReason::interval_mismatch);

    a = v2_none();
    a.addresses.push_back(make_address("192.168.1.11"));
    EXPECT_EQ(validate(a, 255, e).error(), DropReason::addr_count_mismatch);

    a = v2_none();
    a.addresses = {make_address("192.168.1.99")};
    EXPECT_EQ(validate(a, 255, e).error(), DropReason::addr_list_mismatch);

    a = v2_none();
    a.addresses = {make_address("2001:db8::1")};
    EXPECT_EQ(validate(a, 255, e).error(), DropReason::family_mismatch);

    a = v2_none();
    a.auth_type = AuthType::pass;
    EXPECT_EQ(validate(a, 255, e).error(), DropReason::auth_type_mismatch);

    auto ep = e;
    ep.auth_type = AuthType::pass;
    ep.auth = pad_password("secret");
    a.auth = pad_password("secreT");
    EXPECT_EQ(validate(a, 255, ep).error(), DropReason::auth_mismatch);
    a.auth = pad_password("secret");
    EXPECT_TRUE(validate(a, 255, ep).has_value());
}

TEST(Validate, SkipCheckAdvAddrOnlyForTheSameMaster) {
    auto e = expect_v2();
    e.skip_check_adv_addr = true;
    auto a = v2_none();
    a.addresses = {make_address("192.168.1.99")};
    EXPECT_EQ(validate(a, 255, e).error(), DropReason::addr_list_mismatch);
    e.same_master_as_last = true;
    EXPECT_TRUE(validate(a, 255, e).has_value());
}

TEST(Validate, V3AcceptsAnyIntervalButZero) {
    Expectation e;
    e.version = 3;
    e.vrid = 1;
    e.interval_cs = 100;
    e.vips = {make_address("10.0.0.100")};
    Advert a;
    a.version = 3;
    a.vrid = 1;
    a.priority = 100;
    a.interval_cs = 25;  // the backup adopts it
    a.addresses = e.vips;
    EXPECT_TRUE(validate(a, 255, e).has_value());
    a.interval_cs = 0;
    EXPECT_EQ(validate(a, 255, e).error(), DropReason::bad_interval);
}

TEST(Validate, EveryReasonHasAName) {
    for (std::size_t i = 0; i < kDropReasonCount; ++i)
        EXPECT_NE(to_string(static_cast<DropReason>(i)), "unknown");
}

}  // namespace
}  // namespace vigil::vrrp
