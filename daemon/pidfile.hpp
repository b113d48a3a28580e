// The pid file: written at start, removed when the daemon ends.
#pragma once

#include <expected>
#include <string>

namespace vigil {

class PidFile {
  public:
    // Fails when another live process holds the file.
    static std::expected<PidFile, std::string> create(const std::string& path);
    PidFile(PidFile&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
    PidFile& operator=(PidFile&&) = delete;
    PidFile(const PidFile&) = delete;
    ~PidFile();

    const std::string& path() const { return path_; }

  private:
    explicit PidFile(std::string path) : path_(std::move(path)) {}
    std::string path_;
};

// Files that must differ between daemons with different pid files (as keepalived does): derived
// from the pid file's name unless configured. "/run/vigild.pid" -> "/run/vigild.sock",
// "/tmp/vigild.data".
std::string derived_path(const std::string& pid_file, const std::string& dir,
                         const std::string& suffix);

}  // namespace vigil
