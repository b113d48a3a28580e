#include "scripts.hpp"

#include "../support/proc_probe.hpp"
#include "vigil/common/fake_clock.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

using namespace std::chrono_literals;
using vigil::ScriptResult;
using vigil::ScriptRunner;
using vigil::test::proc_stat;
using vigil::test::proc_state;

namespace {

std::vector<std::string> sh(const std::string& script) {
    return {"/bin/sh", "-c", script};
}

// Children of this process still in the process table (running or zombie).
std::vector<pid_t> our_children() {
    std::vector<pid_t> out;
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir("/proc"), ::closedir);
    if (!d) return out;
    while (dirent* e = ::readdir(d.get())) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        const std::string stat = proc_stat(e->d_name);
        auto close = stat.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(stat.substr(close + 2));
        char state;
        pid_t ppid = 0;
        rest >> state >> ppid;
        if (ppid == ::getpid()) out.push_back(std::stoi(e->d_name));
    }
    return out;
}

std::size_t open_fds() {
    std::size_t n = 0;
    DIR* d = ::opendir("/proc/self/fd");
    while (dirent* e = ::readdir(d))
        if (e->d_name[0] != '.') ++n;
    ::closedir(d);
    return n - 1;  // the directory stream itself
}

// Runs the loop until count results arrived, at most limit.
void run_until(boost::asio::io_context& io, const std::function<bool()>& pred,
               std::chrono::seconds limit = 10s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred() && std::chrono::steady_clock::now() < deadline) {
        io.run_one_for(50ms);
        if (io.stopped()) io.restart();
    }
}

struct Collect {
    std::vector<ScriptResult> results;
    ScriptRunner::Done cb() {
        return [this](ScriptResult r) { results.push_back(std::move(r)); };
    }
};

}  // namespace

TEST(Scripts, ExitCodes) {
    boost::asio::io_context io;
    vigil::AsioClock clock(io);  // real children: real time
    ScriptRunner runner(io, clock);
    Collect c;
    runner.run(sh("exit 0"), "", "", 0us, c.cb());
    runner.run(sh("exit 3"), "", "", 0us, c.cb());
    runner.run({"false"}, "", "", 0us, c.cb());  // found through PATH
    EXPECT_TRUE(c.results.empty()) << "never called from inside run()";
    EXPECT_EQ(runner.running(), 3u);
    run_until(io, [&] { return c.results.size() == 3; });
    ASSERT_EQ(c.results.size(), 3u);
    std::multiset<int> codes;
    for (auto& r : c.results) {
        EXPECT_FALSE(r.spawn_failed);
        EXPECT_FALSE(r.timed_out);
        EXPECT_EQ(r.signal, 0);
        codes.insert(r.exit_code);
    }
    EXPECT_EQ(codes, (std::multiset<int>{0, 1, 3}));
    EXPECT_EQ(runner.running(), 0u);
    EXPECT_EQ(runner.counters().exited_zero, 1u);
    EXPECT_EQ(runner.counters().exited_nonzero, 2u);
    EXPECT_TRUE(our_children().empty());
}

TEST(Scripts, ArgumentsPassedAsIs) {
    boost::asio::io_context io;
    vigil::AsioClock clock(io);  // real children: real time
    ScriptRunner runner(io, clock);
    Collect c;
    runner.run(
        {"/bin/sh", "-c", "[ \"$1\" = 'a b' ] && [ \"$2\" = '$x' ] && exit 7", "sh", "a b", "$x"},
        "", "", 0us, c.cb());
    run_until(io, [&] { return c.results.size() == 1; });
    ASSERT_EQ(c.results.size(), 1u);
    EXPECT_EQ(c.results[0].exit_code, 7);
}

// The scheduling set with set_child_scheduling is what a script starts with, not the
// daemon's: here a nice value above the test's and a single CPU.
TEST(Scripts, ChildSchedulingIsApplied) {
    cpu_set_t mine;
    ASSERT_EQ(::sched_getaffinity(0, sizeof mine, &mine), 0);
    int cpu = -1;
    for (int c = 0; c < CPU_SETSIZE && cpu < 0; ++c)
        if (CPU_ISSET(c, &mine)) cpu = c;
    boost::asio::io_context io;
    vigil::AsioClock clock(io);  // real children: real time
    ScriptRunner runner(io, clock);
    vigil::ChildScheduling sched;
    sched.nice = ::getpriority(PRIO_PROCESS, 0) + 3;
    sched.cpus = {cpu};
    runner.set_child_scheduling(sched);
    char tmpl[] = "/tmp/vigil-sched-XXXXXX";
    int fd = ::mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    ::close(fd);
    Collect c;
    runner.run(sh("cut -d' ' -f19 /proc/self/stat > " + std::string(tmpl) +
                  "; grep Cpus_allowed_list /proc/self/status >> " + tmpl),
               "", "", 0us, c.cb());
    run_until(io, [&] { return c.results.size() == 1; });
    ASSERT_EQ(c.results.size(), 1u);
    EXPECT_TRUE(c.results[0].success()) << c.results[0].error;
    std::ifstream in(tmpl);
    std::string nice, key, cpus;
    in >> nice >> key >> cpus;
    ::unlink(tmpl);
    EXPECT_EQ(nice, std::to_string(sched.nice));
    EXPECT_EQ(cpus, std::to_string(cpu));
}

TEST(Scripts, KilledBySignal) {
    boost::asio::io_context io;
    vigil::AsioClock clock(io);  // real children: real time
    ScriptRunner runner(io, clock);
    Collect c;
    runner.run(sh("kill -USR1 $$; sleep 5"), "", "", 0us, c.cb());
    run_until(io, [&] { return c.results.size() == 1; });
    ASSERT_EQ(c.results.size(), 1u);
    EXPECT_EQ(c.results[0].signal, SIGUSR1);
    EXPECT_EQ(c.results[0].exit_code, -1);
    EXPECT_FALSE(c.results[0].success());
    EXPECT_EQ(runner.counters().killed_by_signal, 1u);
}

TEST(Scripts, SignalMaskAndDispositionsReset) {
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    ::sigprocmask(SIG_BLOCK, &block, &old);
    auto old_usr2 = ::signal(SIGUSR2, SIG_IGN);
    boost::asio::io_context io;
    vigil::AsioClock clock(io);  // real children: real time
    ScriptRunner runner(io, clock);
    Collect c;
    runner.run(sh("kill -TERM $$; sleep 5"), "", "", 0us, c.cb());
    runner.run(sh("kill -USR2 $$; sleep 5"), "", "", 0us, c.cb());
    run_until(io, [&] { return c.results.size() == 2; });
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    ::signal(SIGUSR2, old_usr2);
    ASSERT_EQ(c.results.size(), 2u);
    std::multiset<int> sigs{c.results[0].signal, c.results[1].signal};
    EXPECT_EQ(sigs, (std::multiset<int>{SIGTERM, SIGUSR2}));
}

TEST(Scripts, StdioIsDevNullAndNoFdLeaksIntoChild) {
    int leaky = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
    ASSERT_GE(leaky, 3);
    boost::asio::io_context io;
    vigil::AsioClock clock(io);  // real children: real time
    ScriptRunner runner(io, clock);
    Collect c;
    const std::string check =
        "[ \"$(readlink /proc/$$/fd/0)\" = /dev/null ] && "
        "[ \"$(readlink /proc/$$/fd/1)\" = /dev/null ] && "
        "[ ! -e /proc/$$/fd/" +
        std::to_string(leaky) + " ]";
    runner.run(sh(check), "", "", 0us, c.cb());
    runner.run(sh(check), "nobody", "", 0us, c.cb());
    run_until(io, [&] { return c.results.size() == 2; });
    ::close(leaky);
    ASSERT_EQ(c.results.size(), 2u);
    EXPECT_EQ(c.results[0].exit_code, 0);
    EXPECT_EQ(c.results[1].exit_code, 0);
}

TEST(Scripts, TimeoutTerminatesAndReaps) {
    boost::asio::io_context io;
    vigil::AsioClock clock(io);  // real children: real time
    ScriptRunner runner(io, clock, 2s);
    Collect c;
    auto start = std::chrono::steady_clock::now();
    runner.run({"sleep", "30"}, "", "", 100ms, c.cb());
    run_until(io, [&] { return c.results.size() == 1; });
    ASSERT_EQ(c.results.size(), 1u);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    EXPECT_TRUE(c.results[0].timed_out);
    EXPECT_EQ(c.results[0].signal, SIGTERM);
    EXPECT_EQ(runner.counters().timed_out, 1u);
    EXPECT_EQ(runner.counters().sigkill_sent, 0u);
    EXPECT_TRUE(our_children().empty()) << "no zombie left";
}

TEST(Scripts, TimeoutEscalatesToSigkill) {
    boost::asio::io_context io;
    vigil::AsioClock clock(io);  // real children: real time
    ScriptRunner runner(io, clock, 200ms);
    Collect c;
    // Ignores SIGTERM and spins (no child to orphan) until killed.
    runner.run(sh("trap '' TERM; while :; do :; done"), "", "", 100ms, c.cb());
    run_until(io, [&] { return c.results.size() == 1; });
    ASSERT_EQ(c.results.size(), 1u);
    EXPECT_TRUE(c.results[0].timed_out);
    EXPECT_EQ(c.results[0].signal, SIGKILL);
    EXPECT_EQ(runner.counters().sigkill_sent, 1u);
    EXPECT_TRUE(our_children().empty());
}

TEST(Scripts, FinishingBeforeTimeoutIsNotTimedOut) {
    boost::asio::io_context io;
    vigil::AsioClock clock(io);  // real children: real time
    ScriptRunner runner(io, clock);
    Collect c;
    runner.run(sh("exit 4"), "", "", 5s, c.cb());
    run_until(io, [&] { return c.results.size() == 1; });
    ASSERT_EQ(c.results.size(), 1u);
    EXPECT_FALSE(c.results[0].timed_out);
    EXPECT_EQ(c.results[0].exit_code, 4);
    // The cancelled timer leaves nothing behind that would fire later.
    io.restart();
    io.run_for(50ms);
    EXPECT_EQ(c.results.size(), 1u);
}

TEST(Scripts, TwoHundredConcurrent) {
    boost::asio::io_context io;
    vigil::AsioClock clock(io);  // real children: real time
    ScriptRunner runner(io, clock);
    std::map<int, int> expected, got;
    int done = 0;
    for (int i = 0; i < 200; ++i) {
        expected[i] = i % 13;
        runner.run(sh("sleep 0.2; exit " + std::to_string(i % 13)), "", "", 0us,
                   [&, i](ScriptResult r) {
                       got[i] = r.exit_code;
                       ++done;
                   });
    }
    EXPECT_EQ(runner.running(), 200u);
    run_until(
        io, [&] { return done == 200; }, 60s);
    EXPECT_EQ(got, expected);
    EXPECT_EQ(runner.running(), 0u);
    EXPECT_EQ(runner.counters().started, 200u);
    EXPECT_TRUE(our_children().empty());
}

TEST(Scripts, NonexistentProgramIsSpawnFailed) {
    boost::asio::io_context io;
    vigil::AsioClock clock(io);  // real children: real time
    ScriptRunner runner(io, clock);
    Collect c;
    runner.run({"vigil-no-such-program"}, "", "", 0us, c.cb());
    runner.run({"/nonexistent/dir/prog"}, "", "", 0us, c.cb());
    runner.run({"/nonexistent/dir/prog"}, "nobody", "", 0us, c.cb());
    runner.run({}, "", "", 0us, c.cb());
    runner.run({"true"}, "vigil-no-such-user", "", 0us, c.cb());
    EXPECT_TRUE(c.results.empty());
    run_until(io, [&] { return c.results.size() == 5; });
    ASSERT_EQ(c.results.size(), 5u);
    for (auto& r : c.results) {
        EXPECT_TRUE(r.spawn_failed);
        EXPECT_FALSE(r.error.empty());
    }
    EXPECT_NE(c.results[0].error.find("vigil-no-such-program"), std::string::npos);
    EXPECT_NE(c.results[2].error.find("No such file"), std::string::npos) << c.results[2].error;
    EXPECT_NE(c.results[4].error.find("vigil-no-such-user"), std::string::npos);
    EXPECT_EQ(runner.counters().spawn_failed, 5u);
    EXPECT_EQ(runner.running(), 0u);
    EXPECT_TRUE(our_children().empty());
}

TEST(Scripts, RunsAsUser) {
    auto nobody = vigil::resolve_run_as("nobody", "");
    ASSERT_TRUE(nobody) << nobody.error();
    boost::asio::io_context io;
    vigil::AsioClock clock(io);  // real children: real time
    ScriptRunner runner(io, clock);
    Collect c;
    const std::string want = "[ \"$(id -u)\" = " + std::to_string(nobody->uid) +
                             " ] && [ \"$(id -g)\" = " + std::to_string(nobody->gid) + " ]";
    runner.run(sh(want), "nobody", "", 0us, c.cb());
    runner.run(sh(want), "nobody", "", 0us, c.cb());  // the kept lookup
    runner.run(sh("[ \"$(id -u)\" = " + std::to_string(::geteuid()) + " ]"), "", "", 0us, c.cb());
    run_until(io, [&] { return c.results.size() == 3; });
    ASSERT_EQ(c.results.size(), 3u);
    EXPECT_EQ(runner.user_lookups(), 1u);
    for (auto& r : c.results) EXPECT_EQ(r.exit_code, 0) << r.error;
}

// The timeout and the grace before SIGKILL run on the injected clock: real time alone never
// ends a script, the clock's moves do, each at its instant.
TEST(Scripts, TimeoutAndGraceRunOnTheInjectedClock) {
    boost::asio::io_context io;
    vigil::FakeClock clock;
    ScriptRunner runner(io, clock, 2s);
    Collect c;
    // Deaf to SIGTERM: only the SIGKILL at the end of the grace ends it.
    runner.run(sh("trap '' TERM; while :; do sleep 0.05; done"), "", "", 10s, c.cb());
    const auto settle = [&] {  // real time for the child and its pidfd
        io.restart();
        io.run_for(300ms);
    };
    settle();
    EXPECT_TRUE(c.results.empty());
    clock.advance(9s);
    settle();
    EXPECT_EQ(runner.counters().timed_out, 0u);
    clock.advance(1s);  // the timeout: SIGTERM, ignored
    settle();
    EXPECT_EQ(runner.counters().timed_out, 1u);
    EXPECT_TRUE(c.results.empty());
    clock.advance(2s);  // the grace: SIGKILL
    for (int i = 0; i < 50 && c.results.empty(); ++i) settle();
    ASSERT_EQ(c.results.size(), 1u);
    EXPECT_TRUE(c.results[0].timed_out);
    EXPECT_EQ(c.results[0].signal, SIGKILL);
    EXPECT_EQ(runner.counters().sigkill_sent, 1u);
}

TEST(Scripts, TerminateAll) {
    boost::asio::io_context io;
    vigil::AsioClock clock(io);  // real children: real time
    ScriptRunner runner(io, clock, 2s);
    Collect c;
    for (int i = 0; i < 3; ++i) runner.run({"sleep", "30"}, "", "", 0us, c.cb());
    runner.terminate_all();
    run_until(io, [&] { return c.results.size() == 3; });
    ASSERT_EQ(c.results.size(), 3u);
    for (auto& r : c.results) {
        EXPECT_EQ(r.signal, SIGTERM);
        EXPECT_FALSE(r.timed_out);
    }
    EXPECT_EQ(runner.running(), 0u);
    EXPECT_TRUE(our_children().empty());
}

TEST(Scripts, TerminateOneLeavesTheOthers) {
    boost::asio::io_context io;
    vigil::AsioClock clock(io);  // real children: real time
    ScriptRunner runner(io, clock, 2s);
    Collect c;
    const pid_t first = runner.run({"sleep", "30"}, "", "", 0us, c.cb());
    const pid_t second = runner.run({"sleep", "30"}, "", "", 0us, c.cb());
    ASSERT_GT(first, 0);
    ASSERT_GT(second, 0);
    EXPECT_EQ(runner.run({"nope-not-here"}, "", "", 0us, c.cb()), 0) << "did not start: no pid";
    runner.terminate(first);
    run_until(io, [&] { return c.results.size() == 2; });
    ASSERT_EQ(c.results.size(), 2u);  // the spawn failure and the terminated one
    EXPECT_EQ(runner.running(), 1u);
    EXPECT_EQ(our_children(), (std::vector<pid_t>{second}));
    runner.terminate(first);  // ended already: nothing happens
    runner.terminate(second);
    run_until(io, [&] { return c.results.size() == 3; });
    EXPECT_EQ(c.results.back().signal, SIGTERM);
    EXPECT_TRUE(our_children().empty());
}

TEST(Scripts, DestructorKillsAndReaps) {
    boost::asio::io_context io;
    bool called = false;
    {
        vigil::AsioClock clock(io);  // real children: real time
        ScriptRunner runner(io, clock);
        for (int i = 0; i < 5; ++i)
            runner.run({"sleep", "30"}, "", "", 10s, [&](ScriptResult) { called = true; });
        runner.run({"nope-not-here"}, "", "", 0us, [&](ScriptResult) { called = true; });
        EXPECT_EQ(our_children().size(), 5u);
    }
    for (pid_t p : our_children()) ADD_FAILURE() << "left: " << proc_stat(std::to_string(p));
    io.run_for(100ms);
    EXPECT_FALSE(called);
}

TEST(Scripts, NoFdLeak) {
    const std::size_t before = open_fds();
    {
        boost::asio::io_context io;
        vigil::AsioClock clock(io);  // real children: real time
        ScriptRunner runner(io, clock, 100ms);
        Collect c;
        for (int i = 0; i < 20; ++i) runner.run(sh("exit 1"), "", "", 0us, c.cb());
        for (int i = 0; i < 5; ++i) runner.run({"sleep", "30"}, "", "", 50ms, c.cb());
        for (int i = 0; i < 5; ++i) runner.run({"no-such-prog"}, "", "", 0us, c.cb());
        for (int i = 0; i < 5; ++i) runner.run({"/no/such"}, "nobody", "", 0us, c.cb());
        for (int i = 0; i < 5; ++i) runner.run({"true"}, "nobody", "", 0us, c.cb());
        run_until(io, [&] { return c.results.size() == 40; });
        ASSERT_EQ(c.results.size(), 40u);
        EXPECT_EQ(runner.running(), 0u);
    }
    EXPECT_EQ(open_fds(), before);
}

TEST(Scripts, ThrowingCallbackIsContained) {
    boost::asio::io_context io;
    vigil::AsioClock clock(io);  // real children: real time
    ScriptRunner runner(io, clock);
    int after = 0;
    runner.run({"true"}, "", "", 0us, [](ScriptResult) { throw std::runtime_error("boom"); });
    runner.run({"true"}, "", "", 0us, [&](ScriptResult) { ++after; });
    run_until(io, [&] { return after == 1 && runner.running() == 0; });
    EXPECT_EQ(after, 1);
    EXPECT_EQ(runner.counters().callback_errors, 1u);
}

TEST(Scripts, OwnProcessGroupOnlyWhenAsked) {
    boost::asio::io_context io;
    vigil::AsioClock clock(io);  // real children: real time
    ScriptRunner runner(io, clock);
    Collect own, shared;  // apart: they may end in either order
    const std::string leads = "[ \"$(cut -d' ' -f5 /proc/$$/stat)\" = $$ ]";
    runner.run(sh(leads), "", "", 0us, own.cb(), {.own_process_group = true});
    runner.run(sh(leads), "", "", 0us, shared.cb());
    run_until(io, [&] { return own.results.size() == 1 && shared.results.size() == 1; });
    ASSERT_EQ(own.results.size(), 1u);
    ASSERT_EQ(shared.results.size(), 1u);
    EXPECT_EQ(own.results[0].exit_code, 0) << "leads its own group";
    EXPECT_EQ(shared.results[0].exit_code, 1) << "in the daemon's group";
}

TEST(Scripts, KillTakesTheWholeProcessGroup) {
    boost::asio::io_context io;
    vigil::AsioClock clock(io);  // real children: real time
    ScriptRunner runner(io, clock);
    Collect c;
    char dir[] = "/tmp/vigil-scripts-XXXXXX";
    ASSERT_TRUE(::mkdtemp(dir));
    const std::string pidfile = std::string(dir) + "/child";
    const pid_t pid = runner.run(sh("sleep 30 & echo $! > " + pidfile + ".tmp; mv " + pidfile +
                                    ".tmp " + pidfile + "; wait"),
                                 "", "", 0us, c.cb(), {.own_process_group = true});
    ASSERT_GT(pid, 0);
    pid_t child = 0;
    run_until(io, [&] {
        std::ifstream in(pidfile);
        return static_cast<bool>(in >> child);
    });
    ASSERT_GT(child, 0);
    runner.kill(pid);
    runner.kill(pid);  // once is enough
    run_until(io, [&] { return c.results.size() == 1; });
    ASSERT_EQ(c.results.size(), 1u);
    EXPECT_EQ(c.results[0].signal, SIGKILL);
    EXPECT_EQ(runner.counters().sigkill_sent, 1u);
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (proc_state(child) != 0 && proc_state(child) != 'Z' &&
           std::chrono::steady_clock::now() < deadline)
        ::usleep(10000);
    const char st = proc_state(child);
    EXPECT_TRUE(st == 0 || st == 'Z') << "the script's own child survived its kill: " << st;
    if (st != 0 && st != 'Z') ::kill(child, SIGKILL);
    ::unlink(pidfile.c_str());
    ::rmdir(dir);
}

// The user database is read once per user and group until a reload forgets them.
TEST(Scripts, UsersAreLookedUpOncePerReload) {
    boost::asio::io_context io;
    vigil::AsioClock clock(io);  // real children: real time
    ScriptRunner runner(io, clock);
    Collect c;
    for (int i = 0; i < 3; ++i) runner.run(sh("id -u"), "root", "", 0us, c.cb());
    runner.run(sh("true"), "no-such-user-xyz", "", 0us, c.cb());
    runner.run(sh("true"), "no-such-user-xyz", "", 0us, c.cb());
    EXPECT_EQ(runner.user_lookups(), 2u);
    run_until(io, [&] { return c.results.size() == 5; });
    ASSERT_EQ(c.results.size(), 5u);
    std::size_t failed = 0;
    for (const auto& r : c.results) failed += r.spawn_failed ? 1 : 0;
    EXPECT_EQ(failed, 2u);  // the unknown user, both times, from the cached answer
    runner.forget_users();
    runner.run(sh("true"), "root", "", 0us, c.cb());
    EXPECT_EQ(runner.user_lookups(), 3u);
    run_until(io, [&] { return c.results.size() == 6; });
}
