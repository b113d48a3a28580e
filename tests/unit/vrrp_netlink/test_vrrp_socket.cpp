// VRRP sockets on a veth pair in a namespace of the test's own: a burst larger than one
// recvmmsg batch and than one turn's bound arrives whole, in order, each datagram its own.
#include <net/if.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <vector>

#include "netns_fixture.hpp"
#include "packet.hpp"
#include "socket.hpp"
#include "vigil/common/fake_clock.hpp"

namespace vigil::vrrp {
namespace {

using namespace std::chrono_literals;

class SocketWire : public vigil::test::NetnsTest {
  protected:
    void SetUp() override {
        NetnsTest::SetUp();
        if (IsSkipped()) return;
        ASSERT_TRUE(vigil::test::sh_ok("sysctl -qw net.ipv6.conf.default.disable_ipv6=1"));
        ASSERT_TRUE(vigil::test::sh_ok(
            "ip link add va type veth peer name vb && ip addr add 10.0.0.1/24 dev va && "
            "ip addr add 10.0.0.2/24 dev vb && ip link set va up && ip link set vb up && "
            // Both ends are in this namespace: vb takes datagrams from va's local address.
            "sysctl -qw net.ipv4.conf.vb.accept_local=1 net.ipv4.conf.all.rp_filter=0 "
            "net.ipv4.conf.vb.rp_filter=0"));
        ASSERT_TRUE(vigil::test::wait_oper_up("va"));
        ASSERT_TRUE(vigil::test::wait_oper_up("vb"));
        va_ = static_cast<int>(if_nametoindex("va"));
        vb_ = static_cast<int>(if_nametoindex("vb"));
    }

    std::unique_ptr<VrrpSocket> open(int ifindex, const char* name, bool receive,
                                     std::shared_ptr<ReceiveArea> area = nullptr) {
        SocketOptions o;
        o.key = {ifindex, false, kGroupV4};
        o.ifname = name;
        o.receive = receive;
        auto s = VrrpSocket::open(io_, clock_, o, std::move(area));
        EXPECT_TRUE(s) << s.error();
        return s ? std::move(*s) : nullptr;
    }

    // Sends adverts of priorities 1..count from va in sendmmsg batches.
    void burst(VrrpSocket& out, int count) {
        const auto src = boost::asio::ip::make_address("10.0.0.1");
        for (int i = 1; i <= count; ++i) {
            Advert a;
            a.vrid = 1;
            a.priority = static_cast<std::uint8_t>(i);
            a.addresses = {boost::asio::ip::make_address("192.0.2.1")};
            out.queue(encode(a, src, kGroupV4), src, kGroupV4);
        }
        out.flush();
    }

    template <class Pred>
    void run_until(Pred done) {
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (!done() && std::chrono::steady_clock::now() < deadline) {
            io_.restart();
            io_.run_for(20ms);
        }
    }

    boost::asio::io_context io_;
    FakeClock clock_;
    int va_ = 0, vb_ = 0;
};

TEST_F(SocketWire, ABurstArrivesWholeAndInOrderThroughBatches) {
    auto out = open(va_, "va", false);
    auto in = open(vb_, "vb", true, ReceiveArea::make());
    ASSERT_TRUE(out && in);
    std::vector<int> priorities;
    in->start([&](const RawPacket& p) {
        EXPECT_EQ(p.src.to_string(), "10.0.0.1");
        EXPECT_EQ(p.ttl, 255);
        auto a = decode(p.message, p.src, p.dst);
        ASSERT_TRUE(a);
        priorities.push_back(a->priority);
    });
    constexpr int kCount = 150;  // > one batch (16) and > one turn (64)
    burst(*out, kCount);
    run_until([&] { return priorities.size() >= kCount; });
    std::vector<int> want;
    for (int i = 1; i <= kCount; ++i) want.push_back(i);
    EXPECT_EQ(priorities, want);
    EXPECT_EQ(in->counters().received, static_cast<std::uint64_t>(kCount));
    EXPECT_EQ(in->counters().receive_errors, 0u);
}

// A handler may end its own socket in the middle of a batch: nothing after it is delivered and
// nothing of the socket is touched again.
TEST_F(SocketWire, AHandlerEndingItsSocketMidBatchStopsTheBatch) {
    auto out = open(va_, "va", false);
    auto area = ReceiveArea::make();
    auto in = open(vb_, "vb", true, area);
    auto other = open(vb_, "vb", true, area);  // shares the area, outlives the first
    ASSERT_TRUE(out && in && other);
    int seen = 0, other_seen = 0;
    in->start([&](const RawPacket&) {
        if (++seen == 5) in.reset();
    });
    other->start([&](const RawPacket&) { ++other_seen; });
    burst(*out, 12);
    run_until([&] { return other_seen >= 12; });
    EXPECT_EQ(seen, 5);
    EXPECT_EQ(other_seen, 12);
}

}  // namespace
}  // namespace vigil::vrrp
