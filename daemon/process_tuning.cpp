#include "process_tuning.hpp"

#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace vigil {

namespace {

template <class T>
void pick(const std::optional<T>& v, const std::optional<T>& c, std::optional<T>& out,
          const char* kw, std::vector<std::string>& conflicts) {
    out = v ? v : c;
    if (v && c && *v != *c)
        conflicts.push_back(std::string("vrrp_") + kw + " " + std::to_string(*v) + " and checker_" +
                            kw + " " + std::to_string(*c) +
                            ": vigild is one process and uses the vrrp_ value");
}

std::string cpu_list(const std::vector<int>& cpus) {
    std::string s;
    for (int c : cpus) s += (s.empty() ? "" : " ") + std::to_string(c);
    return s;
}

std::string errno_text() {
    return std::strerror(errno);
}

}  // namespace

MergedSettings merge_process_settings(const config::ProcessTuning& vrrp,
                                      const config::ProcessTuning& checker) {
    MergedSettings m;
    auto& s = m.settings;
    pick(vrrp.nice, checker.nice, s.nice, "priority", m.conflicts);
    pick(vrrp.rt_priority, checker.rt_priority, s.rt_priority, "rt_priority", m.conflicts);
    std::optional<std::uint32_t> rttime;
    pick(vrrp.rlimit_rttime, checker.rlimit_rttime, rttime, "rlimit_rttime", m.conflicts);
    if (rttime) s.rlimit_rttime = *rttime;
    s.cpu_affinity = vrrp.cpu_affinity.empty() ? checker.cpu_affinity : vrrp.cpu_affinity;
    if (!vrrp.cpu_affinity.empty() && !checker.cpu_affinity.empty() &&
        vrrp.cpu_affinity != checker.cpu_affinity)
        m.conflicts.push_back("vrrp_cpu_affinity " + cpu_list(vrrp.cpu_affinity) +
                              " and checker_cpu_affinity " + cpu_list(checker.cpu_affinity) +
                              ": vigild is one process and uses the vrrp_ value");
    s.no_swap = vrrp.no_swap || checker.no_swap;
    return m;
}

TuningOutcome apply_process_settings(const ProcessSettings& s) {
    TuningOutcome out;
    if (!s.any()) return out;
    // What the daemon had: scripts get it back.
    ChildScheduling child;
    errno = 0;
    const int nice = ::getpriority(PRIO_PROCESS, 0);
    child.nice = errno == 0 ? nice : 0;
    child.policy = ::sched_getscheduler(0) & ~SCHED_RESET_ON_FORK;
    if (child.policy < 0) child.policy = SCHED_OTHER;
    sched_param param{};
    if (::sched_getparam(0, &param) == 0) child.sched_priority = param.sched_priority;
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    if (::sched_getaffinity(0, sizeof cpus, &cpus) == 0)
        for (int c = 0; c < CPU_SETSIZE; ++c)
            if (CPU_ISSET(c, &cpus)) child.cpus.push_back(c);
    rlimit rt{};
    if (::getrlimit(RLIMIT_RTTIME, &rt) == 0) child.rttime = rt;

    if (!s.cpu_affinity.empty()) {
        cpu_set_t want;
        CPU_ZERO(&want);
        for (int c : s.cpu_affinity) CPU_SET(c, &want);
        if (::sched_setaffinity(0, sizeof want, &want) == 0)
            out.applied.push_back("CPU affinity " + cpu_list(s.cpu_affinity));
        else
            out.errors.push_back("unable to set CPU affinity " + cpu_list(s.cpu_affinity) + ": " +
                                 errno_text());
    }
    if (s.no_swap) {
        if (::mlockall(MCL_CURRENT | MCL_FUTURE) == 0)
            out.applied.push_back("memory locked (no swap)");
        else
            out.errors.push_back("unable to lock memory: " + errno_text());
    }
    if (s.rt_priority) {
        // The limit first: a runaway loop under SCHED_RR must never hold a CPU for good. The
        // soft limit (SIGXCPU, logged) comes at half the hard one (SIGKILL), as keepalived.
        rlimit lim{s.rlimit_rttime / 2, s.rlimit_rttime};
        if (::setrlimit(RLIMIT_RTTIME, &lim) != 0)
            out.errors.push_back("unable to set RLIMIT_RTTIME " + std::to_string(s.rlimit_rttime) +
                                 ": " + errno_text());
        sched_param rr{};
        rr.sched_priority = *s.rt_priority;
        if (::sched_setscheduler(0, SCHED_RR, &rr) == 0)
            out.applied.push_back("real-time scheduling SCHED_RR priority " +
                                  std::to_string(*s.rt_priority) + ", RLIMIT_RTTIME " +
                                  std::to_string(s.rlimit_rttime) + " us");
        else
            out.errors.push_back("unable to set real-time priority " +
                                 std::to_string(*s.rt_priority) + ": " + errno_text());
    } else if (s.nice) {
        if (::setpriority(PRIO_PROCESS, 0, *s.nice) == 0)
            out.applied.push_back("process priority (nice) " + std::to_string(*s.nice));
        else
            out.errors.push_back("unable to set process priority " + std::to_string(*s.nice) +
                                 ": " + errno_text());
    }
    out.child = std::move(child);
    return out;
}

}  // namespace vigil
