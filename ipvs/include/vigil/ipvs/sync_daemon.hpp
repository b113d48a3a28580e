// IPVS connection synchronisation: the kernel's master and backup sync daemons, started and
// stopped through the IPVS generic-netlink family (IPVS_CMD_NEW_DAEMON / DEL_DAEMON).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vigil/ipvs/config.hpp"
#include "vigil/ipvs/ipvs_netlink.hpp"
#include "vigil/ipvs/result.hpp"

namespace vigil::ipvs {

// lvs_sync_daemon's kernel side. Zero (or empty) leaves the kernel's default.
struct SyncDaemonConfig {
    std::string interface;
    std::uint32_t sync_id = 0;
    std::uint16_t maxlen = 0;
    std::uint16_t port = 0;  // the kernel's default is 8848
    std::uint8_t ttl = 0;
    std::optional<Address> group;  // the kernel's default is 224.0.0.81
    friend bool operator==(const SyncDaemonConfig&, const SyncDaemonConfig&) = default;
};

// IP_VS_STATE_* bits.
enum SyncRole : unsigned { sync_none = 0, sync_master = 1, sync_backup = 2 };

struct SyncStep {
    bool start = false;  // false: stop
    SyncRole role = sync_none;
    friend bool operator==(const SyncStep&, const SyncStep&) = default;
};

// From the daemons running (`now`, a set of SyncRole bits) to `want`: stops before starts, as
// keepalived switches (stop the backup, start the master). A config change restarts both.
std::vector<SyncStep> sync_steps(unsigned now, unsigned want, bool config_changed);

std::string to_string(SyncRole role);

Result<NlMsg> encode_new_daemon(int family, SyncRole role, const SyncDaemonConfig& c);
Result<NlMsg> encode_del_daemon(int family, SyncRole role);
Result<NlMsg> encode_get_daemons(int family);

struct SyncDaemonState {
    SyncRole role = sync_none;
    SyncDaemonConfig config;
};
// One daemon of a GET_DAEMON dump.
Result<SyncDaemonState> decode_daemon(nl_msg* msg);

// Whoever runs the sync daemons: the kernel (SyncDaemons) or a test's double.
class SyncControl {
  public:
    virtual ~SyncControl() = default;
    // Brings the daemons to `want` (SyncRole bits) with `config`.
    virtual Result<void> set(const SyncDaemonConfig& config, unsigned want) = 0;
    virtual unsigned running() const = 0;
};

// The daemons this process started; what it started is stopped when it is destroyed.
class SyncDaemons final : public SyncControl {
  public:
    // Fails with ipvs_unavailable when the kernel has no IPVS family.
    static Result<std::unique_ptr<SyncDaemons>> open();
    ~SyncDaemons() override;
    SyncDaemons(const SyncDaemons&) = delete;
    SyncDaemons& operator=(const SyncDaemons&) = delete;

    // Brings the kernel's daemons to `want` (SyncRole bits) with `config`. A daemon left by an
    // earlier run with the same role is replaced. On failure the steps before it hold.
    Result<void> set(const SyncDaemonConfig& config, unsigned want) override;
    unsigned running() const override { return running_; }
    // What the kernel runs now.
    Result<std::vector<SyncDaemonState>> read();

    struct Impl;
    explicit SyncDaemons(std::unique_ptr<Impl> impl);  // through open()

  private:
    std::unique_ptr<Impl> impl_;
    unsigned running_ = sync_none;
    SyncDaemonConfig config_;
};

}  // namespace vigil::ipvs
