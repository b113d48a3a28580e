#include "notify_runner.hpp"

namespace vigil {

NotifyRunner::NotifyRunner(Clock& clock, ScriptRunner& scripts)
    : clock_(clock),
      scripts_(scripts),
      queue_([this](NotifyQueue::JobId id) { kill(id); }),
      timer_(clock, [this] {
          queue_.tick(clock_.now());
          arm();
      }) {}

bool NotifyRunner::run(const std::string& key, const std::vector<std::string>& argv,
                       const std::string& user, const std::string& group,
                       std::chrono::microseconds timeout, ScriptRunner::Done done) {
    NotifyQueue::Job job;
    job.label = argv.empty() ? std::string() : argv.front();
    job.timeout = timeout;
    job.start = [this, argv, user, group, done = std::move(done)](NotifyQueue::JobId id) {
        // The queue owns the timeout: the runner's own would not reach the process group.
        const pid_t pid = scripts_.run(
            argv, user, group, std::chrono::microseconds(0),
            [this, id, done, alive = std::weak_ptr<char>(alive_)](ScriptResult r) {
                if (alive.expired()) return;
                pids_.erase(id);
                if (killed_.erase(id)) r.timed_out = true;
                try {
                    if (done) done(r);
                } catch (...) {
                    // the next script must start whatever this callback did
                }
                queue_.finished(id, clock_.now());
                arm();
            },
            SpawnOptions{.own_process_group = true});
        if (pid > 0) pids_[id] = pid;
        return true;  // a script that did not start still reports, later
    };
    const bool queued = queue_.push(key, std::move(job), clock_.now()).has_value();
    arm();
    return queued;
}

void NotifyRunner::abort() {
    queue_.abort(clock_.now());
    arm();
}

void NotifyRunner::kill(NotifyQueue::JobId id) {
    killed_.insert(id);
    if (auto it = pids_.find(id); it != pids_.end()) scripts_.kill(it->second);
}

void NotifyRunner::arm() {
    const auto next = queue_.next_deadline();
    if (!next) return timer_.cancel();
    timer_.arm(*next);
}

}  // namespace vigil
