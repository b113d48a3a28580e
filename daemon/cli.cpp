#include "cli.hpp"

#include <fmt/format.h>

#include <string_view>

namespace vigil {
namespace {

enum class Arg { none, required, optional };

struct Spec {
    char short_name;  // 0: long only
    std::string_view long_name;
    Arg arg;
};

constexpr Spec kSpecs[] = {
    {'f', "use-file", Arg::required},
    {'n', "dont-fork", Arg::none},
    {'l', "log-console", Arg::none},
    {'D', "log-detail", Arg::none},
    {'t', "config-test", Arg::optional},
    {'p', "pid", Arg::required},
    {'r', "vrrp_pid", Arg::required},
    {'c', "checkers_pid", Arg::required},
    {'a', "address-monitoring", Arg::none},
    {'b', "bfd_pid", Arg::required},
    {'P', "vrrp", Arg::none},
    {'C', "check", Arg::none},
    {'B', "no_bfd", Arg::none},
    {'G', "no-syslog", Arg::none},
    {'g', "log-file", Arg::optional},
    {'i', "config-id", Arg::required},
    {'s', "namespace", Arg::required},
    {'x', "snmp", Arg::none},
    {'S', "log-facility", Arg::required},
    {'d', "dump-conf", Arg::none},
    {'m', "core-dump", Arg::none},
    {'M', "core-dump-pattern", Arg::optional},
    {'R', "dont-respawn", Arg::none},
    {'X', "release-vips", Arg::none},
    {'v', "version", Arg::none},
    {'h', "help", Arg::none},
    {0, "dump-config", Arg::none},
    {0, "status", Arg::none},
    {0, "json", Arg::none},
    {0, "status-socket", Arg::required},
    {0, "define", Arg::required},
    {0, "log-format", Arg::required},
    {0, "syslog-ident", Arg::required},
};

const Spec* find_short(char c) {
    for (const auto& s : kSpecs)
        if (s.short_name == c) return &s;
    return nullptr;
}

const Spec* find_long(std::string_view name) {
    for (const auto& s : kSpecs)
        if (s.long_name == name) return &s;
    return nullptr;
}

std::expected<void, std::string> apply(Options& o, const Spec& s, std::optional<std::string> v) {
    const std::string name =
        s.short_name ? fmt::format("-{}", s.short_name) : fmt::format("--{}", s.long_name);
    switch (s.short_name) {
        case 'f':
            o.config_file = *v;
            return {};
        case 'n':
            o.foreground = true;
            return {};
        case 'l':
            o.log_console = true;
            return {};
        case 'D':
            o.log_detail = true;
            return {};
        case 't':
            o.config_test = true;
            if (v) o.config_file = *v;
            return {};
        case 'p':
            o.pid_file = *v;
            return {};
        case 'r':
        case 'c':
        case 'b':
            o.notes.push_back(
                fmt::format("{} ignored: vigild is one process with one pid file", name));
            return {};
        case 'P':
            o.vrrp_only = true;
            return {};
        case 'C':
            o.check_only = true;
            return {};
        case 'G':
            o.no_syslog = true;
            return {};
        case 'g':
            o.log_file = v ? *v : "/tmp/vigild.log";
            return {};
        case 'i':
            o.config_id = *v;
            return {};
        case 's':
            o.net_namespace = *v;
            return {};
        case 'x':
            o.notes.push_back(
                "-x ignored: SNMP is not supported; use the status socket or metrics");
            return {};
        case 'S': {
            auto f = parse_log_facility(*v);
            if (!f) return std::unexpected(fmt::format("{}: {}", name, f.error()));
            o.log_facility = *f;
            return {};
        }
        case 'a':
        case 'B':
        case 'd':
        case 'm':
        case 'M':
        case 'R':
        case 'X':
            o.notes.push_back(fmt::format("{} ignored: no meaning for vigild", name));
            return {};
        case 'v':
            o.show_version = true;
            return {};
        case 'h':
            o.show_help = true;
            return {};
        default:
            break;
    }
    if (s.long_name == "dump-config")
        o.dump_config = true;
    else if (s.long_name == "status")
        o.status = true;
    else if (s.long_name == "json")
        o.status_json = true;
    else if (s.long_name == "status-socket")
        o.status_socket = *v;
    else if (s.long_name == "define")
        o.defines.push_back(*v);
    else if (s.long_name == "log-format") {
        auto f = parse_log_format(*v);
        if (!f) return std::unexpected(fmt::format("{}: {}", name, f.error()));
        o.log_format = *f;
    } else if (s.long_name == "syslog-ident") {
        if (v->empty()) return std::unexpected("--syslog-ident: needs a name");
        o.syslog_ident = *v;
    }
    return {};
}

}  // namespace

std::expected<Options, std::string> parse_command_line(const std::vector<std::string>& args) {
    Options o;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        auto next_value =
            [&](const Spec& s) -> std::expected<std::optional<std::string>, std::string> {
            if (s.arg == Arg::none) return std::nullopt;
            // Optional arguments are only taken when they do not look like an option.
            if (i + 1 < args.size() && (s.arg == Arg::required || args[i + 1].rfind('-', 0) != 0))
                return args[++i];
            if (s.arg == Arg::optional) return std::nullopt;
            return std::unexpected(fmt::format("option '{}' needs a value", a));
        };
        if (a.starts_with("--")) {
            std::string_view body = a.substr(2);
            std::optional<std::string> inline_value;
            if (auto eq = body.find('='); eq != std::string_view::npos) {
                inline_value = std::string(body.substr(eq + 1));
                body = body.substr(0, eq);
            }
            const Spec* s = find_long(body);
            if (!s) return std::unexpected(fmt::format("unknown option '{}'", a));
            std::optional<std::string> v = inline_value;
            if (!v) {
                auto nv = next_value(*s);
                if (!nv) return std::unexpected(nv.error());
                v = *nv;
            } else if (s->arg == Arg::none) {
                return std::unexpected(fmt::format("option '--{}' takes no value", body));
            }
            if (auto r = apply(o, *s, v); !r) return std::unexpected(r.error());
        } else if (a.size() > 1 && a[0] == '-') {
            // Clustered short options; a value may be glued ("-fFILE") or follow.
            for (std::size_t k = 1; k < a.size(); ++k) {
                const Spec* s = find_short(a[k]);
                if (!s) return std::unexpected(fmt::format("unknown option '-{}'", a[k]));
                std::optional<std::string> v;
                if (s->arg != Arg::none && k + 1 < a.size()) {
                    v = std::string(a.substr(k + 1));
                    k = a.size();
                } else {
                    auto nv = next_value(*s);
                    if (!nv) return std::unexpected(nv.error());
                    v = *nv;
                }
                if (auto r = apply(o, *s, v); !r) return std::unexpected(r.error());
            }
        } else {
            return std::unexpected(fmt::format("unexpected argument '{}'", a));
        }
    }
    if (o.vrrp_only && o.check_only)
        return std::unexpected("-P (VRRP only) and -C (checkers only) exclude each other");
    return o;
}

std::string usage(const std::string& program) {
    return fmt::format(
        R"(Usage: {} [OPTION...]
High-availability daemon: VRRP, health checks and a virtual-server table, configured with a
keepalived.conf file.

  -f, --use-file=FILE       configuration file (default /etc/keepalived/keepalived.conf)
  -t, --config-test[=FILE]  check the configuration, list every problem, exit 0 if valid,
                            5 if not
  -n, --dont-fork           stay in the foreground
  -l, --log-console         log to the console (stderr)
  -D, --log-detail          detailed logging
  -G, --no-syslog           do not log to syslog
  -g, --log-file[=FILE]     also log to FILE (default /tmp/vigild.log)
  -S, --log-facility=F      syslog facility: 0-7 (local0-local7), localN, user or daemon
                            (default daemon)
      --log-format=FMT      console and file lines as text (default), kv (logfmt) or json
      --syslog-ident=NAME   syslog identity (default Vigil)
  -p, --pid=FILE            pid file (default /run/vigild.pid)
  -i, --config-id=ID        select '@ID' conditional configuration lines (default: host name)
  -P, --vrrp                run only the VRRP engine
  -C, --check               run only the health checkers and the virtual-server table
      --define NAME=VALUE   set a $NAME definition before reading the file
      --dump-config         print the parsed configuration as JSON and exit
      --status [--json]     print the state of the daemon named by -p / --status-socket
      --status-socket=PATH  status socket (default: derived from the pid file)
  -v, --version             print the version
  -h, --help                this text

Accepted for compatibility and ignored: -r/--vrrp_pid, -c/--checkers_pid, -b, -B, -a, -x, -d,
-m, -M, -R, -X. -s/--namespace NAME runs in the network namespace /run/netns/NAME.

Signals: HUP reloads (a file with errors is refused, the running configuration is kept),
TERM/INT stop (VIPs released with a priority-0 advert), USR1 writes the data dump,
USR2 the statistics dump.
)",
        program);
}

}  // namespace vigil
