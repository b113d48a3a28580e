#include "app.hpp"
#include "cli.hpp"
#include "config/config.hpp"
#include "config/system_host.hpp"
#include "ctl.hpp"
#include "log.hpp"
#include "pidfile.hpp"
#include "status.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <expected>
#include <filesystem>
#include <optional>

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "0.1.0"
#endif

namespace {

constexpr int kExitConfigError = 5;  // as keepalived -t

// Detaches from the terminal; the caller continues in the daemon process.
bool daemonize() {
    pid_t pid = fork();
    if (pid < 0) return false;
    if (pid > 0) _exit(0);
    if (setsid() < 0) return false;
    pid = fork();
    if (pid < 0) return false;
    if (pid > 0) _exit(0);
    umask(022);
    if (chdir("/") != 0) return false;
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        if (fd > 2) close(fd);
    }
    return true;
}

// The namespace `ip netns add NAME` made (/run/netns/NAME).
std::expected<void, std::string> enter_net_namespace(const std::string& name) {
    if (name.find('/') != std::string::npos || name == "." || name == "..")
        return std::unexpected("net_namespace '" + name + "': expected a name, not a path");
    const std::string path = "/run/netns/" + name;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return std::unexpected(
            fmt::format("net_namespace {}: cannot open {}: {}", name, path, std::strerror(errno)));
    const int rc = ::setns(fd, CLONE_NEWNET);
    const int err = errno;
    ::close(fd);
    if (rc != 0)
        return std::unexpected(
            fmt::format("net_namespace {}: setns: {}", name, std::strerror(err)));
    return {};
}

// systemd sets JOURNAL_STREAM to the device:inode of the stream it connected to stderr.
bool stderr_is_journal() {
    const char* js = std::getenv("JOURNAL_STREAM");
    struct stat st {};
    if (!js || ::fstat(2, &st) != 0) return false;
    return fmt::format("{}:{}", st.st_dev, st.st_ino) == js;
}

void print_diagnostics(const vigil::config::LoadResult& r) {
    for (const auto& d : r.diagnostics) fmt::print(stderr, "{}\n", vigil::config::format(d));
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    // vigilctl's commands, for hosts where only vigild is installed.
    if (!args.empty() && args[0] == "--ctl")
        return vigil::run_ctl({args.begin() + 1, args.end()}, "vigild --ctl");
    auto parsed = vigil::parse_command_line(args);
    if (!parsed) {
        fmt::print(stderr, "vigild: {}\nTry 'vigild --help'.\n", parsed.error());
        return 2;
    }
    vigil::Options opt = std::move(*parsed);
    if (opt.show_help) {
        fmt::print("{}", vigil::usage("vigild"));
        return 0;
    }
    if (opt.show_version) {
        fmt::print("vigild {}\n", VIGIL_VERSION);
        return 0;
    }
    for (const auto& n : opt.notes) fmt::print(stderr, "vigild: {}\n", n);
    if (opt.status) {
        const std::string path = opt.status_socket.empty()
                                     ? vigil::derived_path(opt.pid_file, "", ".sock")
                                     : opt.status_socket;
        auto r = vigil::query_status(path);
        if (!r) {
            fmt::print(stderr, "vigild: no daemon answers on {}\n", r.error());
            return 3;
        }
        fmt::print("{}", opt.status_json ? *r : vigil::render_status(*r));
        return 0;
    }

    vigil::config::LoadOptions lo;
    lo.config_id = opt.config_id;
    lo.defines = opt.defines;
    if (opt.config_test || opt.dump_config) {
        lo.check_scripts = opt.config_test;
        lo.check_only = !opt.dump_config;
    }
    // -s or global_defs net_namespace: everything, the config check included, runs inside it.
    auto load_in_namespace = [&]() -> std::optional<vigil::config::LoadResult> {
        if (!opt.net_namespace.empty())
            if (auto e = enter_net_namespace(opt.net_namespace); !e) {
                fmt::print(stderr, "vigild: {}\n", e.error());
                return std::nullopt;
            }
        vigil::config::SystemHost host;
        auto r = vigil::config::load_file(opt.config_file, lo, host);
        if (!opt.net_namespace.empty() || r.config.global.net_namespace.empty()) return r;
        if (auto e = enter_net_namespace(r.config.global.net_namespace); !e) {
            fmt::print(stderr, "vigild: {}\n", e.error());
            return std::nullopt;
        }
        return vigil::config::load_file(opt.config_file, lo, host);  // interfaces as seen in there
    };
    if (opt.config_test || opt.dump_config) {
        auto loaded_t = load_in_namespace();
        if (!loaded_t) return 1;
        auto& r = *loaded_t;
        print_diagnostics(r);
        if (opt.dump_config) fmt::print("{}\n", vigil::config::to_json(r.config));
        if (opt.config_test) {
            const auto errors =
                std::count_if(r.diagnostics.begin(), r.diagnostics.end(),
                              [](auto& d) { return d.severity == vigil::config::Severity::error; });
            fmt::print(stderr, "{}: {} error(s), {} warning(s)\n", opt.config_file, errors,
                       r.diagnostics.size() - errors);
        }
        return r.ok() ? 0 : kExitConfigError;
    }

    // The daemon moves to "/": reloads and the pid file must not depend on the start directory.
    opt.config_file = std::filesystem::absolute(opt.config_file).string();
    opt.pid_file = std::filesystem::absolute(opt.pid_file).string();
    if (!opt.status_socket.empty())
        opt.status_socket = std::filesystem::absolute(opt.status_socket).string();
    auto loaded_n = load_in_namespace();
    if (!loaded_n) return 1;
    auto& loaded = *loaded_n;
    if (!loaded.startable()) {
        print_diagnostics(loaded);
        fmt::print(stderr, "vigild: {}: not started, the configuration has errors\n",
                   opt.config_file);
        return kExitConfigError;
    }
    if (!opt.foreground && !daemonize()) {
        perror("vigild: daemonize");
        return 1;
    }
    vigil::Logger log({.console = opt.log_console,
                       .syslog = !opt.no_syslog,
                       .detail = opt.log_detail,
                       .file = opt.log_file,
                       .ident = opt.syslog_ident,
                       .facility = opt.log_facility,
                       .format = opt.log_format,
                       .journal = stderr_is_journal()});
    for (const auto& d : loaded.diagnostics) log.warning("{}", vigil::config::format(d));
    vigil::App app(std::move(opt), log);
    return app.run(std::move(loaded.config));
}
