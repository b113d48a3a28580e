#include "proc_scan.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <optional>

namespace vigil::vrrp {
namespace {

struct DirCloser {
    void operator()(DIR* d) const { ::closedir(d); }
};

// Up to `limit` bytes of a file; nullopt when it cannot be opened (the process is gone).
std::optional<std::string> read_bounded(const std::string& path, std::size_t limit) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::string out(limit, '\0');
    std::size_t got = 0;
    bool ok = true;
    while (got < limit) {
        const ssize_t n = ::read(fd, out.data() + got, limit - got);
        if (n < 0) {
            ok = false;
            break;
        }
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (!ok) return std::nullopt;
    out.resize(got);
    return out;
}

bool all_digits(const char* s) {
    if (*s == '\0') return false;
    for (; *s; ++s)
        if (*s < '0' || *s > '9') return false;
    return true;
}

}  // namespace

std::vector<ProcessEntry> scan_processes(const ScanNeeds& needs, const std::string& proc_root) {
    std::vector<ProcessEntry> out;
    std::unique_ptr<DIR, DirCloser> dir(::opendir(proc_root.c_str()));
    if (!dir) return out;
    while (const dirent* ent = ::readdir(dir.get())) {
        if (!all_digits(ent->d_name)) continue;
        const std::string base = proc_root + "/" + ent->d_name;
        ProcessEntry p;
        p.pid = std::atoi(ent->d_name);
        if (needs.comm) {
            // "PID (NAME) S ...": NAME may hold spaces and parentheses, so the last ')' ends it.
            auto stat = read_bounded(base + "/stat", 512);
            if (!stat) continue;
            const auto open = stat->find('(');
            const auto close = stat->rfind(')');
            if (open == std::string::npos || close == std::string::npos || close < open) continue;
            p.comm = stat->substr(open + 1, close - open - 1);
            p.zombie = close + 2 < stat->size() && (*stat)[close + 2] == 'Z';
        }
        if (needs.cmdline_bytes > 0) {
            auto cmd = read_bounded(base + "/cmdline", needs.cmdline_bytes);
            if (!cmd) continue;
            p.cmdline = std::move(*cmd);
        }
        out.push_back(std::move(p));
    }
    return out;
}

}  // namespace vigil::vrrp
