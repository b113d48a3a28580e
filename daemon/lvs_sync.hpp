// lvs_sync_daemon: the kernel's IPVS connection-sync daemons follow one VRRP instance, master
// while it is MASTER and backup otherwise, as keepalived runs them.
#pragma once

#include <vigil/ipvs/sync_daemon.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "log.hpp"

namespace vigil {

using SyncControlFactory = std::function<ipvs::Result<std::unique_ptr<ipvs::SyncControl>>()>;

ipvs::Result<std::unique_ptr<ipvs::SyncControl>> open_kernel_sync_daemons();

struct LvsSyncStatus {
    bool configured = false;
    std::string interface, instance;
    std::uint32_t sync_id = 0;
    unsigned running = ipvs::sync_none;  // SyncRole bits
    std::uint64_t changes = 0;           // starts and stops that the kernel accepted
    std::uint64_t failures = 0;
    std::string last_error;
};

class LvsSync {
  public:
    explicit LvsSync(Logger& log, SyncControlFactory factory = open_kernel_sync_daemons);
    ~LvsSync();
    LvsSync(const LvsSync&) = delete;
    LvsSync& operator=(const LvsSync&) = delete;

    // At start-up and on reload; `master`: the instance is MASTER now.
    void configure(const std::optional<config::GlobalConfig::LvsSyncDaemon>& cfg, bool master);
    void on_state(const std::string& instance, bool master);
    // Stops both daemons (daemon shutdown).
    void stop();
    LvsSyncStatus status() const;

  private:
    void apply(unsigned want);

    Logger& log_;
    SyncControlFactory factory_;
    std::unique_ptr<ipvs::SyncControl> control_;
    std::optional<config::GlobalConfig::LvsSyncDaemon> cfg_;
    LvsSyncStatus status_;
    bool open_failed_ = false;  // logged once per configuration
};

}  // namespace vigil
