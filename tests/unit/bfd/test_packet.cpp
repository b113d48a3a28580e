// The Control packet codec against byte vectors laid out as RFC 5880 section 4.1 draws them,
// and every discard rule of section 6.8.6 that needs no session.
#include <gtest/gtest.h>

#include <vector>

#include "packet.hpp"

using namespace vigil::bfd;

namespace {

// Down, Detect Mult 3, My Discr 0x11223344, Desired Min TX 1 s, Required Min RX 100 ms.
std::vector<std::uint8_t> down_packet() {
    return {0x20, 0x40, 0x03, 0x18, 0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x0f, 0x42, 0x40, 0x00, 0x01, 0x86, 0xa0, 0x00, 0x00, 0x00, 0x00};
}

DropReason reason(const std::vector<std::uint8_t>& b) {
    auto r = decode(b);
    EXPECT_FALSE(r.has_value());
    return r ? DropReason::count_ : r.error();
}

}  // namespace

TEST(BfdPacket, DecodesTheFieldsOfADownPacket) {
    auto p = decode(down_packet());
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->version, 1);
    EXPECT_EQ(p->diag, 0);
    EXPECT_EQ(p->state, State::down);
    EXPECT_FALSE(p->poll || p->final || p->auth || p->demand || p->multipoint);
    EXPECT_EQ(p->detect_mult, 3);
    EXPECT_EQ(p->length, 24);
    EXPECT_EQ(p->my_discriminator, 0x11223344u);
    EXPECT_EQ(p->your_discriminator, 0u);
    EXPECT_EQ(p->desired_min_tx, 1000000u);
    EXPECT_EQ(p->required_min_rx, 100000u);
    EXPECT_EQ(p->required_min_echo_rx, 0u);
}

TEST(BfdPacket, EncodesBitForBit) {
    ControlPacket p;
    p.state = State::up;
    p.poll = true;
    p.diag = static_cast<std::uint8_t>(Diag::detection_expired);
    p.detect_mult = 5;
    p.my_discriminator = 0x01020304;
    p.your_discriminator = 0xa0b0c0d0;
    p.desired_min_tx = 100000;
    p.required_min_rx = 10000;
    const std::vector<std::uint8_t> want = {0x21, 0xe0, 0x05, 0x18, 0x01, 0x02, 0x03, 0x04,
                                            0xa0, 0xb0, 0xc0, 0xd0, 0x00, 0x01, 0x86, 0xa0,
                                            0x00, 0x00, 0x27, 0x10, 0x00, 0x00, 0x00, 0x00};
    auto b = encode(p);
    EXPECT_EQ(std::vector<std::uint8_t>(b.begin(), b.end()), want);
    auto back = decode(b);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, p);
}

TEST(BfdPacket, FlagBitsEachInTheirPlace) {
    auto b = down_packet();
    b[1] = 0x40 | 0x10;  // Final
    EXPECT_TRUE(decode(b)->final);
    b[1] = 0x40 | 0x08;  // C
    EXPECT_TRUE(decode(b)->control_plane_independent);
    b[1] = 0x40 | 0x02;  // D
    EXPECT_TRUE(decode(b)->demand);
    b[1] = 0x00;  // AdminDown with your discriminator 0 is fine
    EXPECT_EQ(decode(b)->state, State::admin_down);
}

TEST(BfdPacket, DiscardRules) {
    auto b = down_packet();
    b[0] = 0x40;  // version 2
    EXPECT_EQ(reason(b), DropReason::bad_version);
    b[0] = 0x00;  // version 0
    EXPECT_EQ(reason(b), DropReason::bad_version);

    b = down_packet();
    b.resize(23);
    EXPECT_EQ(reason(b), DropReason::truncated);
    EXPECT_EQ(reason({}), DropReason::truncated);

    b = down_packet();
    b[3] = 23;
    EXPECT_EQ(reason(b), DropReason::bad_length);
    b[3] = 0;
    EXPECT_EQ(reason(b), DropReason::bad_length);
    b[3] = 25;  // more than the datagram holds
    EXPECT_EQ(reason(b), DropReason::length_exceeds_payload);
    b.push_back(0);  // and now it does: trailing bytes inside the length are accepted
    EXPECT_TRUE(decode(b).has_value());

    b = down_packet();
    b[2] = 0;
    EXPECT_EQ(reason(b), DropReason::zero_multiplier);

    b = down_packet();
    b[1] |= 0x01;
    EXPECT_EQ(reason(b), DropReason::multipoint);

    b = down_packet();
    b[4] = b[5] = b[6] = b[7] = 0;
    EXPECT_EQ(reason(b), DropReason::zero_my_discriminator);

    b = down_packet();
    b[1] = 0xc0;  // Up with Your Discriminator 0
    EXPECT_EQ(reason(b), DropReason::zero_your_discriminator);
    b[1] = 0x80;  // Init likewise
    EXPECT_EQ(reason(b), DropReason::zero_your_discriminator);

    b = down_packet();
    b[1] |= 0x04;  // A bit with a length that has no room for the auth section
    EXPECT_EQ(reason(b), DropReason::bad_length);
    b[3] = 26;
    b.resize(26, 0);
    EXPECT_EQ(reason(b), DropReason::auth_present);
}

TEST(BfdPacket, EveryStateAndDiagRoundTrips) {
    for (int s = 0; s < 4; ++s)
        for (int d = 0; d < 32; ++d) {
            ControlPacket p;
            p.state = static_cast<State>(s);
            p.diag = static_cast<std::uint8_t>(d);
            p.detect_mult = 1;
            p.my_discriminator = 7;
            p.your_discriminator = 9;
            auto back = decode(encode(p));
            ASSERT_TRUE(back.has_value());
            EXPECT_EQ(*back, p);
        }
}
