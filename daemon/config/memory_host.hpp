// A Host made of values: files in a map, a fixed host name, interfaces, users and groups. For
// tests and the fuzz target: nothing it answers depends on the machine it runs on.
#pragma once

#include "config/host.hpp"

#include <map>
#include <set>

namespace vigil::config {

class MemoryHost final : public Host {
  public:
    // Absolute path -> content. Directories are the parents of the files.
    std::map<std::string, std::string> files;
    std::string cwd = "/";
    std::string hostname = "memhost";
    std::set<std::string> interfaces = {"lo"};
    std::set<std::string> users = {"root"};
    std::set<std::string> groups = {"root"};
    std::set<std::string> executables;  // absolute paths
    std::vector<std::string> path = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
                                     "/usr/bin",        "/sbin",          "/bin"};
    std::string home = "/root";  // "~" in a glob pattern
    std::pair<int, int> rt_priorities{1, 99};
    long cpus = 4;
    unsigned seed = 1;
    std::vector<std::string> users_asked;  // every user_exists(), in order

    // PATH made absolute against cwd, with "//", "." and ".." resolved.
    std::string normalize(const std::string& path) const;

    std::optional<std::string> read_file(const std::string& path) override;
    bool is_regular_file(const std::string& path) override;
    std::vector<std::string> list_dir(const std::string& dir) override;
    std::vector<std::string> glob(const std::string& pattern) override;
    std::string current_dir() override { return cwd; }
    bool executable(const std::string& program) override;
    std::string host_name() override { return hostname; }
    bool interface_exists(const std::string& name) override { return interfaces.count(name) > 0; }
    bool user_exists(const std::string& name) override {
        users_asked.push_back(name);
        return users.count(name) > 0;
    }
    bool group_exists(const std::string& name) override { return groups.count(name) > 0; }
    std::pair<int, int> rt_priority_range() override { return rt_priorities; }
    long cpu_count() override { return cpus; }
    unsigned random_seed() override { return seed; }

  private:
    bool is_dir(const std::string& normalized) const;
    std::set<std::string> children(const std::string& normalized_dir) const;
    std::vector<std::string> glob_plain(const std::string& pattern) const;
};

// PATTERN's brace alternatives, in order, as glob(3) with GLOB_BRACE expands them ("{a,b}c" is
// "ac", "bc"; nested braces too; an unmatched '{' leaves the pattern as it is).
std::vector<std::string> expand_braces(const std::string& pattern);

}  // namespace vigil::config
