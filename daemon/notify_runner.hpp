// Notify scripts on the loop, in order: a NotifyQueue per daemon, whose jobs are scripts run in
// their own process group, killed with that group at their timeout.
#pragma once

#include "notify_queue.hpp"
#include "scripts.hpp"

#include <boost/asio/io_context.hpp>
#include <vigil/common/clock.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace vigil {

class NotifyRunner {
  public:
    // scripts and clock (timeouts, kill grace) must outlive this runner.
    NotifyRunner(Clock& clock, ScriptRunner& scripts);
    NotifyRunner(const NotifyRunner&) = delete;
    NotifyRunner& operator=(const NotifyRunner&) = delete;

    // Runs argv once every script queued before it under key has ended. At timeout (0: none)
    // it is killed with its process group and reaped before the next starts; done then sees
    // timed_out. done is called later, from the loop, unless the runner is destroyed first.
    // false: the key's queue is full; argv will not run and done is not called.
    bool run(const std::string& key, const std::vector<std::string>& argv, const std::string& user,
             const std::string& group, std::chrono::microseconds timeout, ScriptRunner::Done done);

    // Shutdown: queued scripts are dropped, running ones killed.
    void abort();
    bool idle() const { return queue_.idle(); }
    std::size_t running() const { return queue_.running(); }
    std::size_t waiting() const { return queue_.waiting(); }
    const NotifyQueueCounters& counters() const { return queue_.counters(); }

  private:
    void kill(NotifyQueue::JobId id);
    void arm();

    Clock& clock_;
    ScriptRunner& scripts_;
    NotifyQueue queue_;
    Clock::Alarm timer_;
    std::map<NotifyQueue::JobId, pid_t> pids_;
    std::set<NotifyQueue::JobId> killed_;
    std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace vigil
