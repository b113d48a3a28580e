#include "notify_queue.hpp"

#include <vector>

namespace vigil {

NotifyQueue::NotifyQueue(std::function<void(JobId)> kill, Duration kill_grace,
                         std::size_t max_waiting)
    : kill_(std::move(kill)), kill_grace_(kill_grace), max_waiting_(max_waiting) {}

std::optional<NotifyQueue::JobId> NotifyQueue::push(const std::string& key, Job job,
                                                    TimePoint now) {
    auto& q = pending_[key];
    if (q.size() >= max_waiting_) {
        ++counters_.refused;
        return std::nullopt;
    }
    const JobId id = next_id_++;
    q.push_back({id, std::move(job)});
    ++waiting_;
    ++counters_.queued;
    pump(now);
    return id;
}

void NotifyQueue::finished(JobId id, TimePoint now) {
    for (auto it = running_.begin(); it != running_.end(); ++it) {
        if (it->second.id != id) continue;
        running_.erase(it);
        ++counters_.finished;
        pump(now);
        return;
    }
}

void NotifyQueue::kill(Running& r, TimePoint now) {
    r.killed = true;
    r.deadline = now + kill_grace_;
    if (kill_) kill_(r.id);
}

void NotifyQueue::tick(TimePoint now) {
    // By id: kill_ may report the end at once, which changes running_.
    std::vector<JobId> due;
    for (const auto& [key, r] : running_)
        if (r.deadline && *r.deadline <= now) due.push_back(r.id);
    for (JobId id : due) {
        for (auto it = running_.begin(); it != running_.end(); ++it) {
            if (it->second.id != id) continue;
            if (!it->second.killed) {
                ++counters_.timed_out;
                kill(it->second, now);
            } else {
                running_.erase(it);
                ++counters_.abandoned;
            }
            break;
        }
    }
    pump(now);
}

std::optional<NotifyQueue::TimePoint> NotifyQueue::next_deadline() const {
    std::optional<TimePoint> next;
    for (const auto& [key, r] : running_)
        if (r.deadline && (!next || *r.deadline < *next)) next = r.deadline;
    return next;
}

void NotifyQueue::abort(TimePoint now) {
    counters_.dropped += waiting_;
    waiting_ = 0;
    pending_.clear();
    std::vector<JobId> alive;
    for (const auto& [key, r] : running_)
        if (!r.killed) alive.push_back(r.id);
    for (JobId id : alive)
        for (auto& [key, r] : running_)
            if (r.id == id) {
                kill(r, now);
                break;
            }
}

std::optional<std::string> NotifyQueue::running_label(const std::string& key) const {
    auto it = running_.find(key);
    if (it == running_.end()) return std::nullopt;
    return it->second.label;
}

void NotifyQueue::pump(TimePoint now) {
    // A job's start may push, finish or abort from inside: the outer call does the work, and
    // rescans from the top after every start since the maps may have changed under it.
    if (pumping_) return;
    pumping_ = true;
    bool again = true;
    while (again) {
        again = false;
        for (auto it = pending_.begin(); it != pending_.end();) {
            if (it->second.empty()) {
                it = pending_.erase(it);
                continue;
            }
            if (running_.contains(it->first)) {
                ++it;
                continue;
            }
            const std::string key = it->first;
            Pending p = std::move(it->second.front());
            it->second.pop_front();
            --waiting_;
            std::optional<TimePoint> deadline;
            if (p.job.timeout.count() > 0) deadline = now + p.job.timeout;
            running_[key] = Running{p.id, p.job.label, deadline, false};
            const bool ok = p.job.start && p.job.start(p.id);
            if (ok) {
                ++counters_.started;
            } else {
                ++counters_.start_failed;
                if (auto r = running_.find(key); r != running_.end() && r->second.id == p.id)
                    running_.erase(r);
            }
            again = true;
            break;
        }
    }
    pumping_ = false;
}

}  // namespace vigil
