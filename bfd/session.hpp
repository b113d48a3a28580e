// One BFD session (RFC 5880 section 6): the state machine, timer negotiation, poll/final
// sequence, transmit jitter and detection time. Pure: time comes in as arguments, randomness
// from a seeded generator, packets go out as values.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "packet.hpp"
#include "vigil/bfd/types.hpp"

namespace vigil::bfd {

using TimePoint = std::chrono::steady_clock::time_point;
using Micros = std::chrono::microseconds;

struct Timing {
    Micros desired_min_tx{10000};  // while Up
    Micros required_min_rx{10000};
    Micros idle_tx{1000000};  // desired_min_tx while not Up
    std::uint8_t multiplier = 5;
    bool passive = false;  // send nothing until the peer has spoken
    bool operator==(const Timing&) const = default;
};

struct Transition {
    State from = State::down;
    State to = State::down;
    Diag diag = Diag::none;
};

// What the shell must do after a call: send this packet now, report this transition.
struct Actions {
    std::optional<ControlPacket> send;
    std::optional<Transition> transition;
};

class Session {
  public:
    Session(Timing timing, std::uint32_t my_discriminator, std::uint64_t seed, TimePoint now);

    // A packet that decode() accepted and that the shell matched to this session.
    Actions on_packet(const ControlPacket& p, TimePoint now);
    // Call at deadline() (or later): detection expiry, then periodic transmission.
    Actions on_timer(TimePoint now);
    // New intervals or multiplier; a poll sequence carries them to the peer while Up.
    Actions reconfigure(const Timing& timing, TimePoint now);
    // Stops the session (RFC 5880 6.8.16): AdminDown now and then at the rate in effect, for
    // as long as the peer would take to detect our silence (at most kMaxAdminDownSignal), so
    // that a lost packet does not turn the peer's Down into a timeout. A peer never heard, or
    // a session not Init or Up, gets one packet. deadline() is max() once it is over.
    Actions admin_down(TimePoint now);
    static constexpr Micros kMaxAdminDownSignal{3000000};

    TimePoint deadline() const;

    State state() const { return state_; }
    Diag diag() const { return diag_; }
    State remote_state() const { return remote_state_; }
    std::uint32_t my_discriminator() const { return my_disc_; }
    std::uint32_t your_discriminator() const { return remote_disc_; }
    std::uint8_t remote_multiplier() const { return remote_mult_; }
    bool polling() const { return polling_; }
    const Timing& timing() const { return timing_; }
    // Negotiated: max(our desired TX, peer's required RX), before jitter.
    Micros tx_interval() const;
    // Negotiated: max(our required RX, peer's desired TX).
    Micros rx_interval() const;
    // Peer's Detect Mult times rx_interval(); zero before the peer is heard.
    Micros detection_time() const;
    std::uint64_t transitions() const { return transitions_; }

  private:
    ControlPacket make_packet(bool final) const;
    void set_state(State to, Diag diag, Actions& a);
    void set_desired_tx(Micros v);
    void set_required_rx(Micros v);
    void start_poll();
    Micros jittered(Micros interval);
    bool may_transmit() const;
    void arm_detection(TimePoint now);
    void schedule_tx(TimePoint now, bool soon);

    Timing timing_;
    std::uint32_t my_disc_;
    std::uint64_t rng_;
    State state_ = State::down;
    Diag diag_ = Diag::none;

    // What we advertise, and what is in effect until the peer acknowledges a poll.
    Micros desired_tx_adv_, desired_tx_eff_;
    Micros required_rx_adv_, required_rx_eff_;
    bool polling_ = false;

    std::uint32_t remote_disc_ = 0;
    State remote_state_ = State::down;
    Micros remote_min_rx_{1};  // RFC 5880 6.8.1: initially 1
    Micros remote_desired_tx_{0};
    std::uint8_t remote_mult_ = 0;

    TimePoint next_tx_;
    std::optional<TimePoint> detect_at_;
    std::optional<TimePoint> signal_until_;  // AdminDown is sent until then
    Micros signal_tx_{0};
    std::uint64_t transitions_ = 0;
};

}  // namespace vigil::bfd
