// Runs external programs for the whole daemon (notify scripts, vrrp_script, MISC_CHECK, quorum
// and real-server notifications) without ever blocking the loop: children are watched through a
// pidfd, reaped with waitid(P_PIDFD), and killed when their time is up.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "vigil/common/clock.hpp"

namespace vigil {

struct ScriptResult {
    int exit_code = -1;  // when the program exited by itself; -1 otherwise
    int signal = 0;      // the signal that ended it, 0 if it exited
    bool timed_out = false;
    bool spawn_failed = false;  // never started: exit_code and signal are meaningless
    std::string error;          // why it did not start
    bool success() const { return !spawn_failed && !timed_out && signal == 0 && exit_code == 0; }
};

// Credentials a script runs with. Resolve them once, when the config is read.
struct RunAs {
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;  // supplementary groups
};

// Looks user (and group; empty: the user's primary group) up in the user database.
std::expected<RunAs, std::string> resolve_run_as(std::string_view user, std::string_view group);

// The program argv[0] names: as given when it holds a '/', else the first executable match in
// PATH (a fixed default PATH when the environment has none).
std::expected<std::string, std::string> find_program(std::string_view name);

// The scheduling a script starts with when the daemon tuned its own (vrrp_rt_priority,
// vrrp_cpu_affinity, ...): what the daemon had before, so no script runs real-time or pinned.
struct ChildScheduling {
    int nice = 0;
    int policy = 0;  // SCHED_OTHER
    int sched_priority = 0;
    std::vector<int> cpus;         // empty: left as inherited
    std::optional<rlimit> rttime;  // RLIMIT_RTTIME
};

struct ScriptCounters {
    std::uint64_t started = 0;
    std::uint64_t spawn_failed = 0;
    std::uint64_t exited_zero = 0;
    std::uint64_t exited_nonzero = 0;
    std::uint64_t killed_by_signal = 0;
    std::uint64_t timed_out = 0;
    std::uint64_t sigkill_sent = 0;     // did not end within the grace period after SIGTERM
    std::uint64_t callback_errors = 0;  // a completion callback threw
};

// How a script is started.
struct SpawnOptions {
    // In a process group of its own, so that a kill reaches whatever it started, and sent
    // SIGTERM if the daemon dies (keepalived runs its scripts so).
    bool own_process_group = false;
};

class ScriptRunner {
  public:
    using Done = std::function<void(ScriptResult)>;

    // grace: how long a timed-out or terminated script has between SIGTERM and SIGKILL. Its
    // timeouts run on clock.
    ScriptRunner(boost::asio::io_context& io, Clock& clock,
                 std::chrono::microseconds grace = std::chrono::seconds(2));
    // Kills (SIGKILL) and reaps whatever still runs; their callbacks are not called.
    ~ScriptRunner();
    ScriptRunner(const ScriptRunner&) = delete;
    ScriptRunner& operator=(const ScriptRunner&) = delete;

    // Starts argv with stdin and stdout on /dev/null, stderr inherited, default signal
    // dispositions and an empty signal mask, in the daemon's process group unless opts ask for
    // its own. done is always called later from the io_context, never from inside run().
    // timeout 0: none.
    // user empty: the daemon's own credentials; else looked up at its first script and kept
    // (forget_users). Returns the child's pid, 0 when it did not start (done still reports why).
    pid_t run(const std::vector<std::string>& argv, std::string user, std::string group,
              std::chrono::microseconds timeout, Done done, SpawnOptions opts = {});

    std::size_t running() const { return children_.size(); }

    // Users and groups are looked up once and kept until this is called (on every reload),
    // so that the user database is not read for each script.
    void forget_users() { users_.clear(); }
    std::size_t user_lookups() const { return user_lookups_; }

    // Every script started from now on gets SCHED; nullopt: it inherits the daemon's.
    void set_child_scheduling(std::optional<ChildScheduling> sched) { sched_ = std::move(sched); }

    // SIGTERM to every running script, SIGKILL after the grace period; callbacks still come.
    void terminate_all();
    // The same for one script started by run(); nothing if it has ended.
    void terminate(pid_t pid);
    // SIGKILL now, to its whole process group when it has one; done still comes once reaped.
    void kill(pid_t pid);

    const ScriptCounters& counters() const { return counters_; }

  private:
    struct Child;

    pid_t start(const std::vector<std::string>& argv, std::optional<RunAs> as,
                std::chrono::microseconds timeout, Done done, const SpawnOptions& opts);
    void fail_later(Done done, std::string error);
    void watch(Child& child);
    void on_exit(pid_t pid);
    void on_deadline(pid_t pid);
    void on_alarm(pid_t pid);
    void escalate(Child& child);
    void signal(Child& child, int sig);
    void deliver(Done& done, ScriptResult result);

    boost::asio::io_context& io_;
    Clock& clock_;
    std::chrono::microseconds grace_;
    std::unordered_map<pid_t, std::unique_ptr<Child>> children_;
    std::shared_ptr<char> alive_ = std::make_shared<char>();  // handlers check it is still there
    ScriptCounters counters_;
    std::optional<ChildScheduling> sched_;
    std::map<std::pair<std::string, std::string>, std::expected<RunAs, std::string>> users_;
    std::size_t user_lookups_ = 0;
};

}  // namespace vigil
