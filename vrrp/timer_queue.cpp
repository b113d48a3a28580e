#include "timer_queue.hpp"

#include <algorithm>

namespace vigil::vrrp {

TimerQueue::Entry::Entry(TimerQueue& queue, std::function<void(TimePoint)> fn)
    : queue_(queue), fn_(std::move(fn)) {
    if (!queue_.free_ids_.empty()) {
        id_ = queue_.free_ids_.back();
        queue_.free_ids_.pop_back();
        queue_.by_id_[id_] = this;
    } else {
        id_ = queue_.by_id_.size();
        queue_.by_id_.push_back(this);
    }
    // The one node this entry will ever use, kept here while disarmed.
    auto [it, ok] = queue_.keys_.insert({TimePoint::min(), id_});
    node_ = queue_.keys_.extract(it);
}

TimerQueue::Entry::~Entry() {
    cancel();
    queue_.by_id_[id_] = nullptr;
    queue_.free_ids_.push_back(id_);
    std::replace(queue_.due_.begin(), queue_.due_.end(), this, static_cast<Entry*>(nullptr));
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

void TimerQueue::insert(Entry& e) {
    e.node_.value() = {e.deadline_, e.id_};
    keys_.insert(std::move(e.node_));
    e.armed_ = true;
    if (!firing_ && (!alarm_.armed() || e.deadline_ < alarm_.deadline())) program();
}

void TimerQueue::erase(Entry& e) {
    e.node_ = keys_.extract({e.deadline_, e.id_});
    e.armed_ = false;
    // The alarm stays as it is: a wake-up with nothing due only re-programs it.
}

void TimerQueue::program() {
    if (keys_.empty()) return alarm_.cancel();
    const TimePoint head = keys_.begin()->first;
    if (alarm_.armed() && alarm_.deadline() == head) return;
    alarm_.arm(head);
}

void TimerQueue::fire() {
    ++wakeups_;
    const TimePoint now = clock_.now();
    due_.clear();
    // Entries are sorted by deadline; any with earliest <= now has deadline <= now + kMaxSlack.
    for (auto it = keys_.begin(); it != keys_.end() && it->first <= now + kMaxSlack;) {
        Entry* e = by_id_[it->second];
        ++it;
        if (e->earliest_ > now) continue;
        erase(*e);
        e->pending_ = true;
        due_.push_back(e);
    }
    firing_ = true;
    // Callbacks may arm, cancel or destroy other entries, the collected ones included.
    for (std::size_t i = 0; i < due_.size(); ++i) {
        Entry* e = due_[i];
        if (!e || !e->pending_) continue;
        e->pending_ = false;
        e->fn_(e->deadline_);
    }
    due_.clear();
    firing_ = false;
    if (after_fire_) after_fire_();
    program();
}

}  // namespace vigil::vrrp
