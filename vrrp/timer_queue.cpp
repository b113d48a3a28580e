#include "timer_queue.hpp"

#include <algorithm>

namespace vigil::vrrp {

TimerQueue::Entry::~Entry() {
    cancel();
    std::replace(queue_.due_.begin(), queue_.due_.end(), this, static_cast<Entry*>(nullptr));
    if (ops_->drop) ops_->drop(store_);
}

void TimerQueue::Entry::arm(TimePoint deadline, Clock::duration slack) {
    if (armed_) queue_.erase(*this);
    pending_ = false;
    deadline_ = deadline;
    earliest_ = deadline - std::clamp<Clock::duration>(slack, Clock::duration::zero(), kMaxSlack);
    queue_.insert(*this);
}

void TimerQueue::Entry::cancel() {
    pending_ = false;
    if (armed_) queue_.erase(*this);
}

TimerQueue::TimerQueue(Clock& clock) : clock_(clock), alarm_(clock, [this] { fire(); }) {}

bool TimerQueue::before(const Entry* a, const Entry* b) {
    return a->deadline_ != b->deadline_ ? a->deadline_ < b->deadline_ : a->seq_ < b->seq_;
}

void TimerQueue::place(std::size_t i, Entry* e) {
    heap_[i] = e;
    e->slot_ = static_cast<std::uint32_t>(i);
}

void TimerQueue::sift_up(std::size_t i) {
    Entry* e = heap_[i];
    while (i > 0) {
        const std::size_t parent = (i - 1) / 2;
        if (!before(e, heap_[parent])) break;
        place(i, heap_[parent]);
        i = parent;
    }
    place(i, e);
}

void TimerQueue::sift_down(std::size_t i) {
    Entry* e = heap_[i];
    const std::size_t n = heap_.size();
    for (;;) {
        std::size_t child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && before(heap_[child + 1], heap_[child])) ++child;
        if (!before(heap_[child], e)) break;
        place(i, heap_[child]);
        i = child;
    }
    place(i, e);
}

void TimerQueue::insert(Entry& e) {
    heap_.push_back(&e);
    e.slot_ = static_cast<std::uint32_t>(heap_.size() - 1);
    sift_up(heap_.size() - 1);
    e.armed_ = true;
    if (!firing_ && (!alarm_.armed() || e.deadline_ < alarm_.deadline())) program();
}

void TimerQueue::erase(Entry& e) {
    const std::size_t i = e.slot_;
    Entry* last = heap_.back();
    heap_.pop_back();
    e.armed_ = false;
    if (last == &e) return;
    place(i, last);
    if (i > 0 && before(last, heap_[(i - 1) / 2]))
        sift_up(i);
    else
        sift_down(i);
    // The alarm stays as it is: a wake-up with nothing due only re-programs it.
}

void TimerQueue::program() {
    if (heap_.empty()) return alarm_.cancel();
    const TimePoint head = heap_.front()->deadline_;
    if (alarm_.armed() && alarm_.deadline() == head) return;
    alarm_.arm(head);
}

void TimerQueue::fire() {
    ++wakeups_;
    const TimePoint now = clock_.now();
    due_.clear();
    firing_ = true;  // the alarm is programmed once, at the end
    // Any entry with earliest <= now has deadline <= now + kMaxSlack: those come off the heap
    // in deadline order; the ones not yet in their window go back.
    while (!heap_.empty() && heap_.front()->deadline_ <= now + kMaxSlack) {
        Entry* e = heap_.front();
        erase(*e);
        due_.push_back(e);
    }
    std::erase_if(due_, [&](Entry* e) {
        if (e->earliest_ <= now) return false;
        insert(*e);
        return true;
    });
    for (Entry* e : due_) e->pending_ = true;
    // Callbacks may arm, cancel or destroy other entries, the collected ones included.
    for (std::size_t i = 0; i < due_.size(); ++i) {
        Entry* e = due_[i];
        if (!e || !e->pending_) continue;
        e->pending_ = false;
        e->ops_->call(e->store_, e->deadline_);
    }
    due_.clear();
    firing_ = false;
    if (after_fire_) after_fire_();
    program();
}

}  // namespace vigil::vrrp
