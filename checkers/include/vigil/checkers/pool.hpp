// The health-checker pool: every checker on the daemon's io_context. The daemon binds check ids
// to real servers; this module knows nothing of IPVS.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/checkers/config.hpp"
#include "vigil/common/clock.hpp"

namespace vigil::checkers {

// Why a probe failed; each has a counter.
enum class Failure : std::uint8_t {
    none,
    refused,          // connection refused / reset before the exchange
    connect_timeout,  // no connection within connect_timeout
    timeout,          // connected, but no complete answer within connect_timeout
    network,          // other socket errors (unreachable, bind failure, ...)
    tls,              // TLS handshake or record error
    bad_response,     // malformed or missing HTTP head / SMTP reply / DNS reply
    bad_status,       // HTTP status not in status_code
    bad_digest,       // body MD5 differs from digest
    dns_error,        // DNS reply with another id, not a response, or RCODE != NOERROR
    smtp_error,       // SMTP reply code not the one expected
    udp_reply,        // UDP reply missing or of the wrong length
    script_failed,    // MISC_CHECK exit code 1 (or any non-zero without misc_dynamic)
    script_timeout,   // MISC_CHECK killed after misc_timeout
    spawn_failed,     // MISC_CHECK could not start
    unsupported,      // a checker kind this build does not run
    bad_regex,        // HTTP body regex did not match (or matched, with regex_no_match)
    no_echo_reply,    // PING_CHECK: no echo reply within connect_timeout
    file_fault,       // FILE_CHECK: the tracked value means down
};
inline constexpr std::size_t failure_kinds = 19;
std::string_view to_string(Failure f);
// keepalived's block name: "TCP_CHECK", "HTTP_GET", "SSL_GET", ...
std::string_view kind_name(const CheckKind& k);

struct CheckResult {
    bool up = false;
    Failure failure = Failure::none;
    std::string reason;  // human-readable detail
    std::chrono::microseconds latency{0};
    std::optional<int> dynamic_weight;  // misc_dynamic: exit code - 2
    std::optional<int> weight_offset;   // FILE_CHECK with a weight: value * weight
};

struct CheckCounters {
    std::uint64_t probes = 0;
    std::uint64_t successes = 0;
    std::uint64_t transitions = 0;
    std::array<std::uint64_t, failure_kinds> failures{};  // indexed by Failure
};

struct CheckStatus {
    std::size_t id = 0;
    bool up = false;
    bool has_run = false;           // at least one probe finished
    unsigned pending_failures = 0;  // failures counted toward retry while still up
    bool suspended = false;         // ha_suspend: not probing, state kept
    CheckResult last;
    CheckCounters counters;
};

// Exit code of a script: 0..255, or -1 killed after the timeout, -2 could not be started.
using ScriptDone = std::function<void(int exit_code)>;

struct Hooks {
    // Only on transitions up <-> down (after retry). A checker starts up, or down with alpha.
    std::function<void(std::size_t id, bool up, const CheckResult&)> on_state_change;
    // misc_dynamic: the weight from the exit code, when it differs from the last one reported.
    std::function<void(std::size_t id, std::optional<int> weight)> on_weight_change;
    // FILE_CHECK with a weight: the offset to add to the real server's configured weight, when
    // it changes (also once after add() when the first value is not 0).
    std::function<void(std::size_t id, int offset)> on_weight_offset;
    // MISC_CHECK: the daemon's posix_spawn + pidfd runner; must call done exactly once, later.
    std::function<void(const Command&, std::chrono::microseconds timeout, ScriptDone done)>
        run_script;
    std::function<void(int level, std::string message)> log;  // syslog levels
    // Random source for warmup and probe ids; default: seeded from std::random_device.
    std::function<std::uint64_t()> random;
};

class Pool {
  public:
    // Probes' sockets run on io; their schedule and deadlines on clock, which outlives the pool.
    Pool(boost::asio::io_context& io, Clock& clock, Hooks hooks);
    ~Pool();
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    // Global settings (SMTP HELO default, SSL client identity); call before add() and on
    // reload. The TLS settings are loaded by the first SSL_GET probe, or here on a reload
    // that changes them while SSL_GETs run: then an error (unreadable file, wrong key or
    // password, no TLS plugin) is returned and the previous TLS settings stay.
    std::optional<std::string> configure(const PoolSettings& settings);

    // Starts a checker; its first probe comes after the warmup delay. A FILE_CHECK reads its
    // file at once (its state is known from the start) and then follows the file (inotify,
    // and a re-read every delay_loop).
    // The settings are kept as given: shared with their owner, not copied.
    std::size_t add(std::shared_ptr<const CheckConfig> cfg);
    std::size_t add(const CheckConfig& cfg);
    // Stops a checker at once; an in-flight probe is abandoned and its socket closed.
    void remove(std::size_t id);
    // Reload of the same checker (same identity): keeps its up/down state and counters; the
    // next probe uses the new settings, and an in-flight probe is restarted if the target or
    // the kind changed. Returns false for an unknown id.
    bool update(std::size_t id, std::shared_ptr<const CheckConfig> cfg);
    bool update(std::size_t id, const CheckConfig& cfg);

    // ha_suspend: a suspended checker stops probing (an in-flight probe is abandoned) and keeps
    // its state; resumed, it probes at once. Returns false for an unknown id.
    bool suspend(std::size_t id, bool suspended);

    std::optional<CheckStatus> status(std::size_t id) const;
    // status(id)->up without the copy; false for an unknown id.
    bool up(std::size_t id) const;
    // status(id)->suspended without the copy; nullopt for an unknown id.
    std::optional<bool> suspended(std::size_t id) const;
    std::vector<CheckStatus> status() const;
    std::size_t size() const;

    struct Impl;

  private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace vigil::checkers
