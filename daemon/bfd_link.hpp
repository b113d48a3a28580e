// BFD wired into the daemon: sessions from the config, their state to VRRP tracking
// (track_bfd) and to the real servers they check (BFD_CHECK), status and metrics.
#pragma once

#include "config/config.hpp"
#include "log.hpp"
#include "metrics.hpp"

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <vigil/common/clock.hpp>

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

namespace vigil {

namespace bfd {
class Engine;
}

class BfdLink {
  public:
    struct Hooks {
        std::function<void(const std::string& session, bool up)> to_vrrp;
        std::function<void(std::size_t vs, std::size_t rs)> to_checker;  // its verdict changed
    };
    BfdLink(boost::asio::io_context& io, Clock& clock, Logger& log, Hooks hooks);
    ~BfdLink();
    BfdLink(const BfdLink&) = delete;
    BfdLink& operator=(const BfdLink&) = delete;

    // Start or reload: unchanged sessions keep running. Every session's state is then told
    // to VRRP, and every BFD_CHECKed real server's verdict to the director.
    void apply(const config::Config& c);
    // AdminDown to the peers for a detection time (bounded); done runs after.
    void stop(std::function<void()> done);

    // Every BFD_CHECK of this real server has its session Up (true when it has none).
    bool alive(std::size_t vs, std::size_t rs) const;
    std::size_t checks(std::size_t vs, std::size_t rs) const;
    // "Up", "Down", ...; empty for a session that does not run.
    std::string state_of(const std::string& session) const;
    // The BFD_CHECKed real servers and their sessions, for the status.
    const std::multimap<std::pair<std::size_t, std::size_t>, std::string>& bindings() const {
        return checks_;
    }

    nlohmann::json status_json() const;
    static void metrics(MetricsText& m, const nlohmann::json& status);

  private:
    void on_change(const std::string& name, bool was_up, bool up);
    bool up(const std::string& session) const;

    Clock& clock_;
    Logger& log_;
    Hooks hooks_;
    std::unique_ptr<bfd::Engine> engine_;
    bfd::Config config_;
    std::multimap<std::pair<std::size_t, std::size_t>, std::string> checks_;
};

}  // namespace vigil
