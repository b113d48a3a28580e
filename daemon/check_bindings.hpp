// Which checker of the pool checks which real server, kept across reloads by identity, and the
// rule that makes a real server alive: every one of its checks up.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"

namespace vigil {

namespace checkers {
class Pool;
}

// Unknown checkers (nullopt) count as down; no checker at all means alive.
bool all_checks_up(std::span<const std::size_t> ids,
                   const std::function<std::optional<bool>(std::size_t)>& up);

// What binding reads of a configuration: its checks and the virtual servers they name (which
// the daemon keeps apart from the rest, shared with the director).
struct CheckSource {
    // Checkers share their settings with `checks`, kept alive as long as they need them.
    CheckSource(std::shared_ptr<const std::vector<config::CheckBinding>> c, const ipvs::Config& l)
        : checks(*c), lvs(l), owner(std::move(c)) {}
    // Checkers get copies of their settings.
    CheckSource(const config::Config& c) : checks(c.checks), lvs(c.lvs) {}  // NOLINT: implicit
    const std::vector<config::CheckBinding>& checks;
    const ipvs::Config& lvs;
    std::shared_ptr<const std::vector<config::CheckBinding>> owner;

    std::shared_ptr<const checkers::CheckConfig> settings(std::size_t i) const;
};

class CheckBindings {
  public:
    using Key = std::pair<std::size_t, std::size_t>;  // (virtual server, real server)
    // Its identity survives a reload when service, server, rank (nth) and kind do.
    struct Binding {
        std::size_t vs, rs;
        std::size_t nth = 0, kind = 0;  // its place among the real server's checks, its kind
        std::size_t index = 0;          // its place in the bound configuration's checks
    };

    // Adds c's checkers to the pool; the ones whose identity survives (from previous, the
    // configuration bound last) keep their pool id and their state when the pool accepts the
    // new settings; the rest leave the pool.
    void bind(const CheckSource& c, checkers::Pool& pool,
              const std::optional<CheckSource>& previous = std::nullopt);
    // For log lines: "TCP_CHECK on [10.2.0.11]:tcp:80 of VS [10.1.0.100]:tcp:80"; c is the
    // configuration bound last.
    std::string label(const CheckSource& c, std::size_t id) const;

    const Binding* find(std::size_t id) const;
    const std::map<std::size_t, Binding>& all() const { return by_id_; }
    std::span<const std::size_t> ids_of(Key k) const;
    bool has_checks(Key k) const { return of_.count(k) != 0; }
    std::vector<Key> keys() const;

    // MISC_CHECK misc_dynamic and FILE_CHECK weights; nullopt: the configured one.
    void set_weight(Key k, std::optional<int> w) { weight_[k] = w; }
    std::optional<int> weight(Key k) const;

  private:
    bool keep_all(const CheckSource& c, checkers::Pool& pool);

    std::map<std::size_t, Binding> by_id_;
    std::vector<std::size_t> in_order_;  // the pool id of each of the config's checks
    std::map<Key, std::vector<std::size_t>> of_;
    std::map<Key, std::optional<int>> weight_;
};

}  // namespace vigil
