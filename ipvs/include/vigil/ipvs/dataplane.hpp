// What a load-balancing data plane offers the director: apply a table, read it back, flush.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/ipvs/config.hpp"
#include "vigil/ipvs/live.hpp"
#include "vigil/ipvs/result.hpp"
#include "vigil/ipvs/table.hpp"

namespace vigil::ipvs {

class DataPlane {
  public:
    virtual ~DataPlane() = default;
    virtual std::string_view name() const = 0;
    // Brings what Vigil owns in the kernel to `desired`, as few changes as the backend allows.
    virtual Result<void> apply(const Table& desired) = 0;
    // What the kernel holds of Vigil's services.
    virtual Result<Table> read() = 0;
    // Removes everything Vigil added (each of its services whole).
    virtual Result<void> flush() = 0;
    // lvs_flush / lvs_flush_on_stop: the kernel's whole table, foreign services included.
    // A data plane that only ever sees its own objects has nothing else to flush.
    virtual bool can_flush_everything() const { return false; }
    virtual Result<void> flush_everything() { return flush(); }
    // What the last successful apply() could not apply (the kernel refused it); the rest
    // of the table was applied.
    virtual std::vector<Rejection> rejections() const { return {}; }
    // lvs_timeouts; a data plane without connection timeouts of its own says so.
    virtual Result<void> set_timeouts(const Timeouts&) {
        return fail(std::string(name()) + " has no lvs_timeouts");
    }
    // The kernel may have changed behind Vigil's back (ipvsadm by hand): a backend that
    // applies from what it last sent reads the kernel again at its next apply().
    virtual void resync() {}
    // How many times the backend read the kernel's whole table to apply.
    virtual std::uint64_t kernel_reads() const { return 0; }
    // Vigil's services as they run, with connection counts (and, where the backend keeps
    // them, packet and byte counters).
    virtual Result<LiveTable> live() { return fail(std::string(name()) + " has no live view"); }
};

using LogFn = std::function<void(std::string_view)>;

// Picks the backend named by config.backend; `automatic` is IPVS when the generic-netlink
// family resolves, else nftables (with one log line).
Result<std::unique_ptr<DataPlane>> make_dataplane(const Config& config, const LogFn& log);

}  // namespace vigil::ipvs
