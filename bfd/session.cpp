#include "session.hpp"

#include <algorithm>

namespace vigil::bfd {

namespace {

std::uint64_t splitmix(std::uint64_t& s) {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::uint32_t wire(Micros v) {
    return static_cast<std::uint32_t>(std::clamp<std::int64_t>(v.count(), 0, 0xffffffffLL));
}

}  // namespace

Session::Session(Timing timing, std::uint32_t my_discriminator, std::uint64_t seed, TimePoint now)
    : timing_(timing),
      my_disc_(my_discriminator),
      rng_(seed),
      desired_tx_adv_(std::max(timing.idle_tx, timing.desired_min_tx)),
      desired_tx_eff_(desired_tx_adv_),
      required_rx_adv_(timing.required_min_rx),
      required_rx_eff_(timing.required_min_rx),
      next_tx_(now) {}

Micros Session::tx_interval() const {
    return std::max(desired_tx_eff_, remote_min_rx_);
}

Micros Session::rx_interval() const {
    return std::max(required_rx_eff_, remote_desired_tx_);
}

Micros Session::detection_time() const {
    return rx_interval() * remote_mult_;
}

// RFC 5880 6.8.7: 0-25% shorter, and at most 90% of the interval with a multiplier of 1.
Micros Session::jittered(Micros interval) {
    const auto r = splitmix(rng_) % 10001;
    const std::int64_t lo = timing_.multiplier == 1 ? 1000 : 0;  // in 1/10000ths of a cut
    const std::int64_t cut_e4 = lo + static_cast<std::int64_t>(r) * (2500 - lo) / 10000;
    return Micros(interval.count() - interval.count() * cut_e4 / 10000);
}

bool Session::may_transmit() const {
    if (state_ == State::admin_down) return false;
    if (remote_min_rx_.count() == 0) return false;
    return !(timing_.passive && remote_disc_ == 0);
}

TimePoint Session::deadline() const {
    if (state_ == State::admin_down)
        return signal_until_ && next_tx_ < *signal_until_ ? next_tx_ : TimePoint::max();
    TimePoint t = TimePoint::max();
    if (detect_at_) t = *detect_at_;
    if (may_transmit()) t = std::min(t, next_tx_);
    return t;
}

ControlPacket Session::make_packet(bool final) const {
    ControlPacket p;
    p.diag = static_cast<std::uint8_t>(diag_);
    p.state = state_;
    p.poll = polling_ && !final;
    p.final = final;
    p.detect_mult = timing_.multiplier;
    p.my_discriminator = my_disc_;
    p.your_discriminator = remote_disc_;
    p.desired_min_tx = wire(desired_tx_adv_);
    p.required_min_rx = wire(required_rx_adv_);
    p.required_min_echo_rx = 0;
    return p;
}

void Session::start_poll() {
    polling_ = true;
}

// RFC 5880 6.8.3: a larger transmit interval takes effect only once the peer has answered the
// poll; a smaller one at once.
void Session::set_desired_tx(Micros v) {
    if (v == desired_tx_adv_) return;
    desired_tx_adv_ = v;
    const bool up = state_ == State::up;
    if (!up || v <= desired_tx_eff_) desired_tx_eff_ = v;
    if (up) start_poll();
}

// A smaller receive interval changes the detection time only once the peer has answered.
void Session::set_required_rx(Micros v) {
    if (v == required_rx_adv_) return;
    required_rx_adv_ = v;
    const bool up = state_ == State::up;
    if (!up || v >= required_rx_eff_) required_rx_eff_ = v;
    if (up) start_poll();
}

void Session::set_state(State to, Diag diag, Actions& a) {
    const State from = state_;
    if (from == to) return;
    state_ = to;
    diag_ = diag;
    ++transitions_;
    a.transition = Transition{from, to, diag};
    if (to == State::up) {
        set_desired_tx(timing_.desired_min_tx);
    } else if (from == State::up) {
        polling_ = false;
        desired_tx_eff_ = desired_tx_adv_;
        required_rx_eff_ = required_rx_adv_;
        set_desired_tx(std::max(timing_.idle_tx, timing_.desired_min_tx));
    }
}

void Session::arm_detection(TimePoint now) {
    detect_at_ = now + detection_time();
}

void Session::schedule_tx(TimePoint now, bool soon) {
    const TimePoint next = now + jittered(tx_interval());
    next_tx_ = soon ? std::min(next_tx_, next) : next;
}

Actions Session::on_packet(const ControlPacket& p, TimePoint now) {
    Actions a;
    const Micros old_tx = tx_interval();
    remote_disc_ = p.my_discriminator;
    remote_state_ = p.state;
    remote_mult_ = p.detect_mult;
    remote_min_rx_ = Micros(p.required_min_rx);
    remote_desired_tx_ = Micros(p.desired_min_tx);
    if (p.final && polling_) {
        polling_ = false;
        desired_tx_eff_ = desired_tx_adv_;
        required_rx_eff_ = required_rx_adv_;
    }
    if (state_ == State::admin_down) return a;
    arm_detection(now);
    if (p.state == State::admin_down) {
        if (state_ != State::down) set_state(State::down, Diag::neighbor_down, a);
    } else {
        switch (state_) {
            case State::down:
                if (p.state == State::down)
                    set_state(State::init, Diag::none, a);
                else if (p.state == State::init)
                    set_state(State::up, Diag::none, a);
                break;
            case State::init:
                if (p.state == State::init || p.state == State::up)
                    set_state(State::up, Diag::none, a);
                break;
            case State::up:
                if (p.state == State::down) set_state(State::down, Diag::neighbor_down, a);
                break;
            case State::admin_down:
                break;
        }
    }
    if (p.poll) {
        a.send = make_packet(true);  // at once, whatever the transmit timer says
    } else if (a.transition && may_transmit()) {
        a.send = make_packet(false);
        schedule_tx(now, false);
    }
    if (tx_interval() < old_tx) schedule_tx(now, true);
    return a;
}

Actions Session::on_timer(TimePoint now) {
    Actions a;
    if (state_ == State::admin_down) {
        if (signal_until_ && next_tx_ <= now && now < *signal_until_) {
            a.send = make_packet(false);
            next_tx_ = now + jittered(signal_tx_);
        }
        return a;
    }
    if (detect_at_ && *detect_at_ <= now) {
        detect_at_.reset();
        if (state_ == State::init || state_ == State::up)
            set_state(State::down, Diag::detection_expired, a);
        // 6.8.1: a Detection Time of silence forgets the peer.
        remote_disc_ = 0;
        remote_state_ = State::down;
        remote_min_rx_ = Micros(1);
        remote_desired_tx_ = Micros(0);
        remote_mult_ = 0;
    }
    if (may_transmit() && (next_tx_ <= now || a.transition)) {
        a.send = make_packet(false);
        schedule_tx(now, false);
    }
    return a;
}

Actions Session::reconfigure(const Timing& t, TimePoint now) {
    Actions a;
    const bool was_polling = polling_;
    timing_ = t;
    set_required_rx(t.required_min_rx);
    set_desired_tx(state_ == State::up ? t.desired_min_tx : std::max(t.idle_tx, t.desired_min_tx));
    if (polling_ && !was_polling && may_transmit()) {
        a.send = make_packet(false);
        schedule_tx(now, false);
    }
    return a;
}

Actions Session::admin_down(TimePoint now) {
    Actions a;
    const State was = state_;
    // The rate the peer expects now, not the slow one of a session that is not Up: it still
    // times us out by the old figures.
    const Micros tx = tx_interval();
    polling_ = false;
    set_state(State::admin_down, Diag::admin_down, a);
    a.send = make_packet(false);
    detect_at_.reset();
    if (remote_disc_ != 0 && remote_min_rx_.count() != 0 &&
        (was == State::up || was == State::init)) {
        signal_tx_ = tx;
        signal_until_ = now + std::min(tx * timing_.multiplier, kMaxAdminDownSignal);
        next_tx_ = now + jittered(tx);
    }
    return a;
}

}  // namespace vigil::bfd
