// The VRRP state machine as a pure function: (state, event, params) -> (state, actions).
// RFC 5798 section 6.4 with keepalived's choices; no clock, no socket.
#pragma once

#include <chrono>
#include <cstdint>
#include <variant>
#include <vector>

#include "vigil/vrrp/config.hpp"
#include "vigil/vrrp/engine.hpp"

namespace vigil::vrrp {

struct FsmParams {
    std::uint8_t priority = 100;  // effective priority now
    bool preempt = true;
    Duration preempt_delay{0};
    Duration advert_interval = std::chrono::seconds(1);  // our own
    int version = 2;
    Address primary;                       // our source address: ties are broken by it
    int down_timer_adverts = 3;            // master-down = this many intervals + skew (RFC: 3)
    bool lower_prio_no_advert = false;     // a master ignores lower-priority adverts (RFC)
    bool higher_prio_send_advert = false;  // a master yielding to a higher one adverts first
    bool maintenance = false;  // operator's hold: never master, a master steps down at once
};

struct FsmState {
    State state = State::init;
    Duration master_adver_interval{0};  // v3: learned from the master; 0 until known
    bool preempt_ready = true;          // preempt_delay elapsed (or none)
    bool operator==(const FsmState&) const = default;
};

namespace event {
struct Startup {
    bool fault = false;
};
struct MasterDownTimerExpired {};
struct AdvertTimerExpired {};
struct AdvertReceived {
    std::uint8_t priority = 0;
    Address source;
    Duration interval{0};
};
struct PriorityChanged {};
struct FaultRaised {};
struct FaultCleared {};
struct Shutdown {};
struct PreemptDelayExpired {};
struct ForceMaster {};         // sync group: a member became master
struct ForceBackup {};         // sync group: a member left master
struct MaintenanceChanged {};  // FsmParams::maintenance was switched
}  // namespace event

using Event = std::variant<event::Startup, event::MasterDownTimerExpired, event::AdvertTimerExpired,
                           event::AdvertReceived, event::PriorityChanged, event::FaultRaised,
                           event::FaultCleared, event::Shutdown, event::PreemptDelayExpired,
                           event::ForceMaster, event::ForceBackup, event::MaintenanceChanged>;

namespace action {
struct SendAdvert {
    bool operator==(const SendAdvert&) const = default;
};
struct SendPriorityZero {
    bool operator==(const SendPriorityZero&) const = default;
};
struct AddVips {
    bool operator==(const AddVips&) const = default;
};
struct RemoveVips {
    bool operator==(const RemoveVips&) const = default;
};
struct SendGratuitous {
    bool operator==(const SendGratuitous&) const = default;
};
struct ArmMasterDown {
    Duration after;
    bool operator==(const ArmMasterDown&) const = default;
};
struct ArmAdvert {
    Duration after;
    bool operator==(const ArmAdvert&) const = default;
};
struct ArmPreemptDelay {
    Duration after;
    bool operator==(const ArmPreemptDelay&) const = default;
};
struct CancelTimers {
    bool operator==(const CancelTimers&) const = default;
};
struct Notify {
    State state;
    bool operator==(const Notify&) const = default;
};
struct NotifyLowerPriority {
    bool operator==(const NotifyLowerPriority&) const = default;
};
}  // namespace action

using Action = std::variant<action::SendAdvert, action::SendPriorityZero, action::AddVips,
                            action::RemoveVips, action::SendGratuitous, action::ArmMasterDown,
                            action::ArmAdvert, action::ArmPreemptDelay, action::CancelTimers,
                            action::Notify, action::NotifyLowerPriority>;

struct Transition {
    FsmState next;
    std::vector<Action> actions;
};

// v2: (256 - priority) / 256 s (RFC 3768); v3: (256 - priority) * interval / 256 (RFC 5798).
Duration skew_time(int version, std::uint8_t priority, Duration master_interval);
Duration master_down_interval(int version, std::uint8_t priority, Duration master_interval,
                              int adverts = 3);

Transition step(const FsmState& state, const Event& event, const FsmParams& params);

}  // namespace vigil::vrrp
