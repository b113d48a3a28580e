#include "announce.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <vector>

#include "netns_fixture.hpp"

using namespace vigil::vrrp;
using boost::asio::ip::make_address_v4;
using boost::asio::ip::make_address_v6;

namespace {

const MacAddress kMac{0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

const std::vector<std::uint8_t> kGarp192_0_2_10 = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,                     // broadcast
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01,                     // interface MAC
    0x08, 0x06,                                             // ARP
    0x00, 0x01, 0x08, 0x00, 6,    4,    0x00, 0x01,         // Ethernet/IPv4, request
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 192,  0,    2, 10,  // sender: MAC, VIP
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 192,  0,    2, 10,  // target: all ones, VIP
};

std::vector<std::uint8_t> na_2001_db8__10(bool router) {
    std::vector<std::uint8_t> f = {
        0x33, 0x33, 0x00, 0x00, 0x00, 0x01,             // all-nodes multicast MAC
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01,             // interface MAC
        0x86, 0xdd,                                     // IPv6
        0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 58,   255,  // payload 32, ICMPv6, hop limit 255
        0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0x10,  // src VIP
        0xff, 0x02, 0,    0,    0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0x01,  // ff02::1
        136,  0,    0xf9, 0x0c,                                                     // NA, checksum
        0x20, 0,    0,    0,                                                        // override
        0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0x10,  // target
        2,    1,    0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // target link-layer address option
    };
    if (router) {
        f[14 + 40 + 2] = 0x79;
        f[14 + 40 + 4] = 0xa0;
    }
    return f;
}

}  // namespace

TEST(AnnounceBuild, GarpBytes) {
    GarpFrame f = build_garp(kMac, make_address_v4("192.0.2.10"));
    EXPECT_EQ(std::vector<std::uint8_t>(f.begin(), f.end()), kGarp192_0_2_10);
}

TEST(AnnounceBuild, UnsolicitedNaBytes) {
    NaFrame f = build_unsolicited_na(kMac, make_address_v6("2001:db8::10"), false);
    EXPECT_EQ(std::vector<std::uint8_t>(f.begin(), f.end()), na_2001_db8__10(false));
    NaFrame r = build_unsolicited_na(kMac, make_address_v6("2001:db8::10"), true);
    EXPECT_EQ(std::vector<std::uint8_t>(r.begin(), r.end()), na_2001_db8__10(true));
}

TEST(AnnounceBuild, ChecksumVerifiesToZero) {
    NaFrame f = build_unsolicited_na(kMac, make_address_v6("fe80::1234:5678:9abc:def0"), false);
    std::array<std::uint8_t, 16> src, dst;
    std::copy_n(f.begin() + 22, 16, src.begin());
    std::copy_n(f.begin() + 38, 16, dst.begin());
    // Summing a message that carries its own checksum gives 0xffff, so the helper returns 0.
    EXPECT_EQ(icmp6_checksum(src, dst, std::span<const std::uint8_t>(f).subspan(54)), 0);
}

TEST(AnnounceBuild, ChecksumOddLength) {
    std::array<std::uint8_t, 16> zero{};
    const std::uint8_t one[] = {0x01};
    // pseudo-header: length 1 + next header 58, then 0x0100.
    EXPECT_EQ(icmp6_checksum(zero, zero, one), static_cast<std::uint16_t>(~(1 + 58 + 0x0100)));
}

namespace {

// A packet socket on one veth end that records what arrives.
class Capture {
  public:
    explicit Capture(int ifindex) {
        fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
        sockaddr_ll sll{};
        sll.sll_family = AF_PACKET;
        sll.sll_protocol = htons(ETH_P_ALL);
        sll.sll_ifindex = ifindex;
        ok_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&sll), sizeof(sll)) == 0;
        timeval tv{0, 200'000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    }
    ~Capture() {
        if (fd_ >= 0) ::close(fd_);
    }
    bool ok() const { return ok_; }

    // First frame of the given ethertype within 3 s (other traffic is skipped).
    std::optional<std::vector<std::uint8_t>> next(std::uint16_t ethertype) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        while (std::chrono::steady_clock::now() < deadline) {
            std::vector<std::uint8_t> buf(2048);
            ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
            if (n < 14) continue;
            buf.resize(static_cast<std::size_t>(n));
            if (((buf[12] << 8) | buf[13]) == ethertype) return buf;
        }
        return std::nullopt;
    }

  private:
    int fd_ = -1;
    bool ok_ = false;
};

}  // namespace

class AnnounceWire : public vigil::test::NetnsTest {
  protected:
    void SetUp() override {
        NetnsTest::SetUp();
        if (IsSkipped()) return;
        // No IPv6 on the links: the kernel's own ND/MLD traffic stays out of the capture.
        ASSERT_TRUE(vigil::test::sh_ok("sysctl -qw net.ipv6.conf.default.disable_ipv6=1"));
        ASSERT_TRUE(
            vigil::test::sh_ok("ip link add va address 02:00:00:00:00:01 type veth peer name vb && "
                               "ip link set va up && ip link set vb up"));
        ASSERT_TRUE(vigil::test::wait_oper_up("va"));
        ASSERT_TRUE(vigil::test::wait_oper_up("vb"));
        va_ = static_cast<int>(if_nametoindex("va"));
        vb_ = static_cast<int>(if_nametoindex("vb"));
        ASSERT_GT(va_, 0);
        ASSERT_GT(vb_, 0);
    }
    int va_ = 0, vb_ = 0;
};

TEST_F(AnnounceWire, GarpArrivesOnPeerExactly) {
    Capture cap(vb_);
    ASSERT_TRUE(cap.ok());
    auto ann = Announcer::open();
    ASSERT_TRUE(ann) << ann.error();
    ASSERT_TRUE(ann->send_garp(va_, kMac, make_address_v4("192.0.2.10")));
    auto frame = cap.next(0x0806);
    ASSERT_TRUE(frame);
    EXPECT_EQ(*frame, kGarp192_0_2_10);
    EXPECT_EQ(ann->counters().garp_sent, 1u);
}

TEST_F(AnnounceWire, UnsolicitedNaArrivesOnPeerExactly) {
    Capture cap(vb_);
    ASSERT_TRUE(cap.ok());
    auto ann = Announcer::open();
    ASSERT_TRUE(ann) << ann.error();
    ASSERT_TRUE(ann->send_unsolicited_na(va_, kMac, make_address_v6("2001:db8::10")));
    auto frame = cap.next(0x86dd);
    ASSERT_TRUE(frame);
    EXPECT_EQ(*frame, na_2001_db8__10(false));
    EXPECT_EQ(ann->counters().na_sent, 1u);
}

TEST_F(AnnounceWire, SendOnMissingInterfaceFailsAndCounts) {
    auto ann = Announcer::open();
    ASSERT_TRUE(ann) << ann.error();
    EXPECT_FALSE(ann->send_garp(99999, kMac, make_address_v4("192.0.2.10")));
    EXPECT_EQ(ann->counters().garp_failed, 1u);
}

TEST_F(AnnounceWire, RouterFlagFollowsForwarding) {
    ASSERT_TRUE(vigil::test::sh_ok("sysctl -qw net.ipv6.conf.va.disable_ipv6=0"));
    ASSERT_TRUE(vigil::test::sh_ok("sysctl -qw net.ipv6.conf.va.forwarding=0"));
    EXPECT_FALSE(ipv6_forwarding("va"));
    ASSERT_TRUE(vigil::test::sh_ok("sysctl -qw net.ipv6.conf.va.forwarding=1"));
    EXPECT_TRUE(ipv6_forwarding("va"));
    EXPECT_FALSE(ipv6_forwarding("nonexistent0"));
}
