// The three notify FIFOs of global_defs (notify_fifo: VRRP and LVS lines, vrrp_notify_fifo,
// lvs_notify_fifo), each with its optional reader script, kept open across reloads while
// their settings hold.
#pragma once

#include <boost/asio/io_context.hpp>

#include <sys/types.h>
#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "log.hpp"
#include "notify_fifo.hpp"
#include "snapshot.hpp"

namespace vigil {

class ScriptRunner;

class FifoSet {
  public:
    FifoSet(boost::asio::io_context& io, Clock& clock, Logger& log)
        : io_(io), clock_(clock), log_(log) {}
    FifoSet(const FifoSet&) = delete;
    FifoSet& operator=(const FifoSet&) = delete;

    // Start-up and reload: a FIFO whose path changed is reopened (and its script restarted);
    // an unchanged one stays open with its reader.
    void configure(const config::GlobalConfig& g, ScriptRunner& scripts);
    void write(bool vrrp_line, const std::string& line);
    // A sync group's line, once per state; while stopping, STOP lines wait for flush_stops().
    void group(const std::string& name, const std::string& state);
    bool group_seen(const std::string& name) const;
    const std::map<std::string, std::string>& group_states() const { return group_state_; }

    // Shutdown: the scripts end first (as keepalived), the groups' STOP lines come after every
    // instance's, then the readers get their last lines before close().
    void begin_stop(ScriptRunner* scripts);
    void flush_stops();
    bool drained() const;
    void close();

    std::vector<FifoView> views() const;

  private:
    struct Slot {
        const char* name;
        bool vrrp, lvs;  // which lines it gets
        config::NotifyFifoConfig cfg;
        std::unique_ptr<NotifyFifo> fifo;
        pid_t script = 0;
    };
    void stop_script(Slot& f, ScriptRunner* scripts);
    void start_script(Slot& f, ScriptRunner& scripts);

    boost::asio::io_context& io_;
    Clock& clock_;
    Logger& log_;
    bool stopping_ = false;
    std::array<Slot, 3> slots_{{{"notify_fifo", true, true, {}, {}, 0},
                                {"vrrp_notify_fifo", true, false, {}, {}, 0},
                                {"lvs_notify_fifo", false, true, {}, {}, 0}}};
    std::vector<std::string> group_stop_lines_;
    std::map<std::string, std::string> group_state_;  // sync group -> last line's state
};

}  // namespace vigil
