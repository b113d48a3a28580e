// Keeps notifications in order: per key (a VRRP instance, a sync group, a real server), jobs run
// one at a time in the order they were pushed, each bounded by its own timeout. Pure: it starts
// and kills jobs through callbacks and reads time only from its arguments.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace vigil {

struct NotifyQueueCounters {
    std::uint64_t queued = 0;
    std::uint64_t started = 0;
    std::uint64_t start_failed = 0;  // start() said no: the next job ran at once
    std::uint64_t finished = 0;
    std::uint64_t timed_out = 0;  // killed at their timeout
    std::uint64_t abandoned = 0;  // not reaped within the grace after the kill
    std::uint64_t dropped = 0;    // still waiting when the queue was aborted
    std::uint64_t refused = 0;    // pushed onto a key already holding max_waiting jobs
};

class NotifyQueue {
  public:
    using JobId = std::uint64_t;
    using TimePoint = std::chrono::steady_clock::time_point;
    using Duration = std::chrono::microseconds;

    struct Job {
        std::string label;    // for logs
        Duration timeout{0};  // 0: none
        // Begins the job; the runner reports its end with finished(id). false: it did not
        // start, and finished() need not come.
        std::function<bool(JobId)> start;
    };

    // kill ends a running job (the runner still reports finished once it is reaped); a job not
    // reported within kill_grace after the kill is abandoned so that its key moves on. A key
    // holds at most max_waiting jobs besides the running one: a flood cannot grow it forever.
    explicit NotifyQueue(std::function<void(JobId)> kill,
                         Duration kill_grace = std::chrono::seconds(1),
                         std::size_t max_waiting = 128);

    // Runs job after every job pushed before it under key; it may start from inside push().
    // nullopt: the key is full and the job was refused.
    std::optional<JobId> push(const std::string& key, Job job, TimePoint now);
    // The job ended; the next one of its key starts. Unknown or abandoned ids are ignored.
    void finished(JobId id, TimePoint now);
    // Kills what passed its timeout, abandons what outlived its kill.
    void tick(TimePoint now);
    // When tick() has something to do next.
    std::optional<TimePoint> next_deadline() const;
    // Shutdown: waiting jobs are dropped, running ones killed (and abandoned after the grace).
    void abort(TimePoint now);

    bool idle() const { return running_.empty() && waiting_ == 0; }
    std::size_t running() const { return running_.size(); }
    std::size_t waiting() const { return waiting_; }
    // The label of the job running under key, if any.
    std::optional<std::string> running_label(const std::string& key) const;
    const NotifyQueueCounters& counters() const { return counters_; }

  private:
    struct Pending {
        JobId id;
        Job job;
    };
    struct Running {
        JobId id;
        std::string label;
        std::optional<TimePoint> deadline;  // timeout, then the end of the kill grace
        bool killed = false;
    };

    void kill(Running& r, TimePoint now);
    void pump(TimePoint now);

    std::function<void(JobId)> kill_;
    Duration kill_grace_;
    std::size_t max_waiting_;
    JobId next_id_ = 1;
    std::map<std::string, std::deque<Pending>> pending_;
    std::map<std::string, Running> running_;
    std::size_t waiting_ = 0;
    bool pumping_ = false;
    NotifyQueueCounters counters_;
};

}  // namespace vigil
