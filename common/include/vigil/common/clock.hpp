// Time for every module: now() and wake-ups on the daemon's loop. The daemon owns one AsioClock
// and hands it to every engine; tests hand them a FakeClock (fake_clock.hpp) and move time by
// hand, so that timers fire at exact instants and no test sleeps.
#pragma once

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/intrusive/set.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace vigil {

class Clock {
  public:
    using duration = std::chrono::steady_clock::duration;
    using time_point = std::chrono::steady_clock::time_point;

    // One wake-up: armed for an instant, its callback runs once from the loop at or after it,
    // never from inside arm(). Arming again moves it; after cancel() or destruction the
    // callback does not run. Arming and cancelling never allocate. The clock outlives it while
    // it is armed (a disarmed alarm may be destroyed after the clock, e.g. by the loop).
    class Alarm : public boost::intrusive::set_base_hook<> {
      public:
        Alarm(Clock& clock, std::function<void()> fn) : clock_(clock), fn_(std::move(fn)) {}
        ~Alarm() {
            cancel();
            if (listed_) clock_.forget(*this);
        }
        Alarm(const Alarm&) = delete;
        Alarm& operator=(const Alarm&) = delete;

        void arm(time_point at) {
            cancel();
            at_ = at;
            seq_ = ++clock_.seq_;
            armed_ = true;
            clock_.insert(*this);
        }
        void arm_after(duration d) { arm(clock_.now() + d); }
        void cancel() {
            due_ = false;
            if (!armed_) return;
            armed_ = false;
            clock_.erase(*this);
        }
        bool armed() const { return armed_ || due_; }
        time_point deadline() const { return at_; }
        Clock& clock() const { return clock_; }

        // Ordered by deadline, then by arming order.
        friend bool operator<(const Alarm& a, const Alarm& b) {
            return a.at_ != b.at_ ? a.at_ < b.at_ : a.seq_ < b.seq_;
        }

      private:
        friend class Clock;
        Clock& clock_;
        std::function<void()> fn_;
        time_point at_{};
        std::uint64_t seq_ = 0;
        bool armed_ = false;   // in the clock's set
        bool due_ = false;     // collected by the running run_due(), to be called
        bool listed_ = false;  // in the running run_due()'s list
    };

    Clock() = default;
    Clock(const Clock&) = delete;
    Clock& operator=(const Clock&) = delete;
    virtual ~Clock() = default;

    virtual time_point now() const = 0;

    // The earliest armed deadline; max() when nothing is armed.
    time_point next_deadline() const {
        return armed_.empty() ? time_point::max() : armed_.begin()->at_;
    }
    std::size_t armed() const { return armed_.size(); }
    // Callbacks run so far.
    std::uint64_t fired() const { return fired_; }

  protected:
    // The earliest deadline is now `at`, earlier than every wake-up asked for since the last
    // run_due(): call run_due() from the loop at or after it. Asking again replaces the wish;
    // max() means nothing is armed any more (a loop without other work may then end).
    virtual void wake_at(time_point at) = 0;

    // Calls, in deadline order, every alarm due at `now` that was armed before this call.
    // Callbacks may arm, cancel or destroy any alarm; one armed by them waits for the next
    // call, so that a callback re-arming itself for `now` cannot hold the loop.
    void run_due(time_point now) {
        asked_ = time_point::max();
        due_list_.clear();
        while (!armed_.empty() && armed_.begin()->at_ <= now) {
            Alarm& a = *armed_.begin();
            armed_.erase(armed_.begin());
            a.armed_ = false;
            a.due_ = true;
            a.listed_ = true;
            due_list_.push_back(&a);
        }
        running_ = true;
        std::size_t i = 0;
        try {
            for (; i < due_list_.size(); ++i) {
                Alarm* a = due_list_[i];
                if (!a) continue;
                a->listed_ = false;
                if (!a->due_) continue;
                a->due_ = false;
                ++fired_;
                a->fn_();  // may destroy *a: not touched after
            }
        } catch (...) {
            // The loop survives a throwing callback: what had not run yet stays due.
            for (++i; i < due_list_.size(); ++i)
                if (Alarm* a = due_list_[i]) {
                    a->listed_ = false;
                    if (std::exchange(a->due_, false)) {
                        a->armed_ = true;
                        armed_.insert(*a);
                    }
                }
            end_run();
            throw;
        }
        end_run();
    }

  private:
    void end_run() {
        due_list_.clear();
        running_ = false;
        if (!armed_.empty()) ask(armed_.begin()->at_);
    }
    void insert(Alarm& a) {
        armed_.insert(a);
        if (!running_ && a.at_ < asked_) ask(a.at_);
    }
    // A cancelled head leaves the wake-up as it is (an early one only asks again), unless
    // nothing is left.
    void erase(Alarm& a) {
        armed_.erase(armed_.iterator_to(a));
        if (armed_.empty() && !running_ && asked_ != time_point::max()) ask(time_point::max());
    }
    void ask(time_point at) {
        asked_ = at;
        wake_at(at);
    }
    // An alarm destroyed by a callback: run_due() must not look at it any more.
    void forget(Alarm& a) {
        std::replace(due_list_.begin(), due_list_.end(), &a, static_cast<Alarm*>(nullptr));
    }

    boost::intrusive::multiset<Alarm> armed_;
    std::vector<Alarm*> due_list_;  // reused by run_due()
    std::uint64_t seq_ = 0;
    std::uint64_t fired_ = 0;
    time_point asked_ = time_point::max();  // the earliest wake-up asked for
    bool running_ = false;
};

// The daemon's clock: std::chrono::steady_clock, and one asio timer on the loop for every
// alarm of every module.
class AsioClock final : public Clock {
  public:
    explicit AsioClock(boost::asio::io_context& io) : timer_(io) {}
    ~AsioClock() override { *alive_ = false; }

    time_point now() const override { return std::chrono::steady_clock::now(); }

  private:
    void wake_at(time_point at) override {
        if (at == time_point::max()) {
            timer_.cancel();
            return;
        }
        timer_.expires_at(at);
        // A wake-up already queued when the timer moved runs early: it fires nothing that
        // is not due and asks again.
        timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
            if (ec || !*alive) return;
            run_due(now());
        });
    }

    boost::asio::steady_timer timer_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vigil
