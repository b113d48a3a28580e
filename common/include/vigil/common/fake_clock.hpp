// A clock for tests: time stands still until advance() moves it, and the alarms due on the way
// fire at their own instants, in deadline order, those armed by callbacks on the way included.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <stdexcept>

#include "vigil/common/clock.hpp"

namespace vigil {

class FakeClock final : public Clock {
  public:
    // Far from the steady clock's epoch, so that tests may look back from now().
    explicit FakeClock(time_point start = time_point(std::chrono::hours(24))) : now_(start) {}

    time_point now() const override { return now_; }

    // Moves time forward by d; every alarm due on the way fires with now() at its deadline (or
    // at the current time, for one armed in the past). Returns how many callbacks ran.
    std::uint64_t advance(duration d) { return advance_to(now_ + d); }
    std::uint64_t advance_to(time_point t) {
        const std::uint64_t before = fired();
        // Bounded: callbacks that keep re-arming for now() are the subject's bug, not a hang.
        for (std::size_t pass = 0; next_deadline() <= t; ++pass) {
            if (pass == kMaxPasses) throw std::runtime_error("FakeClock: alarms re-armed for ever");
            now_ = std::max(now_, next_deadline());
            run_due(now_);
        }
        now_ = std::max(now_, t);
        return fired() - before;
    }
    // Jumps to the next deadline and fires what is due there; false when nothing is armed.
    bool advance_to_next() {
        if (next_deadline() == time_point::max()) return false;
        advance_to(next_deadline());
        return true;
    }
    static constexpr std::size_t kMaxPasses = 1'000'000;

  private:
    void wake_at(time_point) override {}
    time_point now_;
};

// For tests with real sockets on `io` and timers on `clock`: runs ready handlers and due
// alarms; once the loop has been idle for `idle` of real time (what the kernel had in flight
// on loopback has arrived), jumps to the next deadline. Returns pred() once it holds, or when
// max_jumps jumps passed or nothing is left to wait for. A test peer should answer in one
// write: a second small segment may wait ~40 ms for a delayed ACK (Nagle), and time jumps.
template <class Pred>
bool run_until(boost::asio::io_context& io, FakeClock& clock, Pred pred,
               std::size_t max_jumps = 10000,
               std::chrono::milliseconds idle = std::chrono::milliseconds(2)) {
    for (std::size_t jumps = 0;;) {
        if (pred()) return true;
        if (io.stopped()) io.restart();
        if (io.poll() + clock.advance(Clock::duration::zero()) > 0) continue;
        if (io.stopped()) io.restart();
        if (io.run_one_for(idle) > 0) continue;
        if (jumps++ == max_jumps || !clock.advance_to_next()) return pred();
    }
}

// Runs what is ready, on the loop and on the clock, until both are idle; time stands still.
inline void settle(boost::asio::io_context& io, FakeClock& clock,
                   std::chrono::milliseconds idle = std::chrono::milliseconds(2)) {
    run_until(
        io, clock, [] { return false; }, 0, idle);
}

}  // namespace vigil
