// The session core against RFC 5880's rules, driven by a fake clock: two sessions joined by a
// lossless zero-delay wire, or one session fed packets by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "session.hpp"

using namespace vigil::bfd;
using namespace std::chrono_literals;

namespace {

const TimePoint t0{};

Timing fast(std::uint8_t mult = 3) {
    Timing t;
    t.desired_min_tx = 100ms;
    t.required_min_rx = 100ms;
    t.idle_tx = 1s;
    t.multiplier = mult;
    return t;
}

// Two sessions and a wire; `cut` drops everything B sends (B died).
struct Pair {
    Session a{fast(), 0xa, 1, t0};
    Session b{fast(), 0xb, 2, t0};
    TimePoint now = t0;
    bool cut = false;
    std::vector<Transition> ta, tb;
    std::vector<ControlPacket> sent_a;

    void deliver(Actions act, bool from_a) {
        for (int hops = 0; hops < 8; ++hops) {
            if (act.transition) (from_a ? ta : tb).push_back(*act.transition);
            if (!act.send) return;
            if (from_a) sent_a.push_back(*act.send);
            if (cut) return;  // B is gone: nothing reaches it, nothing comes from it
            Actions next = from_a ? b.on_packet(*act.send, now) : a.on_packet(*act.send, now);
            from_a = !from_a;
            act = next;
        }
    }
    void run_until(TimePoint end) {
        while (true) {
            TimePoint next = std::min(a.deadline(), cut ? TimePoint::max() : b.deadline());
            if (next > end) break;
            now = std::max(now, next);
            if (a.deadline() <= now) deliver(a.on_timer(now), true);
            if (!cut && b.deadline() <= now) deliver(b.on_timer(now), false);
        }
        now = end;
    }
};

ControlPacket from_peer(State s, std::uint32_t your, std::uint8_t mult = 3,
                        std::uint32_t tx = 100000, std::uint32_t rx = 100000) {
    ControlPacket p;
    p.state = s;
    p.detect_mult = mult;
    p.my_discriminator = 0x77;
    p.your_discriminator = your;
    p.desired_min_tx = tx;
    p.required_min_rx = rx;
    return p;
}

}  // namespace

TEST(BfdSession, ThreeWayHandshakeBringsBothUp) {
    Pair w;
    w.run_until(t0 + 3s);
    EXPECT_EQ(w.a.state(), State::up);
    EXPECT_EQ(w.b.state(), State::up);
    ASSERT_GE(w.ta.size(), 1u);
    // Each side passes Down -> Init -> Up or Down -> Up (RFC 5880 6.2).
    EXPECT_EQ(w.ta.back().to, State::up);
    EXPECT_EQ(w.tb.back().to, State::up);
    EXPECT_EQ(w.a.your_discriminator(), 0xbu);
    EXPECT_EQ(w.b.your_discriminator(), 0xau);
}

TEST(BfdSession, SlowRateUntilUpThenTheConfiguredRateAfterAPoll) {
    Pair w;
    w.run_until(t0 + 3s);
    // While not Up the packets ask for at least idle_tx (6.8.3: not less than one second).
    ASSERT_FALSE(w.sent_a.empty());
    EXPECT_EQ(w.sent_a.front().desired_min_tx, 1000000u);
    EXPECT_EQ(w.sent_a.front().state, State::down);
    // Going Up changed Desired Min TX: a Poll went out and the peer's Final ended it.
    bool polled = std::any_of(w.sent_a.begin(), w.sent_a.end(), [](const ControlPacket& p) {
        return p.poll && p.desired_min_tx == 100000u;
    });
    EXPECT_TRUE(polled);
    EXPECT_FALSE(w.a.polling());
    EXPECT_EQ(w.a.tx_interval(), 100ms);
    EXPECT_EQ(w.a.rx_interval(), 100ms);
    EXPECT_EQ(w.a.detection_time(), 300ms);
    // Up at 100 ms: about ten packets a second, none closer than 75 ms.
    const auto before = w.sent_a.size();
    w.run_until(w.now + 1s);
    const auto n = w.sent_a.size() - before;
    EXPECT_GE(n, 10u);
    EXPECT_LE(n, 14u);
}

TEST(BfdSession, DetectionTimeExpiryTakesItDownWithDiag1) {
    Pair w;
    w.run_until(t0 + 3s);
    ASSERT_EQ(w.a.state(), State::up);
    w.cut = true;
    const TimePoint died = w.now;
    w.ta.clear();
    w.run_until(died + 2s);
    ASSERT_FALSE(w.ta.empty());
    EXPECT_EQ(w.ta.front().from, State::up);
    EXPECT_EQ(w.ta.front().to, State::down);
    EXPECT_EQ(w.ta.front().diag, Diag::detection_expired);
    EXPECT_EQ(w.a.diag(), Diag::detection_expired);
    // Forgotten peer: discriminator reset, back to the slow rate.
    EXPECT_EQ(w.a.your_discriminator(), 0u);
    EXPECT_EQ(w.a.tx_interval(), 1s);
}

TEST(BfdSession, DetectionTimeIsPeerMultTimesSlowerOfRxAndPeerTx) {
    Session s(fast(5), 1, 1, t0);
    auto a = s.on_packet(from_peer(State::down, 0, 4, 250000, 50000), t0);
    EXPECT_EQ(s.state(), State::init);
    // max(our 100 ms, the peer's 250 ms) x the peer's 4 = 1 s; our own multiplier plays no part.
    EXPECT_EQ(s.detection_time(), 1s);
    EXPECT_EQ(s.deadline(), std::min(t0 + 1s, s.deadline()));
    auto none = s.on_timer(t0 + 999ms);
    EXPECT_FALSE(none.transition);
    auto down = s.on_timer(t0 + 1s);
    ASSERT_TRUE(down.transition);
    EXPECT_EQ(down.transition->to, State::down);
    (void)a;
}

TEST(BfdSession, StateTableOfSection6_8_6) {
    {  // Down + Init -> Up
        Session s(fast(), 1, 1, t0);
        s.on_packet(from_peer(State::init, 1), t0);
        EXPECT_EQ(s.state(), State::up);
    }
    {  // Down + Up stays Down
        Session s(fast(), 1, 1, t0);
        s.on_packet(from_peer(State::up, 1), t0);
        EXPECT_EQ(s.state(), State::down);
    }
    {  // Init + Up -> Up; Up + Init stays Up; Up + Down -> Down (diag 3)
        Session s(fast(), 1, 1, t0);
        s.on_packet(from_peer(State::down, 0), t0);
        EXPECT_EQ(s.state(), State::init);
        s.on_packet(from_peer(State::up, 1), t0);
        EXPECT_EQ(s.state(), State::up);
        s.on_packet(from_peer(State::init, 1), t0);
        EXPECT_EQ(s.state(), State::up);
        auto a = s.on_packet(from_peer(State::down, 1), t0);
        EXPECT_EQ(s.state(), State::down);
        ASSERT_TRUE(a.transition);
        EXPECT_EQ(a.transition->diag, Diag::neighbor_down);
        ASSERT_TRUE(a.send);  // the change is told at once
        EXPECT_EQ(a.send->state, State::down);
        EXPECT_EQ(a.send->diag, static_cast<std::uint8_t>(Diag::neighbor_down));
    }
    {  // the neighbour's AdminDown takes an Up session Down with diag 3
        Session s(fast(), 1, 1, t0);
        s.on_packet(from_peer(State::init, 1), t0);
        ASSERT_EQ(s.state(), State::up);
        s.on_packet(from_peer(State::admin_down, 1), t0);
        EXPECT_EQ(s.state(), State::down);
        EXPECT_EQ(s.diag(), Diag::neighbor_down);
    }
}

TEST(BfdSession, AdminDownIsSentForADetectionTimeThenSilence) {
    Session s(fast(), 1, 1, t0);
    s.on_packet(from_peer(State::init, 1), t0);
    ASSERT_EQ(s.state(), State::up);
    auto a = s.admin_down(t0);
    ASSERT_TRUE(a.send);
    EXPECT_EQ(a.send->state, State::admin_down);
    EXPECT_EQ(a.send->diag, static_cast<std::uint8_t>(Diag::admin_down));
    // RFC 5880 6.8.16: the peer's detection time of us is 3 x 100 ms; keep telling it until then,
    // at the Up rate (not the 1 s of a session that is not Up).
    std::vector<TimePoint> sent{t0};
    while (s.deadline() != TimePoint::max()) {
        const TimePoint at = s.deadline();
        ASSERT_LT(at, t0 + 300ms);
        EXPECT_FALSE(s.on_packet(from_peer(State::up, 1), at).send);  // ignored meanwhile
        auto b = s.on_timer(at);
        ASSERT_TRUE(b.send);
        EXPECT_EQ(b.send->state, State::admin_down);
        EXPECT_FALSE(b.transition);
        EXPECT_GE(at - sent.back(), 75ms);
        EXPECT_LE(at - sent.back(), 100ms);
        sent.push_back(at);
    }
    EXPECT_GE(sent.size(), 3u);
    EXPECT_LE(sent.size(), 4u);
    EXPECT_GE(sent.back(), t0 + 200ms);
    EXPECT_EQ(s.state(), State::admin_down);
    EXPECT_FALSE(s.on_timer(t0 + 10s).send);
}

TEST(BfdSession, AdminDownSignalIsBoundedAndSkippedForAPeerNeverHeard) {
    {  // 50 x 1 s would hold the daemon's exit for 50 s
        Timing t = fast(50);
        t.desired_min_tx = 1s;
        Session s(t, 1, 1, t0);
        s.on_packet(from_peer(State::init, 1, 3, 100000, 1000), t0);
        ASSERT_EQ(s.state(), State::up);
        s.admin_down(t0);
        TimePoint last = t0;
        while (s.deadline() != TimePoint::max()) {
            last = s.deadline();
            ASSERT_TRUE(s.on_timer(last).send);
        }
        EXPECT_LT(last, t0 + Session::kMaxAdminDownSignal);
        EXPECT_GE(last, t0 + Session::kMaxAdminDownSignal - 1s);
    }
    {  // nobody to tell: one packet, then nothing
        Session s(fast(), 1, 1, t0);
        EXPECT_TRUE(s.admin_down(t0).send);
        EXPECT_EQ(s.deadline(), TimePoint::max());
    }
}

TEST(BfdSession, PollIsAnsweredAtOnceWithFinal) {
    Session s(fast(), 1, 1, t0);
    s.on_packet(from_peer(State::init, 1), t0);
    auto p = from_peer(State::up, 1);
    p.poll = true;
    auto a = s.on_packet(p, t0 + 10ms);
    ASSERT_TRUE(a.send);
    EXPECT_TRUE(a.send->final);
    EXPECT_FALSE(a.send->poll);  // never both
}

TEST(BfdSession, LargerTxWaitsForFinalSmallerRxKeepsDetectionUntilFinal) {
    Session s(fast(), 1, 1, t0);
    s.on_packet(from_peer(State::init, 1), t0);
    ASSERT_EQ(s.state(), State::up);
    auto f = from_peer(State::up, 1);
    f.final = true;
    s.on_packet(f, t0);  // ends the poll that going Up started
    ASSERT_FALSE(s.polling());
    ASSERT_EQ(s.tx_interval(), 100ms);

    Timing t = fast();
    t.desired_min_tx = 500ms;
    t.required_min_rx = 20ms;
    auto a = s.reconfigure(t, t0 + 1ms);
    ASSERT_TRUE(a.send);
    EXPECT_TRUE(a.send->poll);
    EXPECT_EQ(a.send->desired_min_tx, 500000u);
    EXPECT_EQ(a.send->required_min_rx, 20000u);
    EXPECT_EQ(s.tx_interval(), 100ms);     // old rate until the peer agrees
    EXPECT_EQ(s.detection_time(), 300ms);  // old detection until the peer agrees
    auto peer = from_peer(State::up, 1, 3, 100000, 100000);
    s.on_packet(peer, t0 + 2ms);
    EXPECT_TRUE(s.polling());
    peer.final = true;
    s.on_packet(peer, t0 + 3ms);
    EXPECT_FALSE(s.polling());
    EXPECT_EQ(s.tx_interval(), 500ms);
    EXPECT_EQ(s.detection_time(), 300ms);  // max(20 ms, the peer's 100 ms) x 3
}

TEST(BfdSession, JitterBetween75And100PercentAnd90WithMultiplier1) {
    for (std::uint8_t mult : {std::uint8_t(3), std::uint8_t(1)}) {
        Session s(fast(mult), 1, 42, t0);
        s.on_packet(from_peer(State::init, 1, 3, 100000, 100000), t0);
        auto f = from_peer(State::up, 1);
        f.final = true;
        TimePoint now = t0;
        s.on_packet(f, now);
        std::vector<double> gaps;
        TimePoint last{};
        bool have = false;
        for (int i = 0; i < 2000; ++i) {
            now = s.deadline();
            s.on_packet(from_peer(State::up, 1), now);  // keep it Up
            auto a = s.on_timer(now);
            if (!a.send) continue;
            if (have) gaps.push_back(std::chrono::duration<double, std::milli>(now - last).count());
            last = now;
            have = true;
        }
        ASSERT_GT(gaps.size(), 1000u);
        const auto [lo, hi] = std::minmax_element(gaps.begin(), gaps.end());
        EXPECT_GE(*lo, 75.0);
        EXPECT_LE(*hi, mult == 1 ? 90.0 : 100.0);
        EXPECT_LT(*lo, 77.0);  // the whole range is used
        EXPECT_GT(*hi, mult == 1 ? 88.0 : 98.0);
    }
}

TEST(BfdSession, PassiveWaitsForThePeer) {
    Timing t = fast();
    t.passive = true;
    Session s(t, 1, 1, t0);
    EXPECT_EQ(s.deadline(), TimePoint::max());
    EXPECT_FALSE(s.on_timer(t0 + 10s).send);
    auto a = s.on_packet(from_peer(State::down, 0), t0 + 10s);
    ASSERT_TRUE(a.send);  // Down -> Init, told at once
    EXPECT_EQ(a.send->state, State::init);
    EXPECT_EQ(a.send->your_discriminator, 0x77u);
}

TEST(BfdSession, PeerAskingForNoPacketsGetsNone) {
    Session s(fast(), 1, 1, t0);
    s.on_packet(from_peer(State::down, 0, 3, 1000000, 0), t0);
    EXPECT_EQ(s.state(), State::init);
    // Only the detection timer remains.
    EXPECT_EQ(s.deadline(), t0 + 3s);
}

TEST(BfdSession, UpStaysUpWhilePacketsKeepComing) {
    Pair w;
    w.run_until(t0 + 60s);
    EXPECT_EQ(w.a.state(), State::up);
    EXPECT_EQ(w.b.state(), State::up);
    EXPECT_EQ(w.a.transitions(), w.ta.size());
    EXPECT_LE(w.ta.size(), 2u);
}
