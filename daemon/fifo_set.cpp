#include "fifo_set.hpp"

#include "scripts.hpp"

namespace vigil {

void FifoSet::write(bool vrrp_line, const std::string& line) {
    for (auto& f : slots_)
        if (f.fifo && (vrrp_line ? f.vrrp : f.lvs)) f.fifo->write(line);
}

void FifoSet::stop_script(Slot& f, ScriptRunner* scripts) {
    if (f.script && scripts) scripts->terminate(f.script);
    f.script = 0;
}

void FifoSet::start_script(Slot& f, ScriptRunner& scripts) {
    if (f.cfg.script.empty() || !f.fifo) return;
    auto argv = f.cfg.script;
    argv.push_back(f.cfg.path);  // keepalived: the FIFO is the last argument
    const std::string prog = argv.front();
    // The pid is known only once run() returns; done always comes later.
    auto id = std::make_shared<pid_t>(0);
    f.script = *id =
        scripts.run(argv, f.cfg.script_user, f.cfg.script_group, std::chrono::microseconds(0),
                    [this, &f, prog, id](const ScriptResult& r) {
                        if (f.script == *id) f.script = 0;
                        if (r.spawn_failed) {
                            log_.error("{} script {} could not start: {}", f.name, prog, r.error);
                            return;
                        }
                        if (!stopping_)
                            log_.warning("{} script {} ended ({} {})", f.name, prog,
                                         r.signal ? "signal" : "exit status",
                                         r.signal ? r.signal : r.exit_code);
                    });
}

void FifoSet::configure(const config::GlobalConfig& g, ScriptRunner& scripts) {
    const std::array<const config::NotifyFifoConfig*, 3> want{&g.notify_fifo, &g.vrrp_notify_fifo,
                                                              &g.lvs_notify_fifo};
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        auto& f = slots_[i];
        const auto& n = *want[i];
        const bool same_fifo =
            f.fifo && n.path == f.cfg.path && n.user == f.cfg.user && n.group == f.cfg.group;
        const bool same_script = same_fifo && n.script == f.cfg.script &&
                                 n.script_user == f.cfg.script_user &&
                                 n.script_group == f.cfg.script_group;
        if (same_script) continue;
        stop_script(f, &scripts);
        if (!same_fifo) {
            f.fifo.reset();
            f.cfg = n;
            if (n.path.empty()) continue;
            FifoSettings fs;
            if (!n.user.empty()) {
                if (auto as = resolve_run_as(n.user, n.group))
                    fs.owner =
                        std::pair{static_cast<unsigned>(as->uid), static_cast<unsigned>(as->gid)};
                else
                    log_.warning("{} {}: {}", f.name, n.path, as.error());
            }
            auto made = NotifyFifo::create(io_, clock_, n.path, fs,
                                           [this](std::string m) { log_.warning("{}", m); });
            if (!made) {
                log_.error("{}: {}", f.name, made.error());
                continue;
            }
            f.fifo = std::move(*made);
            log_.info("Writing {} {}", f.name, n.path);
        }
        f.cfg = n;
        start_script(f, scripts);
    }
}

void FifoSet::group(const std::string& name, const std::string& state) {
    auto& last = group_state_[name];
    if (last == state) return;
    last = state;
    // keepalived writes the groups' STOP lines after every instance's.
    if (stopping_ && state == "STOP")
        group_stop_lines_.push_back(fifo_group_line(name, state));
    else
        write(true, fifo_group_line(name, state));
}

bool FifoSet::group_seen(const std::string& name) const {
    auto it = group_state_.find(name);
    return it != group_state_.end() && !it->second.empty();
}

void FifoSet::begin_stop(ScriptRunner* scripts) {
    stopping_ = true;
    for (auto& f : slots_) stop_script(f, scripts);
}

void FifoSet::flush_stops() {
    for (const auto& l : group_stop_lines_) write(true, l);
    group_stop_lines_.clear();
}

bool FifoSet::drained() const {
    for (const auto& f : slots_)
        if (f.fifo && f.fifo->connected() && !f.fifo->idle()) return false;
    return true;
}

void FifoSet::close() {
    for (auto& f : slots_) f.fifo.reset();  // readers see end of file
}

std::vector<FifoView> FifoSet::views() const {
    std::vector<FifoView> out;
    for (const auto& f : slots_)
        if (f.fifo)
            out.push_back(
                {f.name, f.fifo->path(), f.fifo->connected(), f.script, f.fifo->counters()});
    return out;
}

}  // namespace vigil
