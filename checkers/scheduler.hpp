// When to check next and when a checker changes state: a pure function of the last state and
// one probe result, so it is tested with plain values and no clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "vigil/checkers/config.hpp"

namespace vigil::checkers {

struct SchedulerParams {
    Duration delay_loop{std::chrono::seconds(60)};
    Duration delay_before_retry{std::chrono::seconds(1)};
    unsigned retry = 1;
};

struct SchedulerState {
    bool up = true;
    unsigned failures = 0;  // consecutive failures while up
};

struct Verdict {
    SchedulerState state;
    bool changed = false;  // up <-> down
    Duration next{0};      // delay before the next probe
};

SchedulerParams scheduler_params(const CheckConfig& cfg);

// alpha: the checker starts down and needs one success.
SchedulerState initial_state(bool alpha);

// retry N: N further attempts, delay_before_retry apart, after a failure before "down";
// a success while down is "up" at once; a down checker is probed every delay_loop.
Verdict decide(const SchedulerState& state, const SchedulerParams& params, bool success);

// HTTP_GET/SSL_GET with several urls, while the checker is down (alpha at start-up, or after
// a failure) and without fast_recovery: each probe checks one url, delay_loop apart, and the
// checker is up once the last one passed (keepalived.conf(5), fast_recovery). `next` is the
// url the next probe checks; a failing url is checked again until it passes.
bool walks_urls(bool up, bool fast_recovery, std::size_t url_count);
struct UrlWalk {
    std::size_t next = 0;
    bool complete = false;  // every url passed: the probe counts as a success
};
UrlWalk walk_urls(std::size_t url_count, std::size_t next, bool success);

// The first probe's delay: a random point in [0, warmup] (unset warmup: delay_loop).
Duration first_delay(const std::optional<Duration>& warmup, Duration delay_loop,
                     std::uint64_t random);

}  // namespace vigil::checkers
