#include "pidfile.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace vigil {

std::expected<PidFile, std::string> PidFile::create(const std::string& path) {
    {
        std::ifstream in(path);
        long old = 0;
        if (in >> old && old > 0 && old != getpid() && kill(static_cast<pid_t>(old), 0) == 0)
            return std::unexpected(fmt::format("{}: process {} is running", path, old));
    }
    const std::string tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return std::unexpected(fmt::format("{}: {}", tmp, std::strerror(errno)));
    const std::string text = fmt::format("{}\n", getpid());
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        return std::unexpected(fmt::format("{}: {}", path, std::strerror(errno)));
    }
    return PidFile(path);
}

PidFile::~PidFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
}

std::string derived_path(const std::string& pid_file, const std::string& dir,
                         const std::string& suffix) {
    std::filesystem::path p(pid_file);
    std::string stem = p.stem().string();
    if (stem.empty()) stem = "vigild";
    const std::filesystem::path base = dir.empty() ? p.parent_path() : std::filesystem::path(dir);
    return (base / (stem + suffix)).string();
}

}  // namespace vigil
