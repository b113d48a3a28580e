#include "fsm.hpp"

#include <type_traits>

namespace vigil::vrrp {

namespace {

using namespace std::chrono_literals;

Duration learned(const FsmState& s, const FsmParams& p) {
    return s.master_adver_interval > Duration{0} ? s.master_adver_interval : p.advert_interval;
}

void become_master(Transition& t, const FsmParams& p) {
    t.next.state = State::master;
    t.next.master_adver_interval = p.advert_interval;
    t.next.preempt_ready = true;
    t.actions.push_back(action::CancelTimers{});
    t.actions.push_back(action::AddVips{});
    t.actions.push_back(action::SendAdvert{});
    t.actions.push_back(action::SendGratuitous{});
    t.actions.push_back(action::ArmAdvert{p.advert_interval});
    t.actions.push_back(action::Notify{State::master});
}

void become_backup(Transition& t, const FsmParams& p, bool was_master) {
    t.next.state = State::backup;
    t.actions.push_back(action::CancelTimers{});
    if (was_master) t.actions.push_back(action::RemoveVips{});
    t.actions.push_back(action::ArmMasterDown{
        master_down_interval(p.version, p.priority, learned(t.next, p), p.down_timer_adverts)});
    if (p.preempt && p.preempt_delay > Duration{0} && !was_master) {
        t.next.preempt_ready = false;
        t.actions.push_back(action::ArmPreemptDelay{p.preempt_delay});
    }
    t.actions.push_back(action::Notify{State::backup});
}

// Leaving init or fault: the address owner is master at once, everyone else listens first.
void come_up(Transition& t, const FsmParams& p) {
    if (p.priority == 255 && !p.maintenance)
        become_master(t, p);
    else
        become_backup(t, p, false);
}

void go_fault(Transition& t, bool was_master) {
    t.next.state = State::fault;
    if (was_master) {
        t.actions.push_back(action::SendPriorityZero{});
        t.actions.push_back(action::RemoveVips{});
    }
    t.actions.push_back(action::CancelTimers{});
    t.actions.push_back(action::Notify{State::fault});
}

bool sender_wins(const event::AdvertReceived& e, const FsmParams& p) {
    if (e.priority != p.priority) return e.priority > p.priority;
    return p.primary < e.source;  // equal priority: the higher primary address wins
}

void on_advert_backup(Transition& t, const event::AdvertReceived& e, const FsmParams& p) {
    if (p.version == 3 && e.interval > Duration{0}) t.next.master_adver_interval = e.interval;
    if (e.priority == 0) {
        // The master is leaving: take over after skew time only.
        t.actions.push_back(
            action::ArmMasterDown{skew_time(p.version, p.priority, learned(t.next, p))});
        return;
    }
    if (!p.preempt || e.priority >= p.priority || !t.next.preempt_ready) {
        t.actions.push_back(action::ArmMasterDown{
            master_down_interval(p.version, p.priority, learned(t.next, p), p.down_timer_adverts)});
        return;
    }
    // Lower priority and we may preempt: ignore it, the master-down timer runs out.
}

void on_advert_master(Transition& t, const event::AdvertReceived& e, const FsmParams& p) {
    if (e.priority == 0) {
        t.actions.push_back(action::SendAdvert{});
        t.actions.push_back(action::ArmAdvert{p.advert_interval});
        return;
    }
    if (sender_wins(e, p)) {
        if (p.version == 3 && e.interval > Duration{0}) t.next.master_adver_interval = e.interval;
        // Our advert after theirs makes the other master re-announce its addresses.
        if (p.higher_prio_send_advert) t.actions.push_back(action::SendAdvert{});
        become_backup(t, p, true);
        return;
    }
    // A lower-priority master is around: assert ourselves at once (keepalived), unless told
    // to keep to the RFCs.
    if (!p.lower_prio_no_advert) {
        t.actions.push_back(action::SendAdvert{});
        t.actions.push_back(action::ArmAdvert{p.advert_interval});
    }
    t.actions.push_back(action::NotifyLowerPriority{});
}

}  // namespace

std::string_view to_string(State s) {
    switch (s) {
        case State::init:
            return "INIT";
        case State::backup:
            return "BACKUP";
        case State::master:
            return "MASTER";
        case State::fault:
            return "FAULT";
        case State::stop:
            return "STOP";
    }
    return "UNKNOWN";
}

Duration skew_time(int version, std::uint8_t priority, Duration master_interval) {
    const auto base = version == 3 ? master_interval : Duration{1s};
    return base * (256 - priority) / 256;
}

Duration master_down_interval(int version, std::uint8_t priority, Duration master_interval,
                              int adverts) {
    return adverts * master_interval + skew_time(version, priority, master_interval);
}

Transition step(const FsmState& s, const Event& ev, const FsmParams& p) {
    Transition t{s, {}};
    t.actions.reserve(8);  // no transition emits more; also keeps g++ 12 from a false warning
    const State st = s.state;
    std::visit(
        [&](const auto& e) {
            using E = std::decay_t<decltype(e)>;
            if (st == State::stop) return;  // stopped instances ignore everything
            if constexpr (std::is_same_v<E, event::Startup>) {
                if (st != State::init) return;
                if (e.fault)
                    go_fault(t, false);
                else
                    come_up(t, p);
            } else if constexpr (std::is_same_v<E, event::MasterDownTimerExpired> ||
                                 std::is_same_v<E, event::ForceMaster>) {
                if (st != State::backup) return;
                if (!p.maintenance) return become_master(t, p);
                // Held in BACKUP: keep listening, as if a master were there.
                if constexpr (std::is_same_v<E, event::MasterDownTimerExpired>)
                    t.actions.push_back(action::ArmMasterDown{master_down_interval(
                        p.version, p.priority, learned(t.next, p), p.down_timer_adverts)});
            } else if constexpr (std::is_same_v<E, event::AdvertTimerExpired>) {
                if (st != State::master) return;
                t.actions.push_back(action::SendAdvert{});
                t.actions.push_back(action::ArmAdvert{p.advert_interval});
            } else if constexpr (std::is_same_v<E, event::AdvertReceived>) {
                if (st == State::backup) on_advert_backup(t, e, p);
                if (st == State::master) on_advert_master(t, e, p);
            } else if constexpr (std::is_same_v<E, event::PriorityChanged>) {
                // Tell the backups at once rather than at the next interval.
                if (st != State::master) return;
                t.actions.push_back(action::SendAdvert{});
                t.actions.push_back(action::ArmAdvert{p.advert_interval});
            } else if constexpr (std::is_same_v<E, event::FaultRaised>) {
                if (st == State::backup || st == State::master) go_fault(t, st == State::master);
            } else if constexpr (std::is_same_v<E, event::FaultCleared>) {
                if (st == State::fault) come_up(t, p);
            } else if constexpr (std::is_same_v<E, event::Shutdown>) {
                t.next.state = State::stop;
                if (st == State::init) return;
                if (st == State::master) {
                    t.actions.push_back(action::SendPriorityZero{});
                    t.actions.push_back(action::RemoveVips{});
                }
                t.actions.push_back(action::CancelTimers{});
                t.actions.push_back(action::Notify{State::stop});
            } else if constexpr (std::is_same_v<E, event::PreemptDelayExpired>) {
                t.next.preempt_ready = true;
            } else if constexpr (std::is_same_v<E, event::ForceBackup>) {
                if (st == State::master) become_backup(t, p, true);
            } else if constexpr (std::is_same_v<E, event::MaintenanceChanged>) {
                // The peer takes over after its skew time, as on a shutdown.
                if (st == State::master && p.maintenance) {
                    t.actions.push_back(action::SendPriorityZero{});
                    become_backup(t, p, true);
                }
            }
        },
        ev);
    return t;
}

}  // namespace vigil::vrrp
