#include <gtest/gtest.h>

#include <algorithm>

#include "fsm.hpp"

namespace vigil::vrrp {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::make_address;

FsmParams params(std::uint8_t prio = 100, int version = 2, Duration adv = 1s) {
    FsmParams p;
    p.priority = prio;
    p.version = version;
    p.advert_interval = adv;
    p.primary = make_address("10.0.0.2");
    return p;
}

FsmState in(State s, Duration learned = Duration{0}) {
    FsmState st;
    st.state = s;
    st.master_adver_interval = learned;
    return st;
}

template <class A>
bool has(const Transition& t) {
    return std::any_of(t.actions.begin(), t.actions.end(),
                       [](const Action& a) { return std::holds_alternative<A>(a); });
}

template <class A>
std::optional<A> find(const Transition& t) {
    for (const auto& a : t.actions)
        if (auto* p = std::get_if<A>(&a)) return *p;
    return std::nullopt;
}

event::AdvertReceived advert(std::uint8_t prio, const char* src = "10.0.0.9",
                             Duration interval = 1s) {
    return {prio, make_address(src), interval};
}

TEST(Fsm, TimerFormulas) {
    // RFC 3768: v2 skew is in seconds regardless of the interval.
    EXPECT_EQ(skew_time(2, 100, 1s), Duration{609375});
    EXPECT_EQ(master_down_interval(2, 100, 1s), Duration{3609375});
    EXPECT_EQ(skew_time(2, 100, 3s), Duration{609375});
    // RFC 5798: v3 skew scales with the master's interval.
    EXPECT_EQ(master_down_interval(3, 100, 100ms), Duration{360937});
    EXPECT_EQ(skew_time(3, 255, 1s), Duration{3906});
    EXPECT_EQ(skew_time(3, 1, 10ms), Duration{9960});
}

TEST(Fsm, StartupBelow255IsBackupWithMasterDownTimer) {
    auto t = step(in(State::init), event::Startup{}, params(150));
    EXPECT_EQ(t.next.state, State::backup);
    EXPECT_EQ(find<action::ArmMasterDown>(t)->after, master_down_interval(2, 150, 1s));
    EXPECT_EQ(find<action::Notify>(t)->state, State::backup);
    EXPECT_FALSE(has<action::AddVips>(t));
    EXPECT_FALSE(has<action::SendAdvert>(t));
}

TEST(Fsm, OwnerIsMasterAtOnce) {
    auto t = step(in(State::init), event::Startup{}, params(255));
    EXPECT_EQ(t.next.state, State::master);
    const std::vector<Action> want = {action::CancelTimers{}, action::AddVips{},
                                      action::SendAdvert{},   action::SendGratuitous{},
                                      action::ArmAdvert{1s},  action::Notify{State::master}};
    EXPECT_EQ(t.actions, want);
}

TEST(Fsm, StartupInFault) {
    auto t = step(in(State::init), event::Startup{true}, params(255));
    EXPECT_EQ(t.next.state, State::fault);
    EXPECT_FALSE(has<action::AddVips>(t));
    EXPECT_EQ(find<action::Notify>(t)->state, State::fault);
}

TEST(Fsm, BackupTakesOverWhenMasterDownExpires) {
    auto t = step(in(State::backup), event::MasterDownTimerExpired{}, params());
    EXPECT_EQ(t.next.state, State::master);
    EXPECT_TRUE(has<action::AddVips>(t));
    EXPECT_TRUE(has<action::SendGratuitous>(t));
    EXPECT_EQ(find<action::ArmAdvert>(t)->after, 1s);
}

TEST(Fsm, MaintenanceMasterStepsDownWithPriorityZero) {
    auto p = params(150);
    p.maintenance = true;
    auto t = step(in(State::master), event::MaintenanceChanged{}, p);
    EXPECT_EQ(t.next.state, State::backup);
    ASSERT_FALSE(t.actions.empty());
    EXPECT_TRUE(std::holds_alternative<action::SendPriorityZero>(t.actions.front()));
    EXPECT_TRUE(has<action::RemoveVips>(t));
    EXPECT_EQ(find<action::Notify>(t)->state, State::backup);
    // Switching it off changes nothing at once: preemption or the master-down timer decide.
    p.maintenance = false;
    EXPECT_TRUE(step(in(State::backup), event::MaintenanceChanged{}, p).actions.empty());
}

TEST(Fsm, MaintenanceHoldsBackup) {
    auto p = params(255);
    p.maintenance = true;
    EXPECT_EQ(step(in(State::init), event::Startup{}, p).next.state, State::backup);
    auto t = step(in(State::backup), event::MasterDownTimerExpired{}, p);
    EXPECT_EQ(t.next.state, State::backup);
    EXPECT_TRUE(has<action::ArmMasterDown>(t));
    EXPECT_FALSE(has<action::AddVips>(t));
    EXPECT_EQ(step(in(State::backup), event::ForceMaster{}, p).next.state, State::backup);
    EXPECT_EQ(step(in(State::fault), event::FaultCleared{}, p).next.state, State::backup);
}

TEST(Fsm, BackupRearmsOnHigherOrEqualAdvert) {
    for (std::uint8_t prio : {100, 200}) {
        auto t = step(in(State::backup), advert(prio), params(100));
        EXPECT_EQ(t.next.state, State::backup);
        ASSERT_EQ(t.actions.size(), 1u);
        EXPECT_EQ(find<action::ArmMasterDown>(t)->after, master_down_interval(2, 100, 1s));
    }
}

TEST(Fsm, BackupIgnoresLowerAdvertWhenPreempting) {
    auto t = step(in(State::backup), advert(50), params(100));
    EXPECT_EQ(t.next.state, State::backup);
    EXPECT_TRUE(t.actions.empty());
}

TEST(Fsm, NopreemptBackupRearmsOnLowerAdvert) {
    auto p = params(100);
    p.preempt = false;
    auto t = step(in(State::backup), advert(50), p);
    EXPECT_TRUE(has<action::ArmMasterDown>(t));
}

TEST(Fsm, PreemptDelayHoldsOffUntilExpired) {
    auto p = params(100);
    p.preempt_delay = 30s;
    auto t = step(in(State::init), event::Startup{}, p);
    EXPECT_EQ(find<action::ArmPreemptDelay>(t)->after, 30s);
    EXPECT_FALSE(t.next.preempt_ready);
    auto t2 = step(t.next, advert(50), p);  // lower master, but the delay is not over
    EXPECT_TRUE(has<action::ArmMasterDown>(t2));
    auto t3 = step(t2.next, event::PreemptDelayExpired{}, p);
    EXPECT_TRUE(t3.next.preempt_ready);
    EXPECT_TRUE(t3.actions.empty());
    auto t4 = step(t3.next, advert(50), p);
    EXPECT_TRUE(t4.actions.empty());  // now ignored: the timer will run out
}

TEST(Fsm, PriorityZeroMeansSkewTime) {
    auto t = step(in(State::backup), advert(0), params(100));
    EXPECT_EQ(find<action::ArmMasterDown>(t)->after, skew_time(2, 100, 1s));
    auto t3 = step(in(State::backup, 100ms), advert(0, "10.0.0.9", 100ms), params(100, 3, 1s));
    EXPECT_EQ(find<action::ArmMasterDown>(t3)->after, skew_time(3, 100, 100ms));
}

TEST(Fsm, V3BackupAdoptsMasterInterval) {
    auto t = step(in(State::backup), advert(200, "10.0.0.9", 50ms), params(100, 3, 1s));
    EXPECT_EQ(t.next.master_adver_interval, 50ms);
    EXPECT_EQ(find<action::ArmMasterDown>(t)->after, master_down_interval(3, 100, 50ms));
    // v2 keeps its own interval (mismatches are dropped before reaching here).
    auto t2 = step(in(State::backup), advert(200, "10.0.0.9", 2s), params(100, 2, 1s));
    EXPECT_EQ(find<action::ArmMasterDown>(t2)->after, master_down_interval(2, 100, 1s));
}

TEST(Fsm, MasterStepsDownForHigherPriority) {
    auto t = step(in(State::master), advert(200), params(100));
    EXPECT_EQ(t.next.state, State::backup);
    EXPECT_TRUE(has<action::RemoveVips>(t));
    EXPECT_TRUE(has<action::ArmMasterDown>(t));
    EXPECT_FALSE(has<action::SendAdvert>(t));
    EXPECT_EQ(find<action::Notify>(t)->state, State::backup);
}

TEST(Fsm, EqualPriorityTieBrokenByPrimaryAddress) {
    auto lose = step(in(State::master), advert(100, "10.0.0.3"), params(100));
    EXPECT_EQ(lose.next.state, State::backup);
    auto win = step(in(State::master), advert(100, "10.0.0.1"), params(100));
    EXPECT_EQ(win.next.state, State::master);
    EXPECT_TRUE(has<action::SendAdvert>(win));
}

TEST(Fsm, MasterAssertsItselfAgainstLowerPriority) {
    auto t = step(in(State::master), advert(50), params(100));
    EXPECT_EQ(t.next.state, State::master);
    const std::vector<Action> want = {action::SendAdvert{}, action::ArmAdvert{1s},
                                      action::NotifyLowerPriority{}};
    EXPECT_EQ(t.actions, want);
}

TEST(Fsm, MasterAnswersPriorityZeroWithAdvert) {
    auto t = step(in(State::master), advert(0), params(100));
    EXPECT_EQ(t.next.state, State::master);
    EXPECT_TRUE(has<action::SendAdvert>(t));
    EXPECT_FALSE(has<action::NotifyLowerPriority>(t));
}

TEST(Fsm, MasterFaultSendsPriorityZeroAndDropsVips) {
    auto t = step(in(State::master), event::FaultRaised{}, params());
    EXPECT_EQ(t.next.state, State::fault);
    EXPECT_TRUE(has<action::SendPriorityZero>(t));
    EXPECT_TRUE(has<action::RemoveVips>(t));
    auto back = step(t.next, event::FaultCleared{}, params());
    EXPECT_EQ(back.next.state, State::backup);
    auto owner = step(t.next, event::FaultCleared{}, params(255));
    EXPECT_EQ(owner.next.state, State::master);
}

TEST(Fsm, ShutdownFromMaster) {
    auto t = step(in(State::master), event::Shutdown{}, params());
    EXPECT_EQ(t.next.state, State::stop);
    const std::vector<Action> want = {action::SendPriorityZero{}, action::RemoveVips{},
                                      action::CancelTimers{}, action::Notify{State::stop}};
    EXPECT_EQ(t.actions, want);
}

TEST(Fsm, SyncGroupForcing) {
    EXPECT_EQ(step(in(State::backup), event::ForceMaster{}, params()).next.state, State::master);
    EXPECT_EQ(step(in(State::master), event::ForceBackup{}, params()).next.state, State::backup);
    EXPECT_EQ(step(in(State::fault), event::ForceMaster{}, params()).next.state, State::fault);
}

// Every state x event x a few parameter sets: invariants that must hold whatever the input.
std::vector<Event> all_events() {
    return {event::Startup{},
            event::Startup{true},
            event::MasterDownTimerExpired{},
            event::AdvertTimerExpired{},
            advert(0),
            advert(1),
            advert(100, "10.0.0.1"),
            advert(100, "10.0.0.3"),
            advert(255),
            event::PriorityChanged{},
            event::FaultRaised{},
            event::FaultCleared{},
            event::Shutdown{},
            event::PreemptDelayExpired{},
            event::ForceMaster{},
            event::ForceBackup{}};
}

TEST(FsmExhaustive, Invariants) {
    const State states[] = {State::init, State::backup, State::master, State::fault, State::stop};
    std::vector<FsmParams> ps = {params(100), params(255), params(1, 3, 10ms)};
    ps.push_back(params(100));
    ps.back().preempt = false;
    ps.push_back(params(100));
    ps.back().preempt_delay = 5s;
    int cases = 0;
    for (auto s : states) {
        for (bool ready : {true, false}) {
            for (const auto& p : ps) {
                for (const auto& e : all_events()) {
                    FsmState st = in(s);
                    st.preempt_ready = ready;
                    auto t = step(st, e, p);
                    ++cases;
                    const auto to = t.next.state;
                    const auto notify = find<action::Notify>(t);
                    SCOPED_TRACE(::testing::Message() << to_string(s) << " event " << e.index()
                                                      << " -> " << to_string(to));
                    // A notification exactly when the state changes (init -> stop is silent).
                    if (to != s && s != State::init) {
                        ASSERT_TRUE(notify);
                        EXPECT_EQ(notify->state, to);
                    } else if (to != s) {
                        EXPECT_EQ(notify.has_value(), to != State::stop);
                    } else {
                        EXPECT_FALSE(notify);
                    }
                    // Stop is absorbing and silent.
                    if (s == State::stop) {
                        EXPECT_EQ(to, State::stop);
                        EXPECT_TRUE(t.actions.empty());
                    }
                    // VIPs are added exactly on entering master, removed exactly on leaving it.
                    EXPECT_EQ(has<action::AddVips>(t), to == State::master && s != State::master);
                    EXPECT_EQ(has<action::RemoveVips>(t),
                              s == State::master && to != State::master);
                    // Only a master sends adverts; priority zero only when leaving master.
                    if (has<action::SendAdvert>(t)) {
                        EXPECT_EQ(to, State::master);
                    }
                    EXPECT_EQ(has<action::SendPriorityZero>(t),
                              s == State::master && (to == State::fault || to == State::stop));
                    // Timers belong to their state.
                    if (has<action::ArmAdvert>(t)) {
                        EXPECT_EQ(to, State::master);
                    }
                    if (has<action::ArmMasterDown>(t)) {
                        EXPECT_EQ(to, State::backup);
                    }
                    if (to == State::master && s != State::master) {
                        EXPECT_TRUE(has<action::ArmAdvert>(t));
                    }
                    if (to == State::backup && s != State::backup) {
                        EXPECT_TRUE(has<action::ArmMasterDown>(t));
                    }
                    // Armed durations are positive.
                    if (auto a = find<action::ArmMasterDown>(t)) {
                        EXPECT_GT(a->after, Duration{0});
                    }
                    if (auto a = find<action::ArmAdvert>(t)) {
                        EXPECT_GT(a->after, Duration{0});
                    }
                    // Leaving a state cancels its timers first.
                    if (to != s && s != State::init) {
                        EXPECT_TRUE(has<action::CancelTimers>(t));
                    }
                    // Fault and stop never come from an advert.
                    if (std::holds_alternative<event::AdvertReceived>(e)) {
                        EXPECT_TRUE(to == s || (s == State::master && to == State::backup));
                    }
                    // Only the owner starts as master.
                    if (s == State::init && to == State::master) {
                        EXPECT_EQ(p.priority, 255);
                    }
                }
            }
        }
    }
    EXPECT_EQ(cases, 5 * 2 * 5 * 16);
}

}  // namespace
}  // namespace vigil::vrrp

namespace vigil::vrrp {
namespace {

using namespace std::chrono_literals;

FsmState master_state() {
    FsmState s;
    s.state = State::master;
    return s;
}

event::AdvertReceived advert_from(std::uint8_t prio) {
    event::AdvertReceived e;
    e.priority = prio;
    e.interval = 1s;
    e.source = boost::asio::ip::make_address("10.0.0.9");
    return e;
}

TEST(FsmKeywords, DownTimerAdvertsSetsTheMasterDownInterval) {
    EXPECT_EQ(master_down_interval(2, 100, 1s, 5), master_down_interval(2, 100, 1s) + 2s);
    FsmParams p;
    p.down_timer_adverts = 5;
    auto t = step(FsmState{}, event::Startup{}, p);
    ASSERT_EQ(t.next.state, State::backup);
    bool armed = false;
    for (const auto& a : t.actions)
        if (const auto* m = std::get_if<action::ArmMasterDown>(&a)) {
            armed = true;
            EXPECT_EQ(m->after, 5 * Duration{1s} + Duration{1s} * 156 / 256);
        }
    EXPECT_TRUE(armed);
}

TEST(FsmKeywords, LowerPrioNoAdvertKeepsQuietButStillNotifies) {
    FsmParams p;
    p.priority = 150;
    auto loud = step(master_state(), advert_from(100), p);
    EXPECT_TRUE(has<action::SendAdvert>(loud));
    p.lower_prio_no_advert = true;
    auto quiet = step(master_state(), advert_from(100), p);
    EXPECT_FALSE(has<action::SendAdvert>(quiet));
    EXPECT_TRUE(has<action::NotifyLowerPriority>(quiet));
    EXPECT_EQ(quiet.next.state, State::master);
}

TEST(FsmKeywords, HigherPrioSendAdvertAdvertsBeforeYielding) {
    FsmParams p;
    p.priority = 100;
    auto plain = step(master_state(), advert_from(200), p);
    EXPECT_EQ(plain.next.state, State::backup);
    EXPECT_FALSE(has<action::SendAdvert>(plain));
    p.higher_prio_send_advert = true;
    auto t = step(master_state(), advert_from(200), p);
    EXPECT_EQ(t.next.state, State::backup);
    ASSERT_FALSE(t.actions.empty());
    EXPECT_TRUE(std::holds_alternative<action::SendAdvert>(t.actions.front()));
}

}  // namespace
}  // namespace vigil::vrrp
