#include "lvs_sync.hpp"

namespace vigil {

ipvs::Result<std::unique_ptr<ipvs::SyncControl>> open_kernel_sync_daemons() {
    auto d = ipvs::SyncDaemons::open();
    if (!d) return std::unexpected(d.error());
    return std::unique_ptr<ipvs::SyncControl>(std::move(*d));
}

LvsSync::LvsSync(Logger& log, SyncControlFactory factory)
    : log_(log), factory_(std::move(factory)) {}

LvsSync::~LvsSync() = default;

void LvsSync::configure(const std::optional<config::GlobalConfig::LvsSyncDaemon>& cfg,
                        bool master) {
    if (cfg != cfg_) open_failed_ = false;
    cfg_ = cfg;
    status_.configured = cfg.has_value();
    status_.interface = cfg ? cfg->daemon.interface : "";
    status_.instance = cfg ? cfg->instance : "";
    status_.sync_id = cfg ? cfg->daemon.sync_id : 0;
    if (!cfg) {
        apply(ipvs::sync_none);
        control_.reset();
        return;
    }
    apply(master ? ipvs::sync_master : ipvs::sync_backup);
}

void LvsSync::on_state(const std::string& instance, bool master) {
    if (!cfg_ || instance != cfg_->instance) return;
    apply(master ? ipvs::sync_master : ipvs::sync_backup);
}

void LvsSync::stop() {
    apply(ipvs::sync_none);
    control_.reset();
}

void LvsSync::apply(unsigned want) {
    if (!control_) {
        if (want == ipvs::sync_none) return;
        auto c = factory_();
        if (!c) {
            ++status_.failures;
            status_.last_error = c.error().message;
            if (!open_failed_) log_.error("lvs_sync_daemon: {}", c.error().message);
            open_failed_ = true;
            return;
        }
        control_ = std::move(*c);
    }
    const unsigned before = control_->running();
    if (before == want && want == ipvs::sync_none) return;
    auto r = control_->set(cfg_ ? cfg_->daemon : ipvs::SyncDaemonConfig{}, want);
    const unsigned after = control_->running();
    status_.running = after;
    if (after != before) {
        ++status_.changes;
        for (ipvs::SyncRole role : {ipvs::sync_master, ipvs::sync_backup})
            if ((before ^ after) & role)
                log_.info("IPVS: {} sync daemon {} (interface {}, syncid {})",
                          ipvs::to_string(role), (after & role) ? "started" : "stopped",
                          status_.interface, status_.sync_id);
    }
    if (!r) {
        ++status_.failures;
        status_.last_error = r.error().message;
        log_.error("lvs_sync_daemon: {}", r.error().message);
    }
}

LvsSyncStatus LvsSync::status() const {
    return status_;
}

}  // namespace vigil
