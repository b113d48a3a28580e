// Reading another process's /proc/PID/stat from a test. Any process may exit between
// readdir and read (ESRCH), so every read error means "gone", never a throw.
#pragma once

#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <string>

namespace vigil::test {

// /proc/PID/stat, or "" when the process is gone.
inline std::string proc_stat(const std::string& pid) {
    std::string out;
    const int fd = ::open(("/proc/" + pid + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return out;
    char buf[1024];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return n < 0 ? std::string{} : out;
}

// The state letter ('R', 'S', 'Z', ...), or 0 once the process is gone.
inline char proc_state(pid_t pid) {
    const std::string stat = proc_stat(std::to_string(pid));
    const auto close = stat.rfind(')');
    return close == std::string::npos || close + 2 >= stat.size() ? char(0) : stat[close + 2];
}

}  // namespace vigil::test
