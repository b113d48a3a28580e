// The one place where reading a configuration touches this machine.
#include "config/system_host.hpp"

#include "config/config.hpp"
#include "config/source.hpp"
#include "scripts.hpp"

#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <net/if.h>
#include <pwd.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <filesystem>
#include <random>

namespace vigil::config {
namespace {

class FdReader final : public FileReader {
  public:
    FdReader(int fd, bool seekable) : fd_(fd), seekable_(seekable) {}
    ~FdReader() override { ::close(fd_); }
    FdReader(const FdReader&) = delete;
    FdReader& operator=(const FdReader&) = delete;

    std::size_t read(std::span<char> out) override {
        std::size_t got = 0;
        while (got < out.size()) {
            auto n = ::read(fd_, out.data() + got, out.size() - got);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            got += static_cast<std::size_t>(n);
        }
        return got;
    }
    bool rewind() override { return seekable_ && ::lseek(fd_, 0, SEEK_SET) == 0; }

  private:
    int fd_;
    bool seekable_;
};

}  // namespace

std::unique_ptr<FileReader> SystemHost::open_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return nullptr;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        ::close(fd);
        return nullptr;
    }
    return std::make_unique<FdReader>(fd, S_ISREG(st.st_mode));
}

std::optional<std::string> SystemHost::read_file(const std::string& path) {
    auto file = open_file(path);
    if (!file) return std::nullopt;
    std::string text;
    char buf[65536];
    while (auto n = file->read(buf)) text.append(buf, n);
    return text;
}

bool SystemHost::is_regular_file(const std::string& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec);
}

std::vector<std::string> SystemHost::list_dir(const std::string& dir) {
    namespace fs = std::filesystem;
    std::vector<std::string> out;
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
         it.increment(ec))
        out.push_back(it->path().string());
    return out;
}

std::vector<std::string> SystemHost::glob(const std::string& pattern) {
    glob_t g{};
    std::vector<std::string> paths;
    if (::glob(pattern.c_str(), GLOB_BRACE | GLOB_TILDE | GLOB_MARK, nullptr, &g) == 0)
        for (std::size_t i = 0; i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
    ::globfree(&g);
    return paths;
}

std::string SystemHost::current_dir() {
    char buf[4096];
    return ::getcwd(buf, sizeof buf) ? buf : "";
}

// As the script runner finds it when it starts it.
bool SystemHost::executable(const std::string& program) {
    auto path = find_program(program);
    if (!path) return false;
    struct stat st {};
    return ::stat(path->c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(path->c_str(), X_OK) == 0;
}

std::string SystemHost::host_name() {
    char host[256] = {};
    return ::gethostname(host, sizeof host - 1) == 0 ? host : "";
}

bool SystemHost::interface_exists(const std::string& name) {
    return ::if_nametoindex(name.c_str()) != 0;
}

bool SystemHost::user_exists(const std::string& name) {
    return ::getpwnam(name.c_str()) != nullptr;
}

bool SystemHost::group_exists(const std::string& name) {
    return ::getgrnam(name.c_str()) != nullptr;
}

std::pair<int, int> SystemHost::rt_priority_range() {
    return {::sched_get_priority_min(SCHED_RR), ::sched_get_priority_max(SCHED_RR)};
}

long SystemHost::cpu_count() {
    return ::sysconf(_SC_NPROCESSORS_CONF);
}

unsigned SystemHost::random_seed() {
    return std::random_device{}();
}

// The entry points without a host read this machine.
LoadResult load_file(const std::string& path, const LoadOptions& options) {
    SystemHost host;
    return load_file(path, options, host);
}

LoadResult load_string(std::string_view text, const std::string& name, const LoadOptions& options) {
    SystemHost host;
    return load_string(text, name, options, host);
}

void preprocess_text(TokenStream& out, std::string text, const std::string& name,
                     const std::string& base_dir, const PreprocessOptions& options) {
    SystemHost host;
    preprocess_text(out, std::move(text), name, base_dir, options, host);
}

void preprocess_file(TokenStream& out, const std::string& path, const PreprocessOptions& options) {
    SystemHost host;
    preprocess_file(out, path, options, host);
}

}  // namespace vigil::config
