// One clock alarm for all of an engine's deadlines. Each entry fires no later than its deadline
// and no earlier than its deadline minus its slack, so entries due close together share one
// wake-up. The entries armed form a binary heap of pointers (each entry knows its place in it):
// no allocation per entry or per arming once the heap has grown.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "vigil/common/clock.hpp"

namespace vigil::vrrp {

// What an entry calls: anything callable with the deadline it was armed for.
template <class F>
concept TimerCallback =
    std::is_invocable_v<std::add_lvalue_reference_t<std::decay_t<F>>, Clock::time_point>;

class TimerQueue {
  public:
    using TimePoint = Clock::time_point;
    // Coalescing never moves a deadline earlier than this.
    static constexpr std::chrono::milliseconds kMaxSlack{50};

    class Entry {
      public:
        // fn gets the deadline the entry was armed for (not the wake-up time). A callable the
        // size of a pointer (the usual [this]) is kept in the entry, a larger one on the heap.
        template <TimerCallback F>
        Entry(TimerQueue& queue, F&& fn) : queue_(queue), seq_(queue.next_seq_++) {
            using Fn = std::decay_t<F>;
            if constexpr (sizeof(Fn) <= sizeof(store_) && alignof(Fn) <= alignof(void*) &&
                          std::is_trivially_copyable_v<Fn>) {
                std::construct_at(reinterpret_cast<Fn*>(store_), std::forward<F>(fn));
                ops_ = &kInline<Fn>;
            } else {
                std::construct_at(reinterpret_cast<Fn**>(store_),
                                  std::make_unique<Fn>(std::forward<F>(fn)).release());
                ops_ = &kHeap<Fn>;
            }
        }
        ~Entry();
        Entry(const Entry&) = delete;
        Entry& operator=(const Entry&) = delete;

        void arm(TimePoint deadline, Clock::duration slack = Clock::duration::zero());
        void cancel();
        bool armed() const { return armed_; }
        TimePoint deadline() const { return deadline_; }

      private:
        friend class TimerQueue;
        struct Ops {
            void (*call)(std::byte*, TimePoint);
            void (*drop)(std::byte*);  // null: nothing to free
        };
        template <class Fn>
        static constexpr Ops kInline{
            [](std::byte* s, TimePoint d) { (*std::launder(reinterpret_cast<Fn*>(s)))(d); },
            nullptr};
        template <class Fn>
        static constexpr Ops kHeap{
            [](std::byte* s, TimePoint d) { (**std::launder(reinterpret_cast<Fn**>(s)))(d); },
            [](std::byte* s) {
                std::unique_ptr<Fn> owned(*std::launder(reinterpret_cast<Fn**>(s)));
            }};

        TimerQueue& queue_;
        const Ops* ops_;
        alignas(void*) std::byte store_[sizeof(void*)];
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
