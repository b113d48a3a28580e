#include "scripts.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <exception>

extern char** environ;

namespace vigil {

namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string errno_text(int err) {
    return std::strerror(err);
}

// Raw system calls: this glibc's <sys/pidfd.h> does not declare them for C++.
int open_pidfd(pid_t pid) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}
void signal_pidfd(int pidfd, int sig) {
    ::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0);
}

bool is_executable_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
}

// Everything the child needs, prepared before fork so the child only makes system calls.
struct Prepared {
    std::string path;
    std::vector<std::string> args;
    std::vector<char*> argv;
};

Prepared prepare(const std::string& path, const std::vector<std::string>& argv) {
    Prepared p{path, argv, {}};
    for (auto& a : p.args) p.argv.push_back(a.data());
    p.argv.push_back(nullptr);
    return p;
}

std::expected<pid_t, std::string> spawn_plain(Prepared& p) {
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&fa);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    pid_t pid = -1;
    int err = ::posix_spawn(&pid, p.path.c_str(), &fa, &attr, p.argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (err != 0) return std::unexpected(p.path + ": " + errno_text(err));
    return pid;
}

// posix_spawn can neither change credentials, reset scheduling nor set a parent-death signal:
// fork, drop to the user, reset what the daemon tuned for itself, exec. An exec failure comes
// back through a close-on-exec pipe, which closes by itself when exec succeeds.
std::expected<pid_t, std::string> spawn_forked(Prepared& p, const RunAs* as,
                                               const ChildScheduling* sched, bool own_group) {
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    if (sched)
        for (int c : sched->cpus) CPU_SET(c, &cpus);
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) return std::unexpected("pipe: " + errno_text(errno));
    const pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) {
        int err = errno;
        ::close(pipefd[0]);
        ::close(pipefd[1]);
        return std::unexpected("fork: " + errno_text(err));
    }
    if (pid == 0) {
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        int err = 0;
        int null = ::open("/dev/null", O_RDWR);
        if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(null, 1) < 0) err = errno;
        if (null > 1) ::close(null);
        if (!err && own_group && ::setpgid(0, 0) != 0) err = errno;
        if (!err && sched) {
            // Policy first: a nice value means nothing to a SCHED_RR task. Memory locks are
            // not inherited across fork, so nothing to undo for *_no_swap.
            sched_param param{};
            param.sched_priority = sched->sched_priority;
            if (::sched_setscheduler(0, sched->policy, &param) != 0) err = errno;
            if (!err && ::setpriority(PRIO_PROCESS, 0, sched->nice) != 0) err = errno;
            if (!err && !sched->cpus.empty() && ::sched_setaffinity(0, sizeof cpus, &cpus) != 0)
                err = errno;
            // Raising the hard limit back needs CAP_SYS_RESOURCE; without it the tighter limit
            // stays, harmless to a task that is no longer real-time.
            if (!err && sched->rttime && ::setrlimit(RLIMIT_RTTIME, &*sched->rttime) != 0 &&
                errno != EPERM)
                err = errno;
        }
        if (!err && as && ::setgroups(as->groups.size(), as->groups.data()) != 0) err = errno;
        if (!err && as && ::setgid(as->gid) != 0) err = errno;
        if (!err && as && ::setuid(as->uid) != 0) err = errno;
        // After the credentials: changing them clears the parent-death signal.
        if (!err && own_group && ::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) err = errno;
        if (!err && own_group && ::getppid() != parent) ::_exit(127);  // the daemon is gone
        if (!err) {
            ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
            ::execve(p.path.c_str(), p.argv.data(), environ);
            err = errno;
        }
        [[maybe_unused]] auto n = ::write(pipefd[1], &err, sizeof(err));
        ::_exit(127);
    }
    ::close(pipefd[1]);
    int child_err = 0;
    ssize_t n;
    do {
        n = ::read(pipefd[0], &child_err, sizeof(child_err));
    } while (n < 0 && errno == EINTR);
    ::close(pipefd[0]);
    if (n == static_cast<ssize_t>(sizeof(child_err))) {
        ::waitpid(pid, nullptr, 0);  // it is exiting already
        return std::unexpected(p.path + ": " + errno_text(child_err));
    }
    return pid;
}

}  // namespace

std::expected<RunAs, std::string> resolve_run_as(std::string_view user, std::string_view group) {
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* found = nullptr;
    std::string u(user);
    int err = ::getpwnam_r(u.c_str(), &pw, buf.data(), buf.size(), &found);
    if (err != 0 || !found)
        return std::unexpected("unknown user '" + u + "'" + (err ? ": " + errno_text(err) : ""));
    RunAs as{pw.pw_uid, pw.pw_gid, {}};
    if (!group.empty()) {
        std::vector<char> gbuf(16384);
        struct group gr {};
        struct group* gfound = nullptr;
        std::string g(group);
        err = ::getgrnam_r(g.c_str(), &gr, gbuf.data(), gbuf.size(), &gfound);
        if (err != 0 || !gfound)
            return std::unexpected("unknown group '" + g + "'" +
                                   (err ? ": " + errno_text(err) : ""));
        as.gid = gr.gr_gid;
    }
    int count = 32;
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    if (::getgrouplist(pw.pw_name, as.gid, groups.data(), &count) < 0) {
        groups.resize(static_cast<std::size_t>(count));
        ::getgrouplist(pw.pw_name, as.gid, groups.data(), &count);
    }
    groups.resize(static_cast<std::size_t>(count));
    as.groups = std::move(groups);
    return as;
}

std::expected<std::string, std::string> find_program(std::string_view name) {
    if (name.empty()) return std::unexpected(std::string("empty command"));
    std::string n(name);
    if (n.find('/') != std::string::npos) return n;
    const char* env = ::getenv("PATH");
    std::string_view path = env && *env ? env : kDefaultPath;
    while (true) {
        auto colon = path.find(':');
        std::string_view dir = path.substr(0, colon);
        std::string candidate = (dir.empty() ? std::string(".") : std::string(dir)) + "/" + n;
        if (is_executable_file(candidate)) return candidate;
        if (colon == std::string_view::npos) break;
        path.remove_prefix(colon + 1);
    }
    return std::unexpected(n + ": not found in PATH");
}

struct ScriptRunner::Child {
    Child(ScriptRunner& runner, pid_t p, int pidfd, Done d, bool group)
        : pid(p),
          fd(runner.io_, pidfd),
          timer(runner.clock_, [&runner, p] { runner.on_alarm(p); }),
          done(std::move(d)),
          own_group(group) {}
    pid_t pid;
    boost::asio::posix::stream_descriptor fd;  // the pidfd
    Clock::Alarm timer;                        // the timeout, then the grace before SIGKILL
    Done done;
    bool own_group;  // its pid is its process group's id until it is reaped
    bool timed_out = false;
    bool term_sent = false;
    bool killed = false;
};

ScriptRunner::ScriptRunner(boost::asio::io_context& io, Clock& clock,
                           std::chrono::microseconds grace)
    : io_(io), clock_(clock), grace_(grace) {}

ScriptRunner::~ScriptRunner() {
    alive_.reset();
    for (auto& [pid, child] : children_) {
        signal(*child, SIGKILL);
        // By pid, not pidfd: the pidfd may be non-blocking, and SIGKILL makes this wait short.
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
}

pid_t ScriptRunner::run(const std::vector<std::string>& argv, std::string user, std::string group,
                        std::chrono::microseconds timeout, Done done, SpawnOptions opts) {
    std::optional<RunAs> as;
    if (!user.empty()) {
        auto key = std::make_pair(user, group);
        auto it = users_.find(key);
        if (it == users_.end()) {
            ++user_lookups_;
            it = users_.emplace(std::move(key), resolve_run_as(user, group)).first;
        }
        const auto& resolved = it->second;
        if (!resolved) {
            fail_later(std::move(done), resolved.error());
            return 0;
        }
        as = *resolved;
    } else if (!group.empty()) {
        fail_later(std::move(done), "a script group needs a script user");
        return 0;
    }
    return start(argv, std::move(as), timeout, std::move(done), opts);
}

pid_t ScriptRunner::start(const std::vector<std::string>& argv, std::optional<RunAs> as,
                          std::chrono::microseconds timeout, Done done, const SpawnOptions& opts) {
    if (argv.empty()) {
        fail_later(std::move(done), "empty command");
        return 0;
    }
    auto path = find_program(argv[0]);
    if (!path) {
        fail_later(std::move(done), path.error());
        return 0;
    }
    Prepared p = prepare(*path, argv);
    // Same credentials as ours: no switch needed, and posix_spawn is the cheaper way.
    const bool switch_user = as && (as->uid != ::geteuid() || as->gid != ::getegid());
    auto pid = switch_user || sched_ || opts.own_process_group
                   ? spawn_forked(p, switch_user ? &*as : nullptr, sched_ ? &*sched_ : nullptr,
                                  opts.own_process_group)
                   : spawn_plain(p);
    if (!pid) {
        fail_later(std::move(done), pid.error());
        return 0;
    }

    // We have not reaped it, so the pid cannot have been reused yet.
    int pidfd = open_pidfd(*pid);
    if (pidfd < 0) {
        int err = errno;
        ::kill(*pid, SIGKILL);
        ::waitpid(*pid, nullptr, 0);
        {
            fail_later(std::move(done), "pidfd_open: " + errno_text(err));
            return 0;
        }
    }
    ++counters_.started;
    auto child =
        std::make_unique<Child>(*this, *pid, pidfd, std::move(done), opts.own_process_group);
    Child& c = *child;
    children_.emplace(*pid, std::move(child));
    watch(c);
    if (timeout.count() > 0) c.timer.arm_after(timeout);
    return *pid;
}

void ScriptRunner::fail_later(Done done, std::string error) {
    ++counters_.spawn_failed;
    ScriptResult r;
    r.spawn_failed = true;
    r.error = std::move(error);
    boost::asio::post(io_, [this, alive = std::weak_ptr<char>(alive_), done = std::move(done),
                            r = std::move(r)]() mutable {
        if (alive.expired()) return;
        deliver(done, std::move(r));
    });
}

void ScriptRunner::watch(Child& child) {
    child.fd.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                        [this, alive = std::weak_ptr<char>(alive_),
                         pid = child.pid](const boost::system::error_code& ec) {
                            if (ec || alive.expired()) return;
                            on_exit(pid);
                        });
}

void ScriptRunner::on_exit(pid_t pid) {
    auto it = children_.find(pid);
    if (it == children_.end()) return;
    Child& c = *it->second;
    // What a killed script started goes with it, while its unreaped pid still names the group.
    if (c.own_group && (c.term_sent || c.killed)) ::kill(-c.pid, SIGKILL);
    siginfo_t info{};
    int rc = ::waitid(P_PIDFD, static_cast<id_t>(c.fd.native_handle()), &info, WEXITED | WNOHANG);
    if (rc == 0 && info.si_pid == 0) {  // readable but not yet reapable: wait again
        watch(c);
        return;
    }
    ScriptResult r;
    r.timed_out = c.timed_out;
    if (rc != 0) {
        r.error = "waitid: " + errno_text(errno);
    } else if (info.si_code == CLD_EXITED) {
        r.exit_code = info.si_status;
        ++(r.exit_code == 0 ? counters_.exited_zero : counters_.exited_nonzero);
    } else {
        r.signal = info.si_status;
        ++counters_.killed_by_signal;
    }
    Done done = std::move(c.done);
    children_.erase(it);  // closes the pidfd, cancels the timer
    deliver(done, std::move(r));
}

void ScriptRunner::on_deadline(pid_t pid) {
    auto it = children_.find(pid);
    if (it == children_.end()) return;
    Child& c = *it->second;
    if (!c.timed_out) {
        c.timed_out = true;
        ++counters_.timed_out;
    }
    escalate(c);
}

// The child's one alarm: its timeout until SIGTERM is sent, then the grace before SIGKILL.
void ScriptRunner::on_alarm(pid_t pid) {
    auto it = children_.find(pid);
    if (it == children_.end()) return;
    if (!it->second->term_sent)
        on_deadline(pid);
    else
        escalate(*it->second);
}

void ScriptRunner::escalate(Child& c) {
    if (!c.term_sent) {
        c.term_sent = true;
        signal(c, SIGTERM);
        c.timer.arm_after(grace_);
        return;
    }
    ++counters_.sigkill_sent;
    signal(c, SIGKILL);
}

void ScriptRunner::signal(Child& c, int sig) {
    if (c.own_group)
        ::kill(-c.pid, sig);  // not reaped yet, so the group id cannot have been reused
    else
        signal_pidfd(c.fd.native_handle(), sig);
}

void ScriptRunner::kill(pid_t pid) {
    auto it = children_.find(pid);
    if (it == children_.end() || it->second->killed) return;
    Child& c = *it->second;
    c.killed = true;
    c.timer.cancel();
    ++counters_.sigkill_sent;
    signal(c, SIGKILL);
}

void ScriptRunner::terminate_all() {
    for (auto& [pid, child] : children_) {
        if (child->term_sent) continue;
        child->timer.cancel();
        escalate(*child);
    }
}

void ScriptRunner::terminate(pid_t pid) {
    auto it = children_.find(pid);
    if (it == children_.end() || it->second->term_sent) return;
    it->second->timer.cancel();
    escalate(*it->second);
}

void ScriptRunner::deliver(Done& done, ScriptResult result) {
    if (!done) return;
    try {
        done(std::move(result));
    } catch (...) {
        ++counters_.callback_errors;  // a callback's failure must not unwind the loop
    }
}

}  // namespace vigil
