// Command line, keepalived-compatible.
#pragma once

#include "log.hpp"

#include <expected>
#include <optional>
#include <string>
#include <vector>

namespace vigil {

struct Options {
    std::string config_file = "/etc/keepalived/keepalived.conf";
    std::string pid_file = "/run/vigild.pid";
    std::string config_id;      // -i; empty: host name
    std::string log_file;       // -g; empty: none
    std::string status_socket;  // --status-socket; empty: config or derived from the pid file
    std::string net_namespace;  // -s: the network namespace (ip netns) to run in
    std::string syslog_ident = "Vigil";      // --syslog-ident
    int log_facility = 3 << 3;               // -S; LOG_DAEMON
    LogFormat log_format = LogFormat::text;  // --log-format, console and file lines
    std::vector<std::string> defines;        // -e NAME=VALUE? no: --define
    bool foreground = false;                 // -n
    bool log_console = false;                // -l
    bool log_detail = false;                 // -D
    bool no_syslog = false;                  // -G
    bool config_test = false;                // -t
    bool dump_config = false;                // --dump-config
    bool status = false;                     // --status: ask a running daemon and print its state
    bool status_json = false;                // --status --json
    bool vrrp_only = false;                  // -P
    bool check_only = false;                 // -C
    bool show_version = false;
    bool show_help = false;
    std::vector<std::string> notes;  // accepted keepalived options that mean nothing here
};

// Parses argv (argv[0] excluded). Errors name the offending argument.
std::expected<Options, std::string> parse_command_line(const std::vector<std::string>& args);

std::string usage(const std::string& program);

}  // namespace vigil
