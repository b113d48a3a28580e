// One clock alarm for all of an engine's deadlines. Each entry fires no later than its deadline
// and no earlier than its deadline minus its slack, so entries due close together share one
// wake-up. The entries armed form a binary heap of pointers (each entry knows its place in it):
// no allocation per entry or per arming once the heap has grown.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "vigil/common/clock.hpp"

namespace vigil::vrrp {

class TimerQueue {
  public:
    using TimePoint = Clock::time_point;
    // Coalescing never moves a deadline earlier than this.
    static constexpr std::chrono::milliseconds kMaxSlack{50};

    class Entry {
      public:
        // fn gets the deadline the entry was armed for (not the wake-up time).
        Entry(TimerQueue& queue, std::function<void(TimePoint deadline)> fn);
        ~Entry();
        Entry(const Entry&) = delete;
        Entry& operator=(const Entry&) = delete;

        void arm(TimePoint deadline, Clock::duration slack = Clock::duration::zero());
        void cancel();
        bool armed() const { return armed_; }
        TimePoint deadline() const { return deadline_; }

      private:
        friend class TimerQueue;
        TimerQueue& queue_;
        std::function<void(TimePoint)> fn_;
        TimePoint deadline_{}, earliest_{};
        std::uint64_t seq_;       // creation order: equal deadlines fire in it
        std::uint32_t slot_ = 0;  // index in the heap while armed
        bool armed_ = false;
        bool pending_ = false;  // collected for the running wake-up
    };

    explicit TimerQueue(Clock& clock);
    TimerQueue(const TimerQueue&) = delete;
    TimerQueue& operator=(const TimerQueue&) = delete;

    TimePoint now() const { return clock_.now(); }
    Clock& clock() { return clock_; }
    std::uint64_t wakeups() const { return wakeups_; }
    // True while entries' callbacks run; after_fire runs once after them (to flush batches).
    bool firing() const { return firing_; }
    void after_fire(std::function<void()> fn) { after_fire_ = std::move(fn); }

  private:
    void insert(Entry& e);
    void erase(Entry& e);
    static bool before(const Entry* a, const Entry* b);
    void place(std::size_t i, Entry* e);
    void sift_up(std::size_t i);
    void sift_down(std::size_t i);
    void program();
    void fire();

    Clock& clock_;
    std::vector<Entry*> heap_;  // armed entries, the earliest deadline first
    std::uint64_t next_seq_ = 0;
    std::vector<Entry*> due_;  // reused by fire()
    std::uint64_t wakeups_ = 0;
    bool firing_ = false;
    std::function<void()> after_fire_;  // fire() programs the alarm once, at its end
    Clock::Alarm alarm_;                // last: goes first, before what fire() reads
};

}  // namespace vigil::vrrp
