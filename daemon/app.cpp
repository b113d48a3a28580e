#include "app.hpp"

#include "bfd_link.hpp"
#include "check_bindings.hpp"
#include "config/system_host.hpp"
#include "control.hpp"
#include "fifo_set.hpp"
#include "local_addresses.hpp"
#include "loop_guard.hpp"
#include "lvs_sync.hpp"
#include "metrics.hpp"
#include "names.hpp"
#include "notify.hpp"
#include "notify_fifo.hpp"
#include "notify_runner.hpp"
#include "pidfile.hpp"
#include "process_tuning.hpp"
#include "scripts.hpp"
#include "smtp_alert.hpp"
#include "snapshot_render.hpp"
#include "status.hpp"

#include <vigil/checkers/pool.hpp>
#include <vigil/common/clock.hpp>
#include <vigil/ipvs/director.hpp>
#include <vigil/vrrp/engine.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>

namespace vigil {

namespace asio = boost::asio;
using nlohmann::json;

namespace {}  // namespace

struct App::Impl {
    Options options;
    Logger& log;
    asio::io_context io;
    AsioClock clock{io};  // the daemon's one clock: every module's time and timers
    asio::signal_set signals{io};
    std::optional<PidFile> pid_file;
    config::Config running;
    // Its virtual servers, taken out of `running` once loaded (running.lvs is left empty) and
    // shared with the director: one copy, however large.
    std::shared_ptr<const ipvs::Config> lvs = std::make_shared<const ipvs::Config>();
    // Its checks, taken out the same way: the checkers share their settings with it.
    std::shared_ptr<const std::vector<config::CheckBinding>> lvs_checks =
        std::make_shared<const std::vector<config::CheckBinding>>();
    Clock::time_point started = clock.now();
    bool stopping = false;
    bool shutdown_script_started = false;
    std::uint64_t reloads = 0, reloads_refused = 0;
    std::map<std::string, std::uint64_t> handler_failures;  // exceptions that left a handler

    std::unique_ptr<ScriptRunner> scripts;
    std::unique_ptr<NotifyRunner> notify_scripts;  // before scripts goes: it runs through it
    std::unique_ptr<SmtpAlerter> smtp;
    std::unique_ptr<vrrp::Engine> vrrp;
    std::unique_ptr<checkers::Pool> pool;
    std::unique_ptr<ipvs::Director> director;
    std::unique_ptr<LvsSync> lvs_sync;
    std::unique_ptr<BfdLink> bfd;
    std::unique_ptr<LocalAddresses> local_addresses;  // only with ha_suspend
    std::unique_ptr<StatusServer> status_server;
    std::unique_ptr<MetricsServer> metrics_server;
    Notifier notifier;

    CheckBindings checks;
    std::map<std::string, std::string> group_state;  // sync group -> last notified state

    FifoSet fifos{io, clock, log};

    // Shutdown: how long the FIFO readers, then the scripts, may take; polled until then.
    Clock::time_point fifo_deadline{}, exit_deadline{};
    Clock::Alarm exit_poll{clock, [this] { wait_scripts_then_exit(); }};

    Impl(Options o, Logger& l) : options(std::move(o)), log(l) {}

    // ---- side effects -------------------------------------------------------------------

    // startup_script / shutdown_script: then() runs once the script ended or was killed.
    void run_global_script(std::string_view what, const config::GlobalConfig::Script& sc,
                           std::function<void()> then) {
        log.info("Running {} {}", what, sc.argv.front());
        run_command(
            sc.argv, sc.user, sc.group, sc.timeout,
            [this, what = std::string(what), then = std::move(then)](const ScriptResult& r) {
                if (!r.spawn_failed && !r.timed_out && (r.signal || r.exit_code != 0))
                    log.warning("{} failed ({} {})", what, r.signal ? "signal" : "exit status",
                                r.signal ? r.signal : r.exit_code);
                then();
            });
    }

    void run_command(const std::vector<std::string>& argv, const std::string& user,
                     const std::string& group, std::chrono::microseconds timeout,
                     std::function<void(const ScriptResult&)> done = {}) {
        if (argv.empty()) return;
        const auto& g = running.global;
        scripts->run(argv, user.empty() ? g.script_user : user,
                     group.empty() && user.empty() ? g.script_group : group, timeout,
                     [this, prog = argv.front(), done = std::move(done)](const ScriptResult& r) {
                         if (r.spawn_failed)
                             log.error("script {} could not start: {}", prog, r.error);
                         else if (r.timed_out)
                             log.warning("script {} timed out and was killed", prog);
                         if (done) done(r);
                     });
    }

    // A notification script: after every earlier one of key has ended, bounded by
    // notify_timeout (killed with its process group).
    void notify_command(const std::string& key, const std::vector<std::string>& argv,
                        const std::string& user, const std::string& group) {
        if (argv.empty() || !notify_scripts) return;
        const auto& g = running.global;
        const bool queued = notify_scripts->run(
            key, argv, user.empty() ? g.script_user : user,
            group.empty() && user.empty() ? g.script_group : group, g.notify_timeout,
            [this, prog = argv.front(), key](const ScriptResult& r) {
                if (r.spawn_failed)
                    log.error("script {} could not start: {}", prog, r.error);
                else if (r.timed_out)
                    log.warning("notify script {} ({}) timed out and was killed", prog, key);
            });
        if (!queued) log.error("notify script {} dropped: too many waiting for {}", argv[0], key);
    }

    // The queue a VRRP instance's notifications share: its sync group's, so that a group's
    // come after its members', as keepalived sends them.
    std::string notify_key(const std::string& instance_name) const {
        for (const auto& g : running.vrrp.sync_groups)
            if (std::find(g.instances.begin(), g.instances.end(), instance_name) !=
                g.instances.end())
                return "group " + g.name;
        return "instance " + instance_name;
    }

    void alert(const Alert& a, const std::string& key = {}) {
        if (!smtp) return;
        smtp->send(
            a,
            [this, subject = a.subject](bool ok, const std::string& err) {
                if (!ok) log.error("SMTP alert '{}' not sent: {}", subject, err);
            },
            key);
    }

    bool smtp_for_vrrp(bool object_flag) const {
        const auto& g = running.global;
        if (g.smtp_alert_vrrp) return *g.smtp_alert_vrrp || object_flag;
        return g.smtp_alert || object_flag;
    }

    bool smtp_for_checker(bool object_flag) const {
        const auto& g = running.global;
        if (g.smtp_alert_checker) return *g.smtp_alert_checker || object_flag;
        return g.smtp_alert || object_flag;
    }

    // ---- notify FIFOs ----------------------------------------------------------------------

    bool priority_lines(const std::string& name) const {
        const auto* cfg = instance(name);
        if (!cfg) return false;
        if (cfg->notify->priority_changes) return *cfg->notify->priority_changes;
        for (const auto& g : running.vrrp.sync_groups)
            if (std::find(g.instances.begin(), g.instances.end(), name) != g.instances.end() &&
                g.notify.priority_changes)
                return *g.notify.priority_changes;
        return running.global.vrrp_notify_priority_changes;
    }

    // ---- VRRP ---------------------------------------------------------------------------

    // The engine holds the instances' configuration; running.vrrp keeps the rest.
    const vrrp::InstanceConfig* instance(const std::string& name) const {
        return vrrp ? vrrp->config_of(name) : nullptr;
    }

    const vrrp::SyncGroupConfig* sync_group(const std::string& name) const {
        for (const auto& g : running.vrrp.sync_groups)
            if (g.name == name) return &g;
        return nullptr;
    }

    void on_transition(const vrrp::TransitionEvent& e) {
        const std::string state = upper(vrrp::to_string(e.to));
        const auto* cfg = instance(e.instance);
        if (!cfg) return;
        // keepalived starts a sync group in BACKUP: its line comes before its members'.
        if (!e.group.empty() && e.from == vrrp::State::init && state == "BACKUP" &&
            !fifos.group_seen(e.group))
            fifos.group(e.group, state);
        // At shutdown the daemons stop with the rest; no backup daemon is started on the way.
        if (lvs_sync && e.to != vrrp::State::stop)
            lvs_sync->on_state(e.instance, e.to == vrrp::State::master);
        fifos.write(true, fifo_instance_line(e.instance, state, e.priority));
        const std::string key = notify_key(e.instance);
        for (const auto& cmd : notifier.instance_commands(*cfg, state, e.priority))
            notify_command(key, cmd.argv, cmd.user, cmd.group);
        if (smtp_for_vrrp(cfg->smtp_alert) && !(state == "FAULT" && running.global.no_email_faults))
            alert(vrrp_instance_alert(e.instance, state), key);
        if (!e.group.empty()) group_transition(e.group);
    }

    // A sync group changes state when all its members agree.
    void group_transition(const std::string& name) {
        const auto* g = sync_group(name);
        if (!g || !vrrp) return;
        // One lookup per member: a start of n grouped instances is O(n * members), not O(n^2).
        std::optional<std::string> common;
        for (const auto& member : g->instances) {
            const auto is = vrrp->state_of(member);
            if (!is) continue;
            const std::string s = upper(vrrp::to_string(is->state));
            if (!common)
                common = s;
            else if (*common != s)
                return;
        }
        if (!common || group_state[name] == *common) return;
        group_state[name] = *common;
        log.info("VRRP_Group({}) Syncing instances to {} state", name, *common);
        fifos.group(name, *common);
        for (const auto& cmd : notifier.group_commands(*g, *common))
            notify_command("group " + name, cmd.argv, cmd.user, cmd.group);
        if (smtp_for_vrrp(g->smtp_alert) && !(*common == "FAULT" && running.global.no_email_faults))
            alert(vrrp_group_alert(name, *common), "group " + name);
    }

    vrrp::Hooks vrrp_hooks() {
        vrrp::Hooks h;
        h.on_transition = [this](const vrrp::TransitionEvent& e) { on_transition(e); };
        h.on_master_rx_lower_priority = [this](const std::string& name) {
            if (const auto is = vrrp ? vrrp->state_of(name) : std::nullopt)
                fifos.write(true, fifo_instance_line(name, "MASTER_RX_LOWER_PRI", is->priority));
            if (const auto* cfg = instance(name); cfg && !cfg->notify->master_rx_lower_pri.empty())
                notify_command(notify_key(name), cfg->notify->master_rx_lower_pri.argv,
                               cfg->notify->master_rx_lower_pri.user,
                               cfg->notify->master_rx_lower_pri.group);
        };
        h.on_priority_change = [this](const std::string& name, vrrp::State st, int priority) {
            if (!priority_lines(name)) return;
            fifos.write(true,
                        fifo_instance_line(
                            name, st == vrrp::State::master ? "MASTER_PRIORITY" : "BACKUP_PRIORITY",
                            priority));
        };
        h.run_script = [this](const vrrp::Command& c, std::chrono::microseconds timeout,
                              std::function<void(int)> done) {
            run_command(c.argv, c.user, c.group, timeout, [done](const ScriptResult& r) {
                done(r.spawn_failed || r.timed_out || r.signal ? -1 : r.exit_code);
            });
        };
        h.log = [this](vrrp::LogLevel l, std::string m) {
            log.write(static_cast<LogLevel>(static_cast<int>(l)), m);
        };
        return h;
    }

    // ---- checkers and virtual servers -----------------------------------------------------

    bool real_server_alive(std::size_t vs, std::size_t rs) const {
        if (bfd && !bfd->alive(vs, rs)) return false;
        return all_checks_up(checks.ids_of({vs, rs}),
                             [this](std::size_t id) { return std::optional<bool>(pool->up(id)); });
    }

    void push_health(std::size_t vs, std::size_t rs) {
        if (!director) return;
        director->set_health(vs, rs, real_server_alive(vs, rs), checks.weight({vs, rs}));
    }

    checkers::Hooks check_hooks() {
        checkers::Hooks h;
        h.on_state_change = [this](std::size_t id, bool up, const checkers::CheckResult& r) {
            const auto* b = checks.find(id);
            if (!b) return;
            if (up)
                log.info("{} succeeded", checks.label({lvs_checks, *lvs}, id));
            else
                log.info("{} failed: {}", checks.label({lvs_checks, *lvs}, id), r.reason);
            push_health(b->vs, b->rs);
        };
        h.on_weight_change = [this](std::size_t id, std::optional<int> w) {
            const auto* b = checks.find(id);
            if (!b) return;
            checks.set_weight({b->vs, b->rs}, w);
            push_health(b->vs, b->rs);
        };
        h.on_weight_offset = [this](std::size_t id, int offset) {
            const auto* b = checks.find(id);
            if (!b) return;
            const auto& vss = lvs->virtual_servers;
            const auto [v, r] = std::pair{b->vs, b->rs};
            if (v >= vss.size() || r >= vss[v].real_servers.size()) return;
            // FILE_CHECK weights are relative to the configured weight (keepalived).
            const long w = static_cast<long>(vss[v].real_servers[r].weight) + offset;
            checks.set_weight({v, r}, static_cast<int>(std::clamp(w, 0L, 65535L)));
            push_health(v, r);
        };
        h.run_script = [this](const checkers::Command& c, std::chrono::microseconds timeout,
                              checkers::ScriptDone done) {
            run_command(c.argv, c.user, c.group, timeout, [done](const ScriptResult& r) {
                done(r.spawn_failed ? -2 : r.timed_out ? -1 : r.signal ? -1 : r.exit_code);
            });
        };
        h.log = [this](int level, std::string m) { log.write(static_cast<LogLevel>(level), m); };
        return h;
    }

    void on_lvs_event(const ipvs::Event& e, const ipvs::Config& cfg) {
        if (e.virtual_server >= cfg.virtual_servers.size()) return;
        const auto& vs = cfg.virtual_servers[e.virtual_server];
        const std::string vname = service_text(vs);
        const ipvs::RealServerConfig* rs =
            e.real_server < vs.real_servers.size() ? &vs.real_servers[e.real_server] : nullptr;
        const std::string vkey = "virtual_server " + vname;
        switch (e.kind) {
            case ipvs::EventKind::real_server_up:
            case ipvs::EventKind::real_server_down: {
                if (!rs) return;
                const bool up = e.kind == ipvs::EventKind::real_server_up;
                const std::string rname = endpoint_text(rs->address, rs->port);
                fifos.write(
                    false, fifo_rs_line(fifo_endpoint(rs->address, ipvs::protocol_name(vs.protocol),
                                                      rs->port),
                                        fifo_service(vs), up));
                log.info("{} service {} {} virtual server {}", up ? "Adding" : "Removing", rname,
                         up ? "to" : "from", vname);
                const std::string rkey = "real_server " + vname + " " + rname;
                const auto& cmd = up ? rs->notify_up : rs->notify_down;
                if (cmd) notify_command(rkey, cmd->argv, cmd->user, cmd->group);
                if (smtp_for_checker(rs->smtp_alert || vs.smtp_alert))
                    alert(realserver_alert(rname, vname, up), rkey);
                break;
            }
            case ipvs::EventKind::quorum_up:
                fifos.write(false, fifo_vs_line(fifo_service(vs), true));
                log.info("Gained quorum {}+{}={} <= {} for VS {}", vs.quorum, vs.hysteresis,
                         vs.quorum + vs.hysteresis, e.weight_sum, vname);
                if (vs.quorum_up)
                    notify_command(vkey, vs.quorum_up->argv, vs.quorum_up->user,
                                   vs.quorum_up->group);
                if (smtp_for_checker(vs.smtp_alert)) alert(quorum_alert(vname, true), vkey);
                break;
            case ipvs::EventKind::quorum_down:
                fifos.write(false, fifo_vs_line(fifo_service(vs), false));
                log.info("Lost quorum {}-{}={} > {} for VS {}", vs.quorum, vs.hysteresis,
                         static_cast<long>(vs.quorum) - vs.hysteresis, e.weight_sum, vname);
                if (vs.quorum_down)
                    notify_command(vkey, vs.quorum_down->argv, vs.quorum_down->user,
                                   vs.quorum_down->group);
                if (smtp_for_checker(vs.smtp_alert)) alert(quorum_alert(vname, false), vkey);
                break;
            case ipvs::EventKind::sorry_server_in:
                log.info("VS {}: no real server alive, adding the sorry server", vname);
                break;
            case ipvs::EventKind::sorry_server_out:
                log.info("VS {}: removing the sorry server", vname);
                break;
        }
    }

    // ha_suspend: the checkers of a virtual server whose address is not on this host are
    // suspended, and resumed when it appears (a VRRP VIP taken over, an address added).
    void update_suspension() {
        if (!pool) return;
        bool any = false;
        for (const auto& vs : lvs->virtual_servers) any = any || vs.ha_suspend;
        if (!any) {
            local_addresses.reset();
            for (const auto& [id, b] : checks.all()) pool->suspend(id, false);
            return;
        }
        if (!local_addresses) {
            local_addresses = std::make_unique<LocalAddresses>(io);
            if (auto r = local_addresses->start([this] { update_suspension(); }); !r) {
                log.error("ha_suspend: {}; checkers are not suspended", r.error());
                local_addresses.reset();
                return;
            }
        }
        auto local = [this](const IpAddress& a) { return local_addresses->contains(a); };
        for (const auto& [id, b] : checks.all()) {
            const auto& vs = lvs->virtual_servers.at(b.vs);
            const bool suspend = vs.ha_suspend && !vs_address_local(vs, local);
            const auto now = pool->suspended(id);
            if (!now || *now == suspend) continue;
            const auto& rs =
                b.rs < vs.real_servers.size() ? vs.real_servers[b.rs] : *vs.sorry_server;
            log.info("{} healthchecker for service [{}]:{} for VS {}",
                     suspend ? "Suspending" : "Activating", rs.address.to_string(), rs.port,
                     fifo_service(vs));
            pool->suspend(id, suspend);
        }
    }

    // Daemons with different pid files own different nftables tables (as keepalived: nothing
    // collides); the default pid file keeps the plain names.
    std::string table_suffix() const {
        if (options.pid_file == Options{}.pid_file) return "";
        std::string stem = std::filesystem::path(options.pid_file).stem().string();
        for (auto& ch : stem)
            if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
        return "_" + stem;
    }

    // The instances move to the engine, which keeps the only copy of them.
    vrrp::Config take_vrrp(config::Config& c) const {
        auto instances = std::exchange(c.vrrp.instances, {});
        vrrp::Config v = c.vrrp;
        v.instances = std::move(instances);
        v.nft_table += table_suffix();
        return v;
    }

    // Takes c's virtual servers out, with what the director needs of the rest.
    std::shared_ptr<const ipvs::Config> share_lvs(config::Config& c) const {
        ipvs::Config lvs = std::move(c.lvs);
        c.lvs = {};
        lvs.nft_table += table_suffix();
        for (auto& vs : lvs.virtual_servers)
            for (auto& rs : vs.real_servers) rs.checker_count = 0;
        for (const auto& b : c.checks) {
            auto& vs = lvs.virtual_servers.at(b.virtual_server);
            if (b.real_server < vs.real_servers.size())
                ++vs.real_servers[b.real_server].checker_count;
        }
        for (const auto& b : c.bfd_checks) {
            auto& vs = lvs.virtual_servers.at(b.virtual_server);
            if (b.real_server < vs.real_servers.size())
                ++vs.real_servers[b.real_server].checker_count;
        }
        return ipvs::shared_config(std::move(lvs));
    }

    static std::shared_ptr<const std::vector<config::CheckBinding>> share_checks(
        config::Config& c) {
        auto out = std::make_shared<const std::vector<config::CheckBinding>>(std::move(c.checks));
        c.checks = {};
        return out;
    }

    void configure_pool() {
        if (!pool) return;
        checkers::PoolSettings ps;
        ps.default_helo = router_id(running);
        ps.tls = running.global.tls;
        if (auto err = pool->configure(ps)) log.error("SSL client settings: {}", *err);
    }

    // ---- start, reload, stop --------------------------------------------------------------

    bool want_vrrp() const { return !options.check_only; }
    // Static addresses, routes and rules live in the VRRP module even with no instance.
    static bool has_vrrp(const config::Config& c) {
        const auto& v = c.vrrp;
        return !v.instances.empty() || !v.static_addresses.empty() || !v.static_routes.empty() ||
               !v.static_rules.empty();
    }
    bool want_lvs() const { return !options.vrrp_only; }

    void make_smtp(const config::Config& c) {
        const auto& g = c.global;
        if ((!g.smtp_server && g.smtp_server_name.empty()) || g.notification_email.empty()) {
            smtp.reset();
            return;
        }
        SmtpSettings s;
        if (g.smtp_server)
            s.server = *g.smtp_server;
        else
            s.server_name = g.smtp_server_name;
        s.port = g.smtp_port;
        s.helo_name = g.smtp_helo_name;
        s.from = g.notification_email_from;
        s.to = g.notification_email;
        s.router_id = router_id(c);
        s.timeout = g.smtp_connect_timeout;
        if (smtp)
            smtp->configure(std::move(s));  // alerts still queued leave with the new settings
        else
            smtp = std::make_unique<SmtpAlerter>(io, clock, std::move(s));
    }

    static std::string router_id(const config::Config& c) {
        if (!c.global.router_id.empty()) return c.global.router_id;
        char host[256] = {};
        gethostname(host, sizeof host - 1);
        return host;
    }

    bool start_modules() {
        make_smtp(running);
        fifos.configure(running.global, *scripts);
        if (want_vrrp() && has_vrrp(running)) {
            vrrp = std::make_unique<vrrp::Engine>(io, clock, vrrp_hooks());
            if (auto r = vrrp->start(take_vrrp(running)); !r) {
                log.error("VRRP: {}", r.error());
                return false;
            }
        }
        configure_lvs_sync();
        if (want_lvs() && !lvs->virtual_servers.empty()) start_lvs();
        configure_bfd();
        return true;
    }

    // After VRRP and the director: sessions start Down and tell both at once.
    void configure_bfd() {
        if (options.check_only || (!bfd && running.bfd.instances.empty())) return;
        if (!bfd)
            bfd = std::make_unique<BfdLink>(
                io, clock, log,
                BfdLink::Hooks{[this](const std::string& s, bool up) {
                                   if (vrrp) vrrp->set_bfd_state(s, up);
                               },
                               [this](std::size_t v, std::size_t r) { push_health(v, r); }});
        bfd->apply(running);
        for (const auto& [key, _] : bfd->bindings()) push_health(key.first, key.second);
    }

    // keepalived's VRRP side runs the sync daemons: not in a checker-only daemon.
    void configure_lvs_sync() {
        if (!want_vrrp()) return;
        const auto& cfg = running.global.lvs_sync_daemon;
        if (!cfg && !lvs_sync) return;
        if (!lvs_sync) lvs_sync = std::make_unique<LvsSync>(log);
        bool master = false;
        if (cfg && vrrp)
            for (const auto& i : vrrp->status().instances)
                if (i.name == cfg->instance) master = i.state == vrrp::State::master;
        lvs_sync->configure(cfg, master);
    }

    void start_lvs() {
        const auto t_start = clock.now();
        ipvs::DirectorHooks dh;
        dh.log = [this](std::string_view m) { log.info("{}", m); };
        dh.on_event = [this](const ipvs::Event& e, const ipvs::Config& c) { on_lvs_event(e, c); };
        dh.run_command = [this](std::vector<std::string> argv) {
            run_command(argv, "root", "", std::chrono::seconds(10));
        };
        director = std::make_unique<ipvs::Director>(io, clock, std::move(dh));
        pool = std::make_unique<checkers::Pool>(io, clock, check_hooks());
        configure_pool();
        // The director must exist before the first verdicts arrive; checks start after warmup.
        if (auto r = director->start(lvs); !r) {
            // VRRP keeps running without a data plane: as keepalived, never take the daemon down.
            log.error("virtual servers: {}", r.error().message);
        }
        checks.bind({lvs_checks, *lvs}, *pool);
        update_suspension();
        std::size_t servers = 0;
        for (std::size_t v = 0; v < lvs->virtual_servers.size(); ++v)
            for (std::size_t r = 0; r < lvs->virtual_servers[v].real_servers.size(); ++r) {
                ++servers;
                if (checks.has_checks({v, r})) push_health(v, r);
            }
        using ms = std::chrono::duration<double, std::milli>;
        log.info(
            "Virtual servers started in {:.0f} ms: {} virtual servers, {} real servers, {} "
            "checks",
            ms(clock.now() - t_start).count(), lvs->virtual_servers.size(), servers,
            checks.all().size());
    }

    ProcessSettings process_settings;  // as applied at start-up

    std::optional<ChildScheduling> apply_process_tuning() {
        const auto& g = running.global;
        auto merged = merge_process_settings(g.vrrp_process, g.checker_process);
        for (const auto& c : merged.conflicts) log.warning("{}", c);
        process_settings = merged.settings;
        auto out = apply_process_settings(process_settings);
        for (const auto& a : out.applied) log.info("Process: {}", a);
        for (const auto& e : out.errors) log.error("Process: {}", e);
        return std::move(out.child);
    }

    void reload() {
        log.info("Reloading configuration from {}", options.config_file);
        ++reloads;
        using ms = std::chrono::duration<double, std::milli>;
        const auto t_start = clock.now();
        config::LoadOptions lo;
        lo.config_id = options.config_id;
        lo.defines = options.defines;
        config::SystemHost host;
        auto r = config::load_file(options.config_file, lo, host);
        const auto t_read = clock.now();
        // Stricter than start-up: a running daemon keeps its config rather than apply a file
        // whose errors would drop or change a block.
        if (!r.reloadable()) {
            ++reloads_refused;
            for (const auto& d : r.diagnostics) log.error("{}", config::format(d));
            log.error("Reload refused: {} has errors; the running configuration is kept",
                      options.config_file);
            return;
        }
        for (const auto& d : r.diagnostics) log.warning("{}", config::format(d));
        // Freed once the new one is applied: a large configuration takes a while to free.
        const config::Config retired = std::exchange(running, std::move(r.config));
        const auto retired_lvs = std::exchange(lvs, share_lvs(running));
        const auto retired_checks = std::exchange(lvs_checks, share_checks(running));
        if (scripts) scripts->forget_users();  // the user database may have changed too
        if (merge_process_settings(running.global.vrrp_process, running.global.checker_process)
                .settings != process_settings)
            log.warning("process scheduling keywords changed: they take effect at restart");
        if (auto m = running.global.umask) ::umask(static_cast<mode_t>(*m));
        make_smtp(running);
        fifos.configure(running.global, *scripts);
        if (want_vrrp()) {
            if (!vrrp && has_vrrp(running)) {
                vrrp = std::make_unique<vrrp::Engine>(io, clock, vrrp_hooks());
                if (auto e = vrrp->start(take_vrrp(running)); !e) log.error("VRRP: {}", e.error());
            } else if (vrrp) {
                if (auto e = vrrp->reload(take_vrrp(running)); !e)
                    log.error("VRRP reload: {}", e.error());
            }
        }
        const auto t_lvs = clock.now();
        std::optional<decltype(clock.now())> t_checks;  // set when the checkers are rebound
        if (want_lvs()) {
            if (!director && !lvs->virtual_servers.empty()) {
                start_lvs();
            } else if (director) {
                if (auto e = director->reload(lvs); !e)
                    log.error("virtual servers reload: {}", e.error().message);
                t_checks = clock.now();
                configure_pool();
                checks.bind({lvs_checks, *lvs}, *pool, CheckSource{retired_checks, *retired_lvs});
                update_suspension();
                for (const auto& [v, r] : checks.keys()) push_health(v, r);
            }
        }
        configure_lvs_sync();
        configure_bfd();
        if (running.global.fifo_write_vrrp_states_on_reload && vrrp) {
            for (const auto& i : vrrp->status().instances)
                fifos.write(true, fifo_instance_line(i.name, upper(vrrp::to_string(i.state)),
                                                     i.effective_priority));
            for (const auto& [name, state] : fifos.group_states())
                if (!state.empty()) fifos.write(true, fifo_group_line(name, state));
        }
        const auto t_end = clock.now();
        const auto t_bound = t_checks.value_or(t_end);
        log.info(
            "Configuration reloaded in {:.0f} ms (file {:.0f} ms, VRRP {:.0f} ms, virtual "
            "servers {:.0f} ms, checkers {:.0f} ms)",
            ms(t_end - t_start).count(), ms(t_read - t_start).count(), ms(t_lvs - t_read).count(),
            ms(t_bound - t_lvs).count(), ms(t_end - t_bound).count());
    }

    void stop() {
        if (stopping) return;
        stopping = true;
        log.info("Stopping");
        signals.cancel();
        // keepalived ends the FIFO scripts before it writes the STOP lines; a script that
        // outlives SIGTERM still reads them until the FIFO closes.
        fifos.begin_stop(scripts.get());
        // The exit waits for both: VRRP's last adverts and BFD's AdminDown (RFC 5880 6.8.16).
        auto pending = std::make_shared<int>(2);
        auto finish = [this, pending] {
            if (--*pending > 0) return;
            fifos.flush_stops();
            if (director) director->stop();
            if (lvs_sync) lvs_sync->stop();
            pool.reset();
            const auto now = clock.now();
            fifo_deadline = now + std::chrono::seconds(1);
            exit_deadline = now + std::chrono::seconds(3);
            wait_scripts_then_exit();
        };
        if (bfd)
            bfd->stop(finish);
        else
            finish();
        if (vrrp)
            vrrp->stop(finish);
        else
            finish();
    }

    // Let the FIFO readers get the last lines, then notify_stop and the last notify scripts
    // start and finish, each bounded in time; then the shutdown_script, once everything else
    // has stopped.
    void wait_scripts_then_exit() {
        const auto now = clock.now();
        const auto deadline = exit_deadline;
        if (now < fifo_deadline && !fifos.drained()) {
            exit_poll.arm(now + std::chrono::milliseconds(10));
            return;
        }
        fifo_deadline = {};
        fifos.close();
        bool notifying = notify_scripts && !notify_scripts->idle();
        if (notifying && now >= deadline) {
            // Bounded like the rest of the shutdown: what runs is killed (the script runner
            // reaps it on the way out), what waits is dropped.
            log.warning("Stopping with {} notify scripts running, {} waiting: killed, dropped",
                        notify_scripts->running(), notify_scripts->waiting());
            notify_scripts->abort();
            notifying = false;
        }
        if (!notifying && (!scripts || scripts->running() == 0 || now >= deadline)) {
            const auto& sd = running.global.shutdown_script;
            if (scripts && !sd.argv.empty() && !shutdown_script_started) {
                shutdown_script_started = true;
                run_global_script("shutdown_script", sd, [this] { io.stop(); });
                return;
            }
            io.stop();
            return;
        }
        exit_poll.arm(now + std::chrono::milliseconds(20));
    }

    // ---- control (vigilctl) --------------------------------------------------------------

    std::string control(const std::string& line, const Peer& peer) {
        auto fail = [](std::string why) { return json{{"ok", false}, {"error", why}}.dump(); };
        auto req = parse_request(line);
        if (!req) return fail(req.error());
        if (auto why = refuse(*req, peer)) {
            log.warning("control: uid {} refused '{}': not root", peer.uid, req->cmd);
            return fail(*why);
        }
        const auto& a = req->args;
        if (req->cmd == "status" || req->cmd == "show") return status_text(snapshot());
        if (req->cmd == "lvs") return lvs_json().dump();
        if (req->cmd == "connections") return connections_json().dump();
        if (req->cmd == "maintenance") {
            if (!vrrp) return fail("no VRRP instances are running");
            const bool on = a[1] == "on";
            auto changed = vrrp->set_maintenance(a[0], on);
            if (changed.empty()) return fail("no vrrp_instance '" + a[0] + "'");
            log.info("control: uid {}: maintenance {} {}", peer.uid, on ? "on" : "off",
                     fmt::join(changed, " "));
            return json{{"ok", true}, {"instances", changed}}.dump();
        }
        if (req->cmd == "clear") {
            json cleared = json::array();
            if (director)
                for (const auto& o : director->status().overrides)
                    cleared.push_back(ipvs::to_string(o.admin) + " " + o.vs + " " + o.rs);
            if (director) director->clear_overrides();
            if (vrrp)
                for (const auto& i : vrrp->status().instances)
                    if (i.maintenance) {
                        vrrp->set_maintenance(i.name, false);
                        cleared.push_back("maintenance " + i.name);
                    }
            log.info("control: uid {}: cleared {} override(s)", peer.uid, cleared.size());
            return json{{"ok", true}, {"cleared", cleared}}.dump();
        }
        // drain, enable, disable
        if (!director) return fail("no virtual servers are running");
        const auto admin = req->cmd == "drain"    ? ipvs::Admin::draining
                           : req->cmd == "enable" ? ipvs::Admin::enabled
                                                  : ipvs::Admin::disabled;
        auto r = director->set_admin(a[0], a[1], admin, req->timeout);
        if (!r) return fail(r.error().message);
        log.info("control: uid {}: {} {}{}", peer.uid, req->cmd, *r,
                 req->timeout ? fmt::format(" (timeout {} s)", req->timeout->count()) : "");
        return json{{"ok", true}, {"target", *r}}.dump();
    }

    json lvs_json() {
        if (!director) return {{"ok", false}, {"error", "no virtual servers are running"}};
        auto live = director->live();
        if (!live) return {{"ok", false}, {"error", live.error().message}};
        auto stats = [](const ipvs::Stats& s) {
            return json{{"conns", s.conns},     {"inpkts", s.inpkts},     {"outpkts", s.outpkts},
                        {"inbytes", s.inbytes}, {"outbytes", s.outbytes}, {"cps", s.cps},
                        {"inpps", s.inpps},     {"outpps", s.outpps},     {"inbps", s.inbps},
                        {"outbps", s.outbps}};
        };
        json services = json::array();
        for (const auto& ls : *live) {
            const auto& id = ls.service.id;
            json dests = json::array();
            for (const auto& d : ls.destinations)
                dests.push_back(
                    {{"address", endpoint_text(d.destination.address, d.destination.port)},
                     {"forwarding", d.destination.forwarding == ipvs::Forwarding::dr    ? "Route"
                                    : d.destination.forwarding == ipvs::Forwarding::tun ? "Tunnel"
                                                                                        : "Masq"},
                     {"weight", d.destination.weight},
                     {"active", d.active},
                     {"inactive", d.inactive},
                     {"persistent", d.persistent},
                     {"stats", stats(d.stats)}});
            services.push_back(
                {{"protocol",
                  id.fwmark ? "FWM" : upper(std::string(ipvs::protocol_name(id.protocol)))},
                 {"address",
                  id.fwmark ? std::to_string(id.fwmark) : endpoint_text(*id.address, id.port)},
                 {"ipv6", id.is_ipv6()},
                 {"scheduler", ls.service.scheduler},
                 {"persistent", ls.service.timeout},
                 {"stats", stats(ls.stats)},
                 {"destinations", dests}});
        }
        return {{"ok", true}, {"backend", director->status().backend}, {"services", services}};
    }

    // ipvsadm -Lnc reads /proc/net/ip_vs_conn; under nftables the flows are conntrack's.
    json connections_json() {
        if (!director) return {{"ok", false}, {"error", "no virtual servers are running"}};
        const std::string backend = director->status().backend;
        const char* file = backend == "ipvs" ? "/proc/net/ip_vs_conn" : "/proc/net/nf_conntrack";
        std::ifstream in(file);
        if (!in) return {{"ok", false}, {"error", fmt::format("cannot read {}", file)}};
        std::string text(std::size_t{4} << 20, '\0');
        in.read(text.data(), std::streamsize(text.size()));
        text.resize(std::size_t(in.gcount()));
        return {{"ok", true}, {"backend", backend}, {"source", file}, {"text", text}};
    }

    // ---- observability ----------------------------------------------------------------------

    Snapshot snapshot() const {
        Snapshot s;
        const auto now = clock.now();
        auto& d = s.daemon;
        d.pid = getpid();
        d.config_file = options.config_file;
        d.uptime_s = std::chrono::duration_cast<std::chrono::seconds>(now - started).count();
        d.reloads = reloads;
        d.reloads_refused = reloads_refused;
        d.scripts_running = scripts ? scripts->running() : 0;
        if (notify_scripts) {
            const auto& c = notify_scripts->counters();
            d.notify_scripts = NotifyScriptsView{notify_scripts->running(),
                                                 notify_scripts->waiting(),
                                                 c.queued,
                                                 c.finished,
                                                 c.timed_out,
                                                 c.abandoned,
                                                 c.dropped,
                                                 c.refused};
        }
        d.unsupported_keywords = running.unsupported_keywords;
        d.handler_failures = handler_failures;
        const auto mem = own_memory();
        d.rss_kib = mem.rss_kib;
        d.anon_kib = mem.anon_kib;
        if (vrrp) {
            auto st = vrrp->status();
            for (auto& i : st.instances) {
                InstanceView v;
                if (const auto* c = vrrp->config_of(i.name))
                    for (const auto& a : c->vips) v.vips.push_back(a.address.to_string());
                v.since_transition_s =
                    std::chrono::duration_cast<std::chrono::milliseconds>(now - i.last_transition)
                        .count() /
                    1000.0;
                v.status = std::move(i);
                s.instances.push_back(std::move(v));
            }
            s.track_processes = std::move(st.track_processes);
            s.vrrp_drops = std::move(st.drops);
        }
        if (director) {
            const auto ds = director->status();
            const auto& cfg = *lvs;
            for (std::size_t v = 0; v < cfg.virtual_servers.size(); ++v) {
                const auto& vs = cfg.virtual_servers[v];
                VirtualServerView vv;
                vv.name = service_text(vs);
                vv.quorum_up = v < ds.state.size() && ds.state[v].quorum_up;
                vv.sorry_active = v < ds.state.size() && ds.state[v].sorry_active;
                for (std::size_t r = 0; r < vs.real_servers.size(); ++r) {
                    const auto& rs = vs.real_servers[r];
                    RealServerView rv;
                    rv.address = endpoint_text(rs.address, rs.port);
                    rv.weight = rs.weight;
                    if (pool)
                        for (auto id : checks.ids_of({v, r}))
                            if (auto st = pool->status(id)) {
                                CheckView c;
                                c.up = st->up;
                                c.last = st->last.reason;
                                c.latency_us = st->last.latency.count();
                                c.probes = st->counters.probes;
                                c.suspended = st->suspended;
                                rv.checks.push_back(std::move(c));
                            }
                    if (bfd) {
                        auto [b, e] = bfd->bindings().equal_range({v, r});
                        for (auto it = b; it != e; ++it) {
                            const auto state = bfd->state_of(it->second);
                            CheckView c;
                            c.bfd = true;
                            c.name = it->second;
                            if (!state.empty()) c.state = state;
                            c.up = state == "Up";
                            rv.checks.push_back(std::move(c));
                        }
                    }
                    const bool known = v < ds.state.size() && r < ds.state[v].real_servers.size();
                    rv.alive = known && ds.state[v].real_servers[r].alive;
                    rv.admin = known ? ds.state[v].real_servers[r].admin : ipvs::Admin::enabled;
                    for (const auto& svc : ipvs::services_of(vs))
                        if (const auto* a = ipvs::find_service(ds.applied, svc.id))
                            for (const auto& dst : a->destinations)
                                if (ipvs::is_destination_of(dst, rs))
                                    rv.weight_now = std::max(rv.weight_now, dst.weight);
                    vv.real_servers.push_back(std::move(rv));
                }
                s.virtual_servers.push_back(std::move(vv));
            }
            DataPlaneView dp{.backend = ds.backend,
                             .running = ds.running,
                             .counters = ds.counters,
                             .refused = ds.refused,
                             .last_error = ds.last_error,
                             .overrides = {}};
            for (const auto& o : ds.overrides) {
                OverrideView ov{.override = o, .deadline_s = std::nullopt};
                if (o.deadline)
                    ov.deadline_s =
                        std::chrono::duration_cast<std::chrono::seconds>(*o.deadline - now).count();
                dp.overrides.push_back(std::move(ov));
            }
            s.data_plane = std::move(dp);
        }
        for (const auto& g : running.vrrp.sync_groups) {
            auto it = group_state.find(g.name);
            s.sync_groups.push_back(
                {g.name, it == group_state.end() ? std::string() : it->second, g.instances});
        }
        if (lvs_sync) s.lvs_sync = lvs_sync->status();
        s.fifos = fifos.views();
        if (bfd) s.bfd = bfd->status_json();
        return s;
    }

    json status_json() const { return status_document(snapshot()); }
    std::string metrics_text() const { return metrics_document(snapshot()); }

    std::string dump_dir() const {
        if (!running.global.tmp_dir.empty()) return running.global.tmp_dir;
        const char* t = std::getenv("TMPDIR");
        return t && *t ? t : "/tmp";
    }

    void write_dump(bool stats) {
        const auto& g = running.global;
        std::string path = stats ? g.stats_file : g.data_file;
        if (path.empty())
            path = derived_path(options.pid_file, dump_dir(), stats ? ".stats" : ".data");
        json j = status_json();
        if (!stats) {
            config::Config c = running;
            c.lvs = *lvs;
            c.checks = *lvs_checks;
            if (vrrp) c.vrrp.instances = vrrp->instance_configs();
            j["config"] = json::parse(config::to_json(c), nullptr, false);
        }
        std::ofstream out(path, std::ios::trunc);
        out << j.dump(2) << "\n";
        if (out)
            log.info("{} dump written to {}", stats ? "Statistics" : "Data", path);
        else
            log.error("could not write {}", path);
    }

    // ---- signals --------------------------------------------------------------------------

    void wait_signal() {
        signals.async_wait([this](const boost::system::error_code& ec, int sig) {
            if (ec) return;
            switch (sig) {
                case SIGHUP:
                    reload();
                    break;
                case SIGUSR1:
                    write_dump(false);
                    break;
                case SIGUSR2:
                    write_dump(true);
                    break;
                case SIGTERM:
                case SIGINT:
                    stop();
                    break;
                case SIGXCPU:  // the soft RLIMIT_RTTIME; the hard one kills the daemon
                    log.warning(
                        "vigild has used too much real-time CPU without blocking: "
                        "vrrp_rlimit_rttime (now {} us) may need to be increased",
                        process_settings.rlimit_rttime);
                    break;
                default:
                    break;
            }
            if (!stopping) wait_signal();
        });
    }

    StatusServer::Access socket_access() const {
        StatusServer::Access a;
        a.mode = running.global.status_socket_mode;
        if (!running.global.status_socket_group.empty()) {
            if (const group* g = ::getgrnam(running.global.status_socket_group.c_str()))
                a.gid = g->gr_gid;
            else
                log.warning("status_socket_group {}: no such group",
                            running.global.status_socket_group);
        }
        return a;
    }

    std::string status_socket_path() const {
        if (!options.status_socket.empty()) return options.status_socket;
        if (!running.global.status_socket.empty()) return running.global.status_socket;
        return derived_path(options.pid_file, "", ".sock");
    }
};

App::App(Options options, Logger& log) : impl_(std::make_unique<Impl>(std::move(options), log)) {}
App::~App() = default;

int App::run(config::Config initial) {
    auto& s = *impl_;
    if (auto m = initial.global.umask) ::umask(static_cast<mode_t>(*m));
    auto pid = PidFile::create(s.options.pid_file);
    if (!pid) {
        s.log.error("pid file: {}", pid.error());
        return 1;
    }
    s.pid_file.emplace(std::move(*pid));
    s.running = std::move(initial);
    s.lvs = s.share_lvs(s.running);
    s.lvs_checks = s.share_checks(s.running);
    // Before anything else runs: threads made later inherit it, scripts get the original back.
    auto tuned = s.apply_process_tuning();
    for (int sig : {SIGHUP, SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGXCPU}) s.signals.add(sig);
    std::signal(SIGPIPE, SIG_IGN);
    s.wait_signal();
    s.scripts = std::make_unique<ScriptRunner>(s.io, s.clock);
    s.scripts->set_child_scheduling(std::move(tuned));
    s.notify_scripts = std::make_unique<NotifyRunner>(s.clock, *s.scripts);
    s.log.info("Starting Vigil, configuration {}", s.options.config_file);

    auto st = StatusServer::create(
        s.io, s.clock, s.status_socket_path(), [&s] { return status_text(s.snapshot()); },
        [&s](const std::string& line, const Peer& peer) { return s.control(line, peer); },
        s.socket_access());
    if (st)
        s.status_server = std::move(*st);
    else
        s.log.warning("{}", st.error());
    if (!s.running.global.metrics_listen.empty()) {
        auto m = MetricsServer::create(s.io, s.running.global.metrics_listen,
                                       [&s] { return s.metrics_text(); });
        if (m)
            s.metrics_server = std::move(*m);
        else
            s.log.error("{}", m.error());
    }
    int rc = 0;
    auto start = [&s, &rc] {
        if (s.stopping) return;
        if (!s.start_modules()) {
            s.log.error("Start-up failed");
            rc = 1;
            s.io.stop();
        }
    };
    // keepalived runs startup_script before anything else starts, and waits for it.
    if (const auto& sc = s.running.global.startup_script; !sc.argv.empty())
        s.run_global_script("startup_script", sc, start);
    else
        start();
    if (rc != 0) return rc;
    run_guarded(s.io, [&s](std::string_view what) {
        ++s.handler_failures[std::string(what.substr(0, 80))];
        s.log.error("an event handler failed: {}; the daemon goes on", what);
    });
    s.status_server.reset();
    s.metrics_server.reset();
    s.bfd.reset();
    s.vrrp.reset();
    s.director.reset();
    s.notify_scripts.reset();
    s.scripts.reset();
    s.log.info("Stopped");
    return rc;
}

}  // namespace vigil
