#include "scheduler.hpp"

namespace vigil::checkers {

SchedulerParams scheduler_params(const CheckConfig& cfg) {
    // A file's value is its state: no retry, as keepalived.
    unsigned retry = std::holds_alternative<FileCheck>(cfg.kind) ? 0 : cfg.retry;
    return SchedulerParams{cfg.delay_loop, cfg.delay_before_retry, retry};
}

SchedulerState initial_state(bool alpha) {
    return SchedulerState{!alpha, 0};
}

Verdict decide(const SchedulerState& state, const SchedulerParams& params, bool success) {
    Verdict v;
    if (success) {
        v.state = SchedulerState{true, 0};
        v.changed = !state.up;
        v.next = params.delay_loop;
        return v;
    }
    if (!state.up) {
        v.state = state;
        v.next = params.delay_loop;
        return v;
    }
    unsigned failures = state.failures + 1;
    if (failures > params.retry) {
        v.state = SchedulerState{false, 0};
        v.changed = true;
        v.next = params.delay_loop;
    } else {
        v.state = SchedulerState{true, failures};
        v.next = params.delay_before_retry;
    }
    return v;
}

bool walks_urls(bool up, bool fast_recovery, std::size_t url_count) {
    return !up && !fast_recovery && url_count > 1;
}

UrlWalk walk_urls(std::size_t url_count, std::size_t next, bool success) {
    if (!success) return {next, false};
    if (next + 1 >= url_count) return {0, true};
    return {next + 1, false};
}

Duration first_delay(const std::optional<Duration>& warmup, Duration delay_loop,
                     std::uint64_t random) {
    Duration span = warmup ? *warmup : delay_loop;
    if (span.count() <= 0) return Duration{0};
    return Duration{
        static_cast<Duration::rep>(random % (static_cast<std::uint64_t>(span.count()) + 1))};
}

}  // namespace vigil::checkers
