// Everything reading a configuration asks of the machine it runs on. The daemon passes the
// real one (SystemHost); tests and the fuzz target pass a MemoryHost, so the front end itself
// never touches a file, a name service or the kernel.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace vigil::config {

// A file read front to back in pieces, so a large configuration is never held whole.
class FileReader {
  public:
    virtual ~FileReader() = default;
    // Up to OUT.size() more bytes into OUT; 0 at the end (a read error ends it too).
    virtual std::size_t read(std::span<char> out) = 0;
    // Back to the first byte; false when the file cannot be read twice (a pipe).
    virtual bool rewind() = 0;
};

// A FileReader over TEXT.
std::unique_ptr<FileReader> string_reader(std::string text);

class Host {
  public:
    virtual ~Host() = default;

    // Files.
    // The whole content of PATH; nullopt when it cannot be opened or is a directory.
    virtual std::optional<std::string> read_file(const std::string& path) = 0;
    // PATH opened for reading in pieces; null as read_file's nullopt. This one reads it whole.
    virtual std::unique_ptr<FileReader> open_file(const std::string& path);
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
