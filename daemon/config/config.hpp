// The whole parsed configuration, and the entry points that read it.
#pragma once

#include <vigil/checkers/config.hpp>
#include <vigil/ipvs/config.hpp>
#include <vigil/vrrp/config.hpp>

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::config {

using Address = boost::asio::ip::address;

struct GlobalConfig {
    std::string router_id;  // empty: the host name
    std::vector<std::string> notification_email;
    std::string notification_email_from;
    std::optional<Address> smtp_server;
    std::uint16_t smtp_port = 25;
    std::string smtp_helo_name;
    std::chrono::microseconds smtp_connect_timeout = std::chrono::seconds(30);
    bool smtp_alert = false;
    std::optional<bool> smtp_alert_vrrp;
    std::optional<bool> smtp_alert_checker;
    std::string script_user;
    std::string script_group;
    bool enable_script_security = false;
    std::chrono::microseconds script_timeout{0};
    std::string notify_fifo;
    std::string vrrp_notify_fifo;
    std::string lvs_notify_fifo;
    std::string status_socket;  // empty: derived from the pid file
    std::string metrics_listen;  // "ADDR:PORT"; empty: off
    std::string data_file;       // SIGUSR1 dump; empty: derived
    std::string stats_file;      // SIGUSR2 dump; empty: derived
    std::string tmp_dir;         // for the dumps
};

// A checker bound to the real server it watches: indices into ipvs::Config.
struct CheckBinding {
    std::size_t virtual_server = 0;
    std::size_t real_server = 0;  // == real_servers.size(): the sorry server
    checkers::CheckConfig check;
};

struct Config {
    GlobalConfig global;
    vrrp::Config vrrp;
    ipvs::Config lvs;
    std::vector<CheckBinding> checks;
};

enum class Severity { warning, error };

struct Diagnostic {
    Severity severity = Severity::error;
    std::string file;
    unsigned line = 0;  // 0: no line (a whole-file problem)
    unsigned column = 0;
    std::string message;
};

struct LoadOptions {
    std::string config_id;             // "-i": enables @config_id lines; empty: the host name
    std::vector<std::string> defines;  // "NAME=value" set before reading
    bool check_scripts = true;         // look script files up on this host
};

struct LoadResult {
    Config config;
    std::vector<Diagnostic> diagnostics;
    bool ok() const;  // no diagnostic of Severity::error
};

// Reads FILE with its includes. Never throws; every problem becomes a Diagnostic.
LoadResult load_file(const std::string& path, const LoadOptions& options = {});
// Same, from text in memory ("name" is used in messages; includes resolve from the cwd).
LoadResult load_string(std::string_view text, const std::string& name,
                       const LoadOptions& options = {});

// "FILE:LINE:COL: error: MESSAGE" (LINE and COL left out when 0).
std::string format(const Diagnostic& d);

// The configuration as JSON, for --dump-config and tests.
std::string to_json(const Config& config);

}  // namespace vigil::config
