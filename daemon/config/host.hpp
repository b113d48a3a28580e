// Everything reading a configuration asks of the machine it runs on. The daemon passes the
// real one (SystemHost); tests and the fuzz target pass a MemoryHost, so the front end itself
// never touches a file, a name service or the kernel.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vigil::config {

class Host {
  public:
    virtual ~Host() = default;

    // Files.
    // The whole content of PATH; nullopt when it cannot be opened or is a directory.
    virtual std::optional<std::string> read_file(const std::string& path) = 0;
    virtual bool is_regular_file(const std::string& path) = 0;
    // The entries of DIR as "DIR/NAME", in no particular order; none when it cannot be read.
    virtual std::vector<std::string> list_dir(const std::string& dir) = 0;
    // The paths PATTERN matches, as glob(3) with GLOB_BRACE | GLOB_TILDE | GLOB_MARK gives them
    // (a directory ends in '/').
    virtual std::vector<std::string> glob(const std::string& pattern) = 0;
    // The absolute working directory; empty when unknown.
    virtual std::string current_dir() = 0;
    // PROGRAM (looked up in PATH when it has no '/') is a regular file we may execute.
    virtual bool executable(const std::string& program) = 0;

    // Names.
    virtual std::string host_name() = 0;  // empty when unknown
    virtual bool interface_exists(const std::string& name) = 0;
    virtual bool user_exists(const std::string& name) = 0;
    virtual bool group_exists(const std::string& name) = 0;

    // Limits and entropy.
    virtual std::pair<int, int> rt_priority_range() = 0;  // SCHED_RR's minimum and maximum
    virtual long cpu_count() = 0;                         // CPUs configured
    virtual unsigned random_seed() = 0;                   // first seed of ${_RANDOM}
};

}  // namespace vigil::config
