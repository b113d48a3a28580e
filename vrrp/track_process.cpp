#include "track_process.hpp"

#include <string_view>

namespace vigil::vrrp {
namespace {

using PM = TrackProcessConfig::ParamMatch;

// keepalived compares the parameters as one NUL-separated block.
std::string joined(const std::vector<std::string>& params) {
    std::string out;
    for (const auto& p : params) {
        out += p;
        out += '\0';
    }
    return out;
}

bool params_match(const TrackProcessConfig& c, std::string_view have) {
    const std::string want = joined(c.params);
    if (c.param_match == PM::exact && want.empty()) return have.empty();
    if (have.size() < want.size()) return false;
    if (c.param_match == PM::exact) return have == want;
    if (want.empty()) return true;
    if (c.param_match == PM::partial) return have.substr(0, want.size()) == want;
    // initial: the last parameter may go on (its NUL is not compared).
    return have.substr(0, want.size() - 1) == std::string_view(want).substr(0, want.size() - 1);
}

}  // namespace

bool process_matches(const ProcessEntry& p, const TrackProcessConfig& c) {
    if (p.zombie) return false;
    if (!c.full_command) return p.comm == c.process;
    const std::string_view cmd = p.cmdline;
    const auto nul = cmd.find('\0');
    if (cmd.substr(0, nul) != c.process) return false;
    if (c.param_match == PM::none) return true;
    return params_match(c,
                        nul == std::string_view::npos ? std::string_view{} : cmd.substr(nul + 1));
}

unsigned count_matching(std::span<const ProcessEntry> table, const TrackProcessConfig& c) {
    unsigned n = 0;
    for (const auto& p : table)
        if (process_matches(p, c)) ++n;
    return n;
}

std::size_t cmdline_bytes_needed(const TrackProcessConfig& c) {
    if (!c.full_command) return 0;
    // One byte past the longest command line that can match shows a longer one.
    return c.process.size() + 1 + joined(c.params).size() + 1;
}

bool quorum_met(unsigned count, const TrackProcessConfig& c) {
    return count >= c.quorum && count <= c.quorum_max;
}

void ProcessQuorum::initialise(unsigned count, const TrackProcessConfig& c) {
    count_ = count;
    up_ = quorum_met(count, c);
    changed_since_.reset();
}

bool ProcessQuorum::update(unsigned count, const TrackProcessConfig& c, TimePoint now) {
    count_ = count;
    const bool raw = quorum_met(count, c);
    if (raw == up_) {
        changed_since_.reset();
        return false;
    }
    if (!changed_since_) changed_since_ = now;
    if (now - *changed_since_ < (raw ? c.fork_delay : c.terminate_delay)) return false;
    up_ = raw;
    changed_since_.reset();
    return true;
}

std::optional<ProcessQuorum::TimePoint> ProcessQuorum::due(const TrackProcessConfig& c) const {
    if (!changed_since_) return std::nullopt;
    return *changed_since_ + (up_ ? c.terminate_delay : c.fork_delay);
}

}  // namespace vigil::vrrp
