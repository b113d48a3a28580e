// Configuration of the health checkers: plain values filled by the daemon's config parser.
#pragma once

#include <array>
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace vigil::checkers {

using Address = boost::asio::ip::address;
using Duration = std::chrono::microseconds;

struct Command {
    std::vector<std::string> argv;
    std::string user;
    std::string group;
    bool empty() const { return argv.empty(); }
    bool operator==(const Command&) const = default;
};

// Inclusive ranges; empty means any 2xx, as keepalived does.
struct StatusRange {
    int low = 200;
    int high = 299;
    bool operator==(const StatusRange&) const = default;
};

struct HttpUrl {
    std::string path = "/";
    std::optional<std::array<std::uint8_t, 16>> digest;  // MD5 of the body
    std::vector<StatusRange> status_codes;
    std::string virtualhost;  // overrides the checker's
    // regex: the body (as hashed: raw bytes after the head) must contain a match starting in
    // [regex_min_offset, regex_max_offset) (0: unbounded); regex_no_match inverts the verdict.
    // ECMAScript syntax; regex_options: "caseless", "multiline" apply, others are ignored.
    std::string regex;
    bool regex_no_match = false;
    std::vector<std::string> regex_options;
    std::size_t regex_min_offset = 0;
    std::size_t regex_max_offset = 0;
    bool operator==(const HttpUrl&) const = default;
};

struct TcpCheck {
    bool operator==(const TcpCheck&) const = default;
};

struct HttpCheck {
    bool ssl = false;  // SSL_GET
    std::vector<HttpUrl> urls;
    std::string virtualhost;            // empty: "ADDR:PORT" as keepalived sends
    std::string http_protocol = "1.0";  // "1.0", "1.0C" (adds Connection: close), "1.1"
    bool enable_sni = false;            // keepalived sends SNI only with enable_sni
    // A down checker (alpha at start-up, or after a failure) checks its urls one probe at a
    // time, delay_loop apart; fast_recovery checks them back to back.
    bool fast_recovery = false;
    bool operator==(const HttpCheck&) const = default;
};

struct MiscCheck {
    Command command;
    Duration timeout{0};   // 0: delay_loop
    bool dynamic = false;  // exit 2..255 sets weight = code - 2
    bool operator==(const MiscCheck&) const = default;
};

struct DnsCheck {
    std::string type = "SOA";
    std::string name = ".";
    bool operator==(const DnsCheck&) const = default;
};

struct SmtpCheck {
    std::string helo_name;  // empty: the router id
    bool operator==(const SmtpCheck&) const = default;
};

struct UdpCheck {
    std::vector<std::uint8_t> payload;  // empty: a few random bytes
    bool require_reply = false;
    // require_reply HEX: the reply must equal these bytes over min(reply, reply_data) octets;
    // a set bit in reply_mask ignores that bit (an X nibble). See parse_hex_pattern().
    std::vector<std::uint8_t> reply_data;
    std::vector<std::uint8_t> reply_mask;  // empty or the size of reply_data
    std::size_t min_reply_length = 0;
    std::size_t max_reply_length = 255;
    bool operator==(const UdpCheck&) const = default;
};

struct PingCheck {
    bool operator==(const PingCheck&) const = default;
};

// FILE_CHECK: the value in a track_file (a number, strtol base 0; missing or empty file: 0).
// weight 0: a non-zero value is down (zero with reverse). Otherwise value * weight (negated
// with reverse) is an offset to the real server's weight, down at or below INT_MIN.
struct FileCheck {
    std::string track_file;  // the track_file block's name
    std::string path;        // its `file`, resolved by the parser
    int weight = 0;          // FILE_CHECK's weight, else the track_file's
    bool reverse = false;
    bool operator==(const FileCheck&) const = default;
};

using CheckKind = std::variant<TcpCheck, HttpCheck, MiscCheck, DnsCheck, SmtpCheck, UdpCheck,
                               PingCheck, FileCheck>;

// One checker of one real server. A real server is alive while every one of its checkers is.
struct CheckConfig {
    std::uint32_t file = 0;  // index into the loader's list of files (config::Config::files)
    std::uint32_t line = 0;

    Address target;  // the real server
    std::uint16_t target_port = 0;
    CheckKind kind = TcpCheck{};

    std::optional<Address> connect_ip;
    std::optional<std::uint16_t> connect_port;
    std::optional<Address> bind_to;
    std::optional<std::uint16_t> bind_port;
    std::string bind_if;
    std::uint32_t fwmark = 0;

    Duration connect_timeout = std::chrono::seconds(5);
    Duration delay_loop = std::chrono::seconds(60);
    // First check after a random delay up to this; unset: up to delay_loop; 0: at once.
    std::optional<Duration> warmup;
    // Per-kind defaults differ: see default_retry() and default_delay_before_retry().
    unsigned retry = 1;  // further attempts after a failure before "down"
    Duration delay_before_retry = std::chrono::seconds(1);
    bool alpha = false;  // start "down" and need a success first
    // log_all_failures here or checker_log_all_failures in global_defs: log every failed probe
    // while the checker is up, not only the transition.
    bool log_all_failures = false;

    Address effective_ip() const { return connect_ip ? *connect_ip : target; }
    std::uint16_t effective_port() const { return connect_port ? *connect_port : target_port; }
    bool operator==(const CheckConfig&) const = default;
};

// The global SSL { } block: the client identity of every SSL_GET. Empty: no certificate.
struct TlsClientConfig {
    std::string ca;           // CA file, loaded as verify locations
    std::string certificate;  // certificate (chain) file, PEM
    std::string key;          // private key file, PEM
    std::string password;     // the key's pass phrase
    bool operator==(const TlsClientConfig&) const = default;
};

// Settings of the whole pool, from global_defs; Pool::configure() applies them.
struct PoolSettings {
    std::string default_helo;  // SMTP_CHECK without helo_name: the router id; empty: host name
    TlsClientConfig tls;
};

// keepalived.conf(5): retry is 3 for DNS_CHECK, 0 for MISC_CHECK, 1 otherwise.
inline unsigned default_retry(const CheckKind& kind) {
    if (std::holds_alternative<DnsCheck>(kind)) return 3;
    if (std::holds_alternative<MiscCheck>(kind)) return 0;
    return 1;
}

// keepalived.conf(5): delay_loop for DNS_CHECK, 3 s for HTTP_GET/SSL_GET, 1 s otherwise.
inline Duration default_delay_before_retry(const CheckKind& kind, Duration delay_loop) {
    if (std::holds_alternative<DnsCheck>(kind)) return delay_loop;
    if (std::holds_alternative<HttpCheck>(kind)) return std::chrono::seconds(3);
    return std::chrono::seconds(1);
}

}  // namespace vigil::checkers
