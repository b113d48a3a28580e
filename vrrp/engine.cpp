#include "vigil/vrrp/engine.hpp"

#include <fmt/format.h>

#include <linux/if_link.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <deque>
#include <fstream>
#include <set>

#include "addresses.hpp"
#include "announce.hpp"
#include "instance.hpp"
#include "link_monitor.hpp"
#include "proc_scan.hpp"
#include "rules.hpp"
#include "socket.hpp"
#include "static_network.hpp"
#include "sync_group.hpp"
#include "timer_queue.hpp"
#include "track.hpp"
#include "track_process.hpp"
#include "vip_filter.hpp"
#include "vmac.hpp"

namespace vigil::vrrp {

namespace {

struct ScriptRunner {
    ScriptConfig config;
    ScriptHealth health;
    Clock::Alarm timer;
    bool running = false;
    ScriptRunner(Clock& clock, ScriptConfig c, std::function<void(ScriptRunner&)> due)
        : config(std::move(c)), timer(clock, [this, due = std::move(due)] { due(*this); }) {
        health.ok = !config.init_fail;
    }
};

struct Vmac {
    std::string name;
    int ifindex = 0;
    std::string base;
    MacAddress mac{};
    bool ipv6 = false;
    std::optional<Address> mirrored;  // IPv6: the base's link-local, copied onto the vmac
    bool ipvlan = false;              // use_ipvlan: shares the base's MAC, has its own address
    std::optional<Address> source;    // the ipvlan's address: the adverts' source
};

// /proc/sys is per network namespace: these touch only the daemon's own.
std::optional<std::string> read_sysctl(const std::string& path) {
    std::ifstream in(path);
    std::string v;
    if (!(in >> v)) return std::nullopt;
    return v;
}

bool write_sysctl(const std::string& path, const std::string& value) {
    std::ofstream out(path);
    out << value << "\n";
    out.flush();
    return static_cast<bool>(out);
}

std::string ipv4_conf(const std::string& ifname, const char* key) {
    return fmt::format("/proc/sys/net/ipv4/conf/{}/{}", ifname, key);
}

// A sysctl set while this lives; the value it had is written back when it goes.
class SysctlOverride {
  public:
    static std::unique_ptr<SysctlOverride> set(const std::string& path, const std::string& value) {
        auto old = read_sysctl(path);
        if (!old || !write_sysctl(path, value)) return nullptr;
        return std::make_unique<SysctlOverride>(path, *old);
    }
    SysctlOverride(std::string path, std::string old)
        : path_(std::move(path)), old_(std::move(old)) {}
    ~SysctlOverride() { write_sysctl(path_, old_); }  // fails quietly if the link went
    SysctlOverride(const SysctlOverride&) = delete;
    SysctlOverride& operator=(const SysctlOverride&) = delete;

  private:
    std::string path_, old_;
};

// garp_group: announcements on its interfaces leave one per interval (per family), across
// every instance that uses them.
struct GarpLane {
    struct Pending {
        int ifindex;
        MacAddress mac;
        Address vip;
    };
    Duration gap{0};
    TimerQueue::TimePoint next_free{};
    std::deque<Pending> queue;
    std::unique_ptr<Clock::Alarm> timer;
};

struct GarpPacer {
    GarpGroupConfig config;
    std::array<GarpLane, 2> lanes;  // IPv4 (ARP), IPv6 (NA)
};

const Address* configured_source(const InstanceConfig& c) {
    if (c.unicast_src) return &*c.unicast_src;
    if (c.mcast_src) return &*c.mcast_src;
    return nullptr;
}

struct FileTracker {
    TrackFileConfig config;
    long value = 0;
};

struct ProcessTracker {
    TrackProcessConfig config;
    ProcessQuorum quorum;
};

// One /proc scan per tick serves every vrrp_track_process: every 0.5 s, or as often as the
// shortest delay asks, but never more than every 0.1 s.
Duration process_poll_interval(const std::map<std::string, ProcessTracker>& ps) {
    Duration d = std::chrono::milliseconds(500);
    for (const auto& [_, p] : ps)
        for (auto delay : {p.config.fork_delay, p.config.terminate_delay})
            if (delay > Duration{0}) d = std::min(d, delay);
    return std::max<Duration>(d, std::chrono::milliseconds(100));
}

ScanNeeds scan_needs(const std::map<std::string, ProcessTracker>& ps) {
    ScanNeeds n;
    for (const auto& [_, p] : ps) {
        if (!p.config.full_command) n.comm = true;
        n.cmdline_bytes = std::max(n.cmdline_bytes, cmdline_bytes_needed(p.config));
    }
    return n;
}

StaticConfig statics_of(const Config& c) {
    return {c.static_addresses, c.static_routes, c.static_rules};
}

}  // namespace

struct Engine::Impl final : InstanceIo {
    boost::asio::io_context& io;
    Clock& clock;
    Hooks hooks;
    std::set<std::string> maintained;  // instances held in BACKUP by the operator
    TimerQueue timers;                 // before the instances: they hold entries in it
    Config config;                     // without the instances: each instance holds its own
    std::unique_ptr<LinkMonitor> links;
    std::optional<AddressManager> addresses;
    std::optional<RuleManager> rules;
    std::optional<StaticNetwork> statics;
    std::optional<Announcer> announcer;
    std::map<SocketKey, std::unique_ptr<VrrpSocket>> sockets;
    // An instance is detached from it before it is destroyed.
    std::map<SocketKey, std::map<std::uint8_t, Instance*>> by_vrid;
    std::shared_ptr<ReceiveArea> receive_area;  // every receiving socket's recvmmsg batch
    std::map<std::string, std::unique_ptr<Instance>, std::less<>> instances;
    std::vector<const Instance*> order;  // as in the configuration file
    std::map<std::string, std::unique_ptr<ScriptRunner>> scripts;
    std::map<std::string, FileTracker> files;
    std::map<std::string, ProcessTracker> processes;
    std::map<std::string, bool> bfd_up;  // track_bfd: sessions the daemon reported
    // pidfds of matching processes: an exit is seen at once, a start at the next scan.
    std::map<int, std::unique_ptr<boost::asio::posix::stream_descriptor>> exit_watches;
    std::unique_ptr<VipFilter> filter;  // opened with the first strict master
    std::optional<VmacManager> vmac_manager;
    std::map<std::string, Vmac> vmacs;                    // by instance name
    std::map<std::string, std::vector<Vmac>> addr_vmacs;  // use_vmac_addr, by instance name
    // Base interfaces under a vmac: their arp_ignore / arp_filter before, restored with the last.
    struct BaseArp {
        int users = 0;
        std::optional<std::string> arp_ignore, arp_filter;
    };
    std::map<std::string, BaseArp> vmac_bases;
    // promote_secondaries: by interface, while an instance on it runs.
    std::map<std::string, std::unique_ptr<SysctlOverride>> promoted;
    std::vector<GarpPacer> pacers;
    Clock::Alarm file_poll;
    std::optional<TimerQueue::Entry> process_poll;  // after timers: destroyed before it
    Clock::Alarm startup;
    std::vector<Instance*> starting;  // waiting for the startup delay
    std::array<std::uint64_t, kDropReasonCount> drops{};
    std::shared_ptr<bool> alive = std::make_shared<bool>(true);
    bool stopped = false;

    Impl(boost::asio::io_context& i, Clock& c, Hooks h)
        : io(i),
          clock(c),
          hooks(std::move(h)),
          timers(c),
          file_poll(c, [this] { poll_files_now(); }),
          startup(c, [this] {
              if (!stopped) start_instances(std::exchange(starting, {}));
          }) {
        timers.after_fire([this] {
            for (auto& [_, sock] : sockets)
                if (sock->queued()) sock->flush();
        });
        process_poll.emplace(timers, [this](TimerQueue::TimePoint) { poll_processes(); });
    }
    ~Impl() override { *alive = false; }

    void log(LogLevel level, std::string msg) {
        if (hooks.log) hooks.log(level, std::move(msg));
    }

    // InstanceIo
    std::expected<void, std::string> send_advert(const InstanceConfig&, int ifindex,
                                                 std::span<const std::uint8_t> message,
                                                 const Address& src, const Address& dst) override {
        for (auto& [key, sock] : sockets)
            if (key.ifindex == ifindex && key.ipv6 == dst.is_v6() &&
                key.group.has_value() == dst.is_multicast()) {
                // Adverts due in one wake-up leave together (sendmmsg) when it ends.
                if (!timers.firing()) return sock->send(message, src, dst);
                sock->queue(message, src, dst);
                return {};
            }
        return std::unexpected("no socket");
    }
    std::expected<void, std::string> add_address(int ifindex, const VirtualAddress& v) override {
        if (!addresses || ifindex == 0) return std::unexpected("no interface");
        return addresses->add_address(ifindex, v);
    }
    std::expected<void, std::string> remove_address(int ifindex, const VirtualAddress& v) override {
        if (!addresses || ifindex == 0) return std::unexpected("no interface");
        return addresses->remove_address(ifindex, v);
    }
    std::expected<void, std::string> add_route(int ifindex, const VirtualRoute& r) override {
        if (!addresses) return std::unexpected("no netlink");
        return addresses->add_route(ifindex, r,
                                    [this](const std::string& n) { return ifindex_of(n); });
    }
    std::expected<void, std::string> remove_route(int ifindex, const VirtualRoute& r) override {
        if (!addresses) return std::unexpected("no netlink");
        return addresses->remove_route(ifindex, r,
                                       [this](const std::string& n) { return ifindex_of(n); });
    }
    std::expected<void, std::string> add_rule(const VirtualRule& r) override {
        if (!rules) return std::unexpected("no netlink");
        return rules->add(r);
    }
    std::expected<void, std::string> remove_rule(const VirtualRule& r) override {
        if (!rules) return std::unexpected("no netlink");
        return rules->remove(r);
    }
    std::expected<void, std::string> announce(int ifindex, const MacAddress& mac,
                                              const Address& vip) override {
        if (!announcer) return std::unexpected("no announcer");
        if (!pacers.empty())
            if (auto* lane = lane_of(ifindex, vip); lane && lane->gap > Duration{0}) {
                const auto now = timers.now();
                if (lane->queue.empty() && now >= lane->next_free) {
                    lane->next_free = now + lane->gap;
                    return announce_now(ifindex, mac, vip);
                }
                lane->queue.push_back({ifindex, mac, vip});
                if (lane->queue.size() == 1) arm_lane(*lane);
                return {};
            }
        return announce_now(ifindex, mac, vip);
    }
    GarpLane* lane_of(int ifindex, const Address& vip) {
        auto l = links->find(ifindex);
        if (!l) return nullptr;
        for (auto& p : pacers)
            if (std::find(p.config.interfaces.begin(), p.config.interfaces.end(), l->name) !=
                p.config.interfaces.end())
                return &p.lanes[vip.is_v6() ? 1 : 0];
        return nullptr;
    }
    void arm_lane(GarpLane& lane) { lane.timer->arm(lane.next_free); }
    void lane_due(GarpLane& lane) {
        if (stopped || lane.queue.empty()) return;
        auto p = lane.queue.front();
        lane.queue.pop_front();
        lane.next_free = timers.now() + lane.gap;
        if (auto r = announce_now(p.ifindex, p.mac, p.vip); !r)
            log(LogLevel::warning, fmt::format("announce {}: {}", p.vip.to_string(), r.error()));
        if (!lane.queue.empty()) arm_lane(lane);
    }
    void set_pacers() {
        if (!pacers.empty() && pacers.size() == config.garp_groups.size() &&
            std::equal(pacers.begin(), pacers.end(), config.garp_groups.begin(),
                       [](const GarpPacer& p, const GarpGroupConfig& g) { return p.config == g; }))
            return;
        pacers.clear();
        pacers.reserve(config.garp_groups.size());  // lanes' alarms hold their address
        for (const auto& g : config.garp_groups) {
            GarpPacer p;
            p.config = g;
            p.lanes[0].gap = g.garp_interval;
            p.lanes[1].gap = g.gna_interval;
            pacers.push_back(std::move(p));
            // Armed by address: the lanes stay where the vector put them.
            for (auto& lane : pacers.back().lanes)
                lane.timer =
                    std::make_unique<Clock::Alarm>(clock, [this, &lane] { lane_due(lane); });
        }
    }
    std::optional<MacAddress> mac_of(int ifindex) override {
        auto l = links ? links->find(ifindex) : std::nullopt;
        if (!l) return std::nullopt;
        return l->mac;
    }
    std::expected<void, std::string> announce_now(int ifindex, const MacAddress& mac,
                                                  const Address& vip) {
        if (vip.is_v4()) return announcer->send_garp(ifindex, mac, vip.to_v4());
        bool router = false;
        if (auto l = links->find(ifindex)) router = ipv6_forwarding(l->name);
        return announcer->send_unsolicited_na(ifindex, mac, vip.to_v6(), router);
    }
    std::expected<void, std::string> filter_vip(const Address& vip, bool blocked) override {
        if (!filter) {
            if (!blocked) return {};
            auto f = VipFilter::open(config.nft_table);
            if (!f) {
                log(LogLevel::error, fmt::format("vrrp_strict: {}", f.error()));
                return std::unexpected(f.error());
            }
            filter = std::move(*f);
        }
        return blocked ? filter->block(vip) : filter->unblock(vip);
    }
    int ifindex_of(const std::string& name) override {
        auto l = links ? links->find(name) : std::nullopt;
        return l ? l->index : 0;
    }

    const SyncGroupConfig* group_of(const InstanceConfig& c) const {
        for (const auto& g : config.sync_groups)
            if (g.name == c.sync_group ||
                std::find(g.instances.begin(), g.instances.end(), c.name) != g.instances.end())
                return &g;
        return nullptr;
    }

    LinkInfo link_info(const InstanceConfig& c) const {
        LinkInfo info;
        auto l = links->find(c.interface);
        if (!l || !l->present) return info;
        info.ifindex = l->index;
        info.up = l->up || c.dont_track_primary;  // its own link's faults ignored
        info.mac = l->mac;
        if (c.ipv6 && l->link_local_v6) info.source = Address(*l->link_local_v6);
        if (!c.ipv6 && l->primary_v4) info.source = Address(*l->primary_v4);
        // As keepalived 2.2.7: the ipvlan is where adverts leave from, with its address; the
        // VIPs stay on the base. An IPv4 one without an address is made, and the instance
        // stays in FAULT.
        if (auto v = vmacs.find(c.name); v != vmacs.end() && v->second.ipvlan) {
            info.xmit_ifindex = v->second.ifindex;
            if (v->second.source) {
                info.source = *v->second.source;
            } else if (auto il = links->find(v->second.ifindex); il && il->link_local_v6) {
                info.source = Address(*il->link_local_v6);
            }
            if (!c.ipv6 && !c.ipvlan_address) info.up = false;
        } else if (v != vmacs.end()) {
            info.vip_ifindex = v->second.ifindex;
            if (!c.vmac_xmit_base) info.xmit_ifindex = v->second.ifindex;
            info.announce_mac = v->second.mac;
            info.vmac_ifindexes.push_back(v->second.ifindex);
        } else if (c.use_ipvlan) {
            info.up = false;  // no ipvlan (yet): FAULT
        }
        if (auto a = addr_vmacs.find(c.name); a != addr_vmacs.end())
            for (const auto& v : a->second) {
                info.addr_vmacs.push_back({v.base, v.ipv6, v.ifindex, v.mac});
                info.vmac_ifindexes.push_back(v.ifindex);
            }
        if (const auto* src = configured_source(c))
            info.configured_source_present =
                std::binary_search(l->watched.begin(), l->watched.end(), *src);
        return info;
    }

    void recompute(Instance& inst) {
        const auto& c = inst.config();
        const auto* g = group_of(c);
        std::vector<TrackedInterface> ifs;
        std::vector<TrackedScript> ss;
        std::vector<TrackedFile> fs;
        std::vector<std::string> effects;
        // The same rule as compute_priority, per tracker, for the operator.
        auto effect = [&](const std::string& what, int weight, bool reverse, bool good,
                          bool fault_when_zero) {
            if (weight == 0) {
                if (fault_when_zero) effects.push_back(what + ": FAULT");
                return;
            }
            if (weight > 0 ? good : !good)
                effects.push_back(fmt::format("{}: {:+d}", what, reverse ? -weight : weight));
        };
        auto add_if = [&](const TrackInterface& t) {
            auto l = links->find(t.name);
            ifs.push_back({t.weight, false, l && l->present && l->up});
            const bool up = ifs.back().up;
            effect("interface " + t.name + (up ? " up" : " down"), t.weight, false, up, !up);
        };
        auto add_script = [&](const TrackRef& r) {
            auto it = scripts.find(r.name);
            if (it == scripts.end()) return;
            const auto& sc = it->second->config;
            ss.push_back({r.weight.value_or(sc.weight), r.reverse || sc.weight_reverse,
                          it->second->health.ok});
            const auto& x = ss.back();
            effect("script " + r.name + (x.ok ? " ok" : " failing"), x.weight, x.reverse, x.ok,
                   x.ok == x.reverse);
        };
        auto add_file = [&](const TrackRef& r) {
            auto it = files.find(r.name);
            if (it == files.end()) return;
            fs.push_back({r.weight.value_or(it->second.config.weight),
                          r.reverse || it->second.config.weight_reverse, it->second.value});
            const auto& x = fs.back();
            if (x.weight == 0 && x.value != 0)
                effects.push_back(fmt::format("file {} = {}: FAULT", r.name, x.value));
            else if (x.weight != 0 && x.value != 0)
                effects.push_back(fmt::format(
                    "file {} = {}: {:+d}", r.name, x.value,
                    std::clamp(x.value, -254L, 254L) * (x.reverse ? -x.weight : x.weight)));
        };
        // A process quorum weighs like a script's result. A reference with its own weight
        // also says its own direction (reverse / noreverse).
        auto add_process = [&](const TrackRef& r) {
            auto it = processes.find(r.name);
            if (it == processes.end()) return;
            const auto& pc = it->second.config;
            ss.push_back({r.weight.value_or(pc.weight), r.weight ? r.reverse : pc.weight_reverse,
                          it->second.quorum.up()});
            const auto& x = ss.back();
            effect("process " + r.name + (x.ok ? " running" : " not running"), x.weight, x.reverse,
                   x.ok, x.ok == x.reverse);
        };
        for (const auto& t : c.track_interfaces) add_if(t);
        for (const auto& r : c.track_scripts) add_script(r);
        for (const auto& r : c.track_files) add_file(r);
        for (const auto& r : c.track_processes) add_process(r);
        // A BFD session weighs like a script's result: Up is "ok".
        auto add_bfd = [&](const TrackRef& r) {
            auto it = bfd_up.find(r.name);
            ss.push_back({r.weight.value_or(0), r.reverse, it != bfd_up.end() && it->second});
            const auto& x = ss.back();
            effect("bfd " + r.name + (x.ok ? " up" : " down"), x.weight, x.reverse, x.ok,
                   x.ok == x.reverse);
        };
        for (const auto& r : c.track_bfds) add_bfd(r);
        if (g) {
            for (const auto& r : g->track_bfds) add_bfd(r);
            for (const auto& t : g->track_interfaces) add_if(t);
            for (const auto& r : g->track_scripts) add_script(r);
            for (const auto& r : g->track_files) add_file(r);
            for (const auto& r : g->track_processes) add_process(r);
        }
        inst.set_link(link_info(c));
        inst.set_tracking(std::move(effects));
        inst.set_priority(compute_priority(c.priority, ifs, ss, fs));
    }

    void recompute_all() {
        for (auto& [_, inst] : instances) recompute(*inst);
        update_group_faults();
        sync_promoted();
    }

    // promote_secondaries on the present interfaces of running instances that ask for it.
    void sync_promoted() {
        std::set<std::string> want;
        if (!stopped)
            for (const auto& [_, inst] : instances)
                if (inst->config().promote_secondaries && inst->socket_key().ifindex != 0)
                    want.insert(inst->config().interface);
        std::erase_if(promoted, [&](const auto& p) { return !want.contains(p.first); });
        for (const auto& name : want) {
            if (promoted.contains(name)) continue;
            auto o = SysctlOverride::set(ipv4_conf(name, "promote_secondaries"), "1");
            if (!o) {
                log(LogLevel::warning,
                    fmt::format("promote_secondaries on {}: sysctl failed", name));
                continue;
            }
            promoted.emplace(name, std::move(o));
        }
    }

    void watch_sources() {
        std::set<Address> w;
        for (const auto& [_, inst] : instances)
            if (const auto* src = configured_source(inst->config());
                src && inst->config().track_src_ip)
                w.insert(*src);
        links->watch_addresses(std::move(w));
    }

    // A deleted link takes its sockets (and a vmac on it) with it; a link of that name created
    // again later is attached afresh.
    void forget_link(const LinkMonitor::Link& l) {
        std::vector<std::string> gone;
        for (const auto& [name, v] : vmacs)
            if (v.ifindex == l.index || v.base == l.name) gone.push_back(name);
        for (const auto& [name, list] : addr_vmacs)
            for (const auto& v : list)
                if (v.ifindex == l.index || v.base == l.name) gone.push_back(name);
        for (const auto& name : gone) remove_vmac(name);
        for (auto s = sockets.begin(); s != sockets.end();)
            s = s->first.ifindex == l.index ? sockets.erase(s) : std::next(s);
        for (auto b = by_vrid.begin(); b != by_vrid.end();)
            b = b->first.ifindex == l.index ? by_vrid.erase(b) : std::next(b);
        promoted.erase(l.name);
    }

    std::vector<Instance*> members(const SyncGroupConfig& g) {
        std::vector<Instance*> out;
        for (const auto& name : g.instances)
            if (auto it = instances.find(name); it != instances.end())
                out.push_back(it->second.get());
        return out;
    }

    void update_group_faults() {
        for (const auto& g : config.sync_groups) {
            auto ms = members(g);
            // std::vector<bool> is not contiguous: a plain bool array feeds the span.
            auto flags = std::make_unique<bool[]>(ms.size() + 1);
            for (std::size_t i = 0; i < ms.size(); ++i) flags[i] = ms[i]->own_fault();
            const std::span<const bool> view(flags.get(), ms.size());
            for (std::size_t i = 0; i < ms.size(); ++i)
                ms[i]->set_group_fault(group_fault(view, i));
        }
    }

    void saw_lower_priority(Instance& i) override {
        if (hooks.on_master_rx_lower_priority) hooks.on_master_rx_lower_priority(i.config().name);
    }

    void priority_changed(Instance& i) override {
        if (hooks.on_priority_change)
            hooks.on_priority_change(i.config().name, i.state(), i.effective_priority());
    }

    void transitioned(Instance& inst, State from, State to) override {
        const auto* g = group_of(inst.config());
        log(LogLevel::info,
            fmt::format("({}) Entering {} STATE", inst.config().name, to_string(to)));
        if (hooks.on_transition)
            hooks.on_transition({inst.config().name, g ? g->name : std::string(), from, to,
                                 inst.effective_priority()});
        if (!g || stopped) return;
        auto ms = members(*g);
        std::vector<State> states;
        std::size_t self = 0;
        for (std::size_t i = 0; i < ms.size(); ++i) {
            states.push_back(ms[i]->state());
            if (ms[i] == &inst) self = i;
        }
        for (const auto& o : follow(states, self, from, to)) ms[o.member]->force(o.order);
    }

    void dispatch(const SocketKey& key, const RawPacket& p) {
        auto advert = decode(p.message, p.src, p.dst);
        if (!advert) {
            ++drops[static_cast<std::size_t>(advert.error())];
            return;
        }
        auto vr = by_vrid.find(key);
        const auto it =
            vr == by_vrid.end() ? decltype(vr->second.end()){} : vr->second.find(advert->vrid);
        if (vr == by_vrid.end() || it == vr->second.end()) {
            ++drops[static_cast<std::size_t>(DropReason::unknown_vrid)];
            return;
        }
        it->second->receive(p, *advert);
    }

    // use_vmac: a private macvlan with the virtual MAC on the instance's interface, with
    // keepalived's sysctls (vmac: arp_ignore 1, accept_local 1, rp_filter 0; base: arp_ignore 1,
    // arp_filter 1, restored when its last vmac goes).
    void ensure_vmac(const InstanceConfig& c) {
        if (!(c.use_vmac || c.use_ipvlan) || vmacs.contains(c.name)) return;
        auto base = links->find(c.interface);
        if (!base || !base->present) return;  // retried when the interface appears
        if (!vmac_manager) {
            auto m = VmacManager::open();
            if (!m) {
                log(LogLevel::error, fmt::format("({}) vmac: {}", c.name, m.error()));
                return;
            }
            vmac_manager.emplace(std::move(*m));
        }
        if (c.use_ipvlan) return ensure_ipvlan(c, *base);
        auto v =
            create_macvlan(c.name, c.vmac_name.empty() ? default_vmac_name(c.vrid) : c.vmac_name,
                           *base, virtual_mac(c.vrid, c.ipv6), c.ipv6);
        if (!v) return;
        auto& stored = vmacs.emplace(c.name, std::move(*v)).first->second;
        mirror_link_local(stored);
    }

    // A private macvlan with keepalived's sysctls (see ensure_vmac).
    std::optional<Vmac> create_macvlan(const std::string& who, const std::string& name,
                                       const LinkMonitor::Link& base, const MacAddress& mac,
                                       bool ipv6) {
        Vmac v;
        v.name = name;
        v.mac = mac;
        v.base = base.name;
        v.ipv6 = ipv6;
        auto idx = vmac_manager->create({v.name, base.index, v.mac, true});
        if (!idx) {
            log(LogLevel::error, fmt::format("({}) {}", who, idx.error()));
            return std::nullopt;
        }
        v.ifindex = *idx;
        bool ok = write_sysctl(ipv4_conf(v.name, "arp_ignore"), "1") &&
                  write_sysctl(ipv4_conf(v.name, "accept_local"), "1") &&
                  write_sysctl(ipv4_conf(v.name, "rp_filter"), "0");
        auto& b = vmac_bases[v.base];
        if (b.users++ == 0) {
            b.arp_ignore = read_sysctl(ipv4_conf(v.base, "arp_ignore"));
            b.arp_filter = read_sysctl(ipv4_conf(v.base, "arp_filter"));
            ok = write_sysctl(ipv4_conf(v.base, "arp_ignore"), "1") &&
                 write_sysctl(ipv4_conf(v.base, "arp_filter"), "1") && ok;
        }
        // keepalived sets promote_secondaries on its vmacs.
        ok = write_sysctl(ipv4_conf(v.name, "promote_secondaries"), "1") && ok;
        if (!ok) log(LogLevel::warning, fmt::format("({}) vmac {}: sysctl failed", who, v.name));
        log(LogLevel::info, fmt::format("({}) vmac {} created on {}", who, v.name, v.base));
        return v;
    }

    // use_vmac_addr and a VIP's use_vmac: one VMAC per (interface, family) the VIPs need.
    void ensure_addr_vmacs(const InstanceConfig& c) {
        auto& list = addr_vmacs[c.name];
        for (const auto* vips : {&c.vips, &c.excluded_vips})
            for (const auto& vip : *vips) {
                const auto base_name = addr_vmac_base(c, vip);
                const bool v6 = vip.address.is_v6();
                if (base_name.empty() || std::any_of(list.begin(), list.end(), [&](const Vmac& v) {
                        return v.base == base_name && v.ipv6 == v6;
                    }))
                    continue;
                auto base = links->find(base_name);
                if (!base || !base->present) continue;  // retried when it appears
                if (!vmac_manager) {
                    auto m = VmacManager::open();
                    if (!m) {
                        log(LogLevel::error, fmt::format("({}) vmac: {}", c.name, m.error()));
                        return;
                    }
                    vmac_manager.emplace(std::move(*m));
                }
                auto v = create_macvlan(c.name, addr_vmac_name(c, v6), *base,
                                        virtual_mac(c.vrid, v6), v6);
                if (!v) continue;
                list.push_back(std::move(*v));
                mirror_link_local(list.back());
            }
        if (list.empty()) addr_vmacs.erase(c.name);
    }

    // use_ipvlan: an L2 ipvlan (bridge, private or vepa) with the configured address, which the
    // adverts leave from. Deleting it takes its address along.
    void ensure_ipvlan(const InstanceConfig& c, const LinkMonitor::Link& base) {
        Vmac v;
        v.ipvlan = true;
        v.name = c.ipvlan_name.empty() ? default_vmac_name(c.vrid) : c.ipvlan_name;
        v.mac = base.mac;
        v.base = c.interface;
        v.ipv6 = c.ipv6;
        const std::uint16_t flags =
            c.ipvlan_mode == InstanceConfig::IpvlanMode::private_ ? IPVLAN_F_PRIVATE
            : c.ipvlan_mode == InstanceConfig::IpvlanMode::vepa   ? IPVLAN_F_VEPA
                                                                  : 0;
        auto idx = vmac_manager->create_ipvlan({v.name, base.index, flags, true});
        if (!idx) {
            log(LogLevel::error, fmt::format("({}) {}", c.name, idx.error()));
            return;
        }
        v.ifindex = *idx;
        if (c.ipvlan_address && addresses) {
            if (auto r = addresses->add_address(v.ifindex, *c.ipvlan_address);
                !r && r.error().find("exists") == std::string::npos) {
                log(LogLevel::error,
                    fmt::format("({}) ipvlan {}: address: {}", c.name, v.name, r.error()));
                if (auto rm = vmac_manager->remove(v.name); !rm)
                    log(LogLevel::error, fmt::format("({}) {}", c.name, rm.error()));
                return;
            }
            v.source = c.ipvlan_address->address;
        }
        if (!write_sysctl(ipv4_conf(v.name, "promote_secondaries"), "1"))
            log(LogLevel::warning, fmt::format("({}) ipvlan {}: sysctl failed", c.name, v.name));
        log(LogLevel::info, fmt::format("({}) ipvlan {} created on {}", c.name, v.name, v.base));
        vmacs.emplace(c.name, std::move(v));
    }

    // IPv6 adverts leave the vmac from the base's link-local (as keepalived): the vmac needs
    // that address too, or the kernel refuses the source.
    void mirror_link_local(Vmac& v) {
        if (!v.ipv6 || !addresses || v.ipvlan) return;
        auto base = links->find(v.base);
        if (!base || !base->link_local_v6) return;
        const Address ll(*base->link_local_v6);
        if (v.mirrored == ll) return;
        VirtualAddress a;
        a.address = ll;
        a.prefix_len = 64;
        a.scope = "link";
        if (auto r = addresses->add_address(v.ifindex, a); !r) {
            log(LogLevel::warning, fmt::format("vmac {}: link-local: {}", v.name, r.error()));
            return;
        }
        v.mirrored = ll;
    }

    void remove_vmac(const std::string& instance) {
        if (auto a = addr_vmacs.find(instance); a != addr_vmacs.end()) {
            const auto list = std::move(a->second);
            addr_vmacs.erase(a);
            for (const auto& v : list) destroy_vmac(instance, v);
        }
        auto it = vmacs.find(instance);
        if (it == vmacs.end()) return;
        const Vmac v = std::move(it->second);
        vmacs.erase(it);
        destroy_vmac(instance, v);
    }

    void destroy_vmac(const std::string& instance, const Vmac& v) {
        for (auto s = sockets.begin(); s != sockets.end();)
            s = s->first.ifindex == v.ifindex ? sockets.erase(s) : std::next(s);
        if (vmac_manager)
            if (auto r = vmac_manager->remove(v.name); !r)
                log(LogLevel::error, fmt::format("({}) {}", instance, r.error()));
        if (v.ipvlan) return;
        if (auto b = vmac_bases.find(v.base); b != vmac_bases.end() && --b->second.users == 0) {
            if (b->second.arp_ignore)
                write_sysctl(ipv4_conf(v.base, "arp_ignore"), *b->second.arp_ignore);
            if (b->second.arp_filter)
                write_sysctl(ipv4_conf(v.base, "arp_filter"), *b->second.arp_filter);
            vmac_bases.erase(b);
        }
    }

    void open_socket(const SocketKey& key, const std::string& ifname, const InstanceConfig& c,
                     bool receive) {
        if (sockets.contains(key)) return;
        SocketOptions o;
        o.key = key;
        o.ifname = ifname;
        o.unicast_ttl = c.unicast_ttl;
        o.receive = receive;
        if (receive && !receive_area) receive_area = ReceiveArea::make();
        auto s = VrrpSocket::open(io, clock, o, receive ? receive_area : nullptr);
        if (!s) {
            log(LogLevel::error, fmt::format("({}) {}", c.name, s.error()));
            return;
        }
        if (receive) (*s)->start([this, key](const RawPacket& p) { dispatch(key, p); });
        sockets.emplace(key, std::move(*s));
    }

    void attach(Instance& inst) {
        const auto key = inst.socket_key();
        if (key.ifindex == 0) {
            log(LogLevel::warning, fmt::format("({}) interface {} not found: FAULT",
                                               inst.config().name, inst.config().interface));
            return;
        }
        // Adverts are received on the base interface; with a vmac they leave from it.
        open_socket(key, inst.config().interface, inst.config(), true);
        if (auto v = vmacs.find(inst.config().name);
            v != vmacs.end() && !inst.config().vmac_xmit_base) {
            auto vkey = key;
            vkey.ifindex = v->second.ifindex;
            // Unicast to an ipvlan's address reaches the ipvlan only, not its base.
            const bool rx = v->second.ipvlan && !inst.config().unicast_peers.empty();
            open_socket(vkey, v->second.name, inst.config(), rx);
            if (rx) by_vrid[vkey][inst.config().vrid] = &inst;
        }
        by_vrid[key][inst.config().vrid] = &inst;
    }

    void detach(Instance& inst) {
        for (auto& [key, m] : by_vrid)
            if (auto it = m.find(inst.config().vrid); it != m.end() && it->second == &inst)
                m.erase(it);
    }

    Instance& create(InstanceConfig&& c) {
        auto inst = std::make_unique<Instance>(timers, std::move(c), *this);
        // A held instance stays held across a restart by reload.
        if (maintained.contains(inst->config().name)) inst->set_maintenance(true);
        auto& ref = *inst;
        instances[ref.config().name] = std::move(inst);
        return ref;
    }

    void sync_trackers() {
        std::map<std::string, std::unique_ptr<ScriptRunner>> next;
        for (const auto& s : config.scripts) {
            auto it = scripts.find(s.name);
            if (it != scripts.end() && it->second->config == s) {
                next[s.name] = std::move(it->second);
                continue;
            }
            next[s.name] = std::make_unique<ScriptRunner>(clock, s, [this](ScriptRunner& r) {
                if (stopped) return;
                run_script(r);
                schedule_script(r, r.config.interval);
            });
            schedule_script(*next[s.name], Duration{0});
        }
        scripts = std::move(next);
        std::map<std::string, FileTracker> nf;
        for (const auto& f : config.track_files) {
            FileTracker t{f, 0};
            auto v = read_track_file(f.path);
            if (!v && f.init_file) {
                std::ofstream(f.path) << *f.init_file << "\n";
                v = *f.init_file;
            }
            t.value = v.value_or(0);
            nf[f.name] = t;
        }
        files = std::move(nf);

        std::map<std::string, ProcessTracker> np;
        std::vector<std::string> fresh;
        for (const auto& p : config.track_processes) {
            auto it = processes.find(p.name);
            if (it != processes.end() && it->second.config == p) {
                np[p.name] = std::move(it->second);
                continue;
            }
            np[p.name] = ProcessTracker{p, {}};
            fresh.push_back(p.name);
        }
        processes = std::move(np);
        if (!fresh.empty()) {
            // The first status is known before any instance starts: no FAULT at start-up for a
            // process that runs.
            const auto table = scan_processes(scan_needs(processes));
            watch_exits(table);
            for (const auto& name : fresh) {
                auto& t = processes[name];
                t.quorum.initialise(count_matching(table, t.config), t.config);
                log(LogLevel::info,
                    fmt::format("Tracked process {}: {} running, quorum {}", name, t.quorum.count(),
                                t.quorum.up() ? "achieved" : "not achieved"));
            }
        }
        arm_process_poll(timers.now());
    }

    void arm_process_poll(TimerQueue::TimePoint now) {
        if (processes.empty() || stopped) {
            process_poll->cancel();
            return;
        }
        auto next = now + process_poll_interval(processes);
        bool exact = false;
        for (const auto& [_, p] : processes)
            if (auto d = p.quorum.due(p.config); d && *d < next) {
                next = *d;
                exact = true;
            }
        // A delay ends on time; the periodic scan may share a wake-up with the adverts.
        process_poll->arm(next, exact ? Duration{0} : TimerQueue::kMaxSlack);
    }

    void poll_processes() {
        if (stopped) return;
        const auto now = timers.now();
        const auto table = scan_processes(scan_needs(processes));
        watch_exits(table);
        bool changed = false;
        for (auto& [name, p] : processes) {
            if (!p.quorum.update(count_matching(table, p.config), p.config, now)) continue;
            log(LogLevel::info,
                fmt::format("Quorum {} for tracked process {} ({} running)",
                            p.quorum.up() ? "gained" : "lost", name, p.quorum.count()));
            changed = true;
        }
        if (changed) recompute_all();
        arm_process_poll(now);
    }

    void watch_exits(const std::vector<ProcessEntry>& table) {
        static constexpr std::size_t kMaxWatches = 256;  // beyond: the periodic scan alone
        std::set<int> matching;
        for (const auto& e : table)
            for (const auto& [_, p] : processes)
                if (process_matches(e, p.config)) matching.insert(e.pid);
        std::erase_if(exit_watches, [&](const auto& w) { return !matching.contains(w.first); });
        for (int pid : matching) {
            if (exit_watches.size() >= kMaxWatches) break;
            if (exit_watches.contains(pid)) continue;
            const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
            if (fd < 0) continue;  // gone already, or no pidfd: the scan still sees it
            auto sd = std::make_unique<boost::asio::posix::stream_descriptor>(io, fd);
            sd->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                           [this, a = alive](const boost::system::error_code& ec) {
                               if (ec || !*a || stopped) return;
                               poll_processes();
                           });
            exit_watches.emplace(pid, std::move(sd));
        }
    }

    void schedule_script(ScriptRunner& r, Duration after) { r.timer.arm_after(after); }

    void run_script(ScriptRunner& r) {
        if (r.running || !hooks.run_script) return;
        r.running = true;
        const auto timeout = r.config.timeout > Duration{0} ? r.config.timeout : r.config.interval;
        const std::string name = r.config.name;
        hooks.run_script(r.config.command, timeout, [this, a = alive, name](int status) {
            if (!*a) return;
            auto it = scripts.find(name);
            if (it == scripts.end()) return;
            auto& runner = *it->second;
            runner.running = false;
            if (runner.health.record(status == 0, runner.config.rise, runner.config.fall)) {
                log(LogLevel::info, fmt::format("VRRP_Script({}) {}", name,
                                                runner.health.ok ? "succeeded" : "failed"));
                if (!stopped) recompute_all();
            }
        });
    }

    void poll_files() { file_poll.arm_after(std::chrono::seconds(1)); }
    void poll_files_now() {
        if (stopped) return;
        bool changed = false;
        for (auto& [_, f] : files) {
            const long v = read_track_file(f.config.path).value_or(0);
            if (v != f.value) {
                f.value = v;
                changed = true;
            }
        }
        if (changed) recompute_all();
        poll_files();
    }

    void apply_statics(const StaticConfig& next) {
        if (!statics) return;
        for (auto& e : statics->apply(next)) log(LogLevel::error, "static: " + e);
    }

    void start_instances(const std::vector<Instance*>& fresh) {
        watch_sources();
        set_pacers();
        for (auto* i : fresh) {
            const auto& c = i->config();
            if (c.unicast_fault_no_peer && c.unicast_peers.empty())
                log(LogLevel::warning,
                    fmt::format("({}) Cannot use unicast without any peers - going to fault state",
                                c.name));
        }
        for (auto* i : fresh) {
            ensure_vmac(i->config());
            ensure_addr_vmacs(i->config());
        }
        recompute_all();
        for (auto* i : fresh) attach(*i);
        for (auto* i : fresh) i->start();
    }
};

Engine::Engine(boost::asio::io_context& io, Clock& clock, Hooks hooks)
    : impl_(std::make_unique<Impl>(io, clock, std::move(hooks))) {}

Engine::~Engine() = default;

std::expected<void, std::string> Engine::start(Config config) {
    auto& d = *impl_;
    auto instances = std::exchange(config.instances, {});
    d.config = std::move(config);  // the rest: each instance holds its own
    d.links = std::make_unique<LinkMonitor>(d.io);
    if (auto r = d.links->start(); !r) return std::unexpected("link monitor: " + r.error());
    auto am = AddressManager::open();
    if (!am) return std::unexpected("netlink: " + am.error());
    d.addresses.emplace(std::move(*am));
    auto rm = RuleManager::open();
    if (!rm) return std::unexpected("netlink: " + rm.error());
    d.rules.emplace(std::move(*rm));
    d.statics.emplace(d);
    d.apply_statics(statics_of(d.config));
    auto an = Announcer::open();
    if (!an) return std::unexpected("announcer: " + an.error());
    d.announcer.emplace(std::move(*an));
    d.links->on_change([&d](const LinkMonitor::Link& l) {
        if (d.stopped) return;
        if (!l.present) d.forget_link(l);
        if (l.present)
            for (auto& [_, inst] : d.instances) {
                const auto& c = inst->config();
                for (const auto* vips : {&c.vips, &c.excluded_vips})
                    if (std::any_of(vips->begin(), vips->end(), [&](const VirtualAddress& v) {
                            return addr_vmac_base(c, v) == l.name;
                        })) {
                        d.ensure_addr_vmacs(c);
                        break;
                    }
            }
        // A vmac deleted under a running instance is made again.
        for (auto& [_, inst] : d.instances)
            if (!l.present && (inst->config().use_vmac || inst->config().use_ipvlan) &&
                !d.vmacs.contains(inst->config().name) && inst->config().interface != l.name) {
                d.ensure_vmac(inst->config());
                d.recompute(*inst);
                if (inst->socket_key().ifindex != 0) d.attach(*inst);
            }
        // Statics that failed (an interface not there yet) are tried again as links come up.
        if (l.present && l.up && d.statics && d.statics->installed() != statics_of(d.config))
            d.apply_statics(statics_of(d.config));
        for (auto& [_, inst] : d.instances)
            if (inst->config().interface == l.name && l.present) {
                d.ensure_vmac(inst->config());
                if (auto v = d.vmacs.find(inst->config().name); v != d.vmacs.end())
                    d.mirror_link_local(v->second);
                d.recompute(*inst);
                if (inst->socket_key().ifindex != 0) d.attach(*inst);
            }
        d.recompute_all();
    });
    d.sync_trackers();
    if (!d.files.empty()) d.poll_files();
    std::vector<Instance*> fresh;
    for (auto& c : instances) {
        fresh.push_back(&d.create(std::move(c)));
        d.order.push_back(fresh.back());
    }
    if (d.config.startup_delay > Duration{0}) {
        d.starting = std::move(fresh);
        d.startup.arm_after(d.config.startup_delay);
    } else {
        d.start_instances(fresh);
    }
    return {};
}

std::expected<void, std::string> Engine::reload(Config config) {
    auto& d = *impl_;
    std::vector<Instance*> fresh;
    std::map<std::string, const InstanceConfig*> wanted;
    for (const auto& c : config.instances) wanted[c.name] = &c;
    for (auto it = d.instances.begin(); it != d.instances.end();) {
        auto w = wanted.find(it->first);
        if (w != wanted.end() && *w->second == it->second->config()) {
            ++it;
            continue;
        }
        // As keepalived: priority, timers, VIPs and tracking change in place; the state stays
        // and only the new priorities can move it. Identity changes (VRID, interface, ...)
        // restart the instance.
        if (w != wanted.end() && it->second->can_update(*w->second)) {
            it->second->update(*w->second);
            ++it;
            continue;
        }
        it->second->shutdown();
        d.detach(*it->second);
        d.remove_vmac(it->first);
        it = d.instances.erase(it);
    }
    std::erase_if(d.maintained, [&](const std::string& n) {
        if (wanted.contains(n)) return false;
        d.log(LogLevel::info, "(" + n + ") maintenance dropped: the instance is gone");
        return true;
    });
    auto instances = std::exchange(config.instances, {});
    d.config = std::move(config);
    d.apply_statics(statics_of(d.config));
    d.sync_trackers();
    d.order.clear();
    for (auto& c : instances) {
        auto it = d.instances.find(c.name);
        if (it == d.instances.end()) {
            fresh.push_back(&d.create(std::move(c)));
            d.order.push_back(fresh.back());
        } else {
            d.order.push_back(it->second.get());
        }
    }
    d.start_instances(fresh);
    return {};
}

void Engine::stop(std::function<void()> done) {
    auto& d = *impl_;
    d.stopped = true;
    for (auto& [_, inst] : d.instances) inst->shutdown();
    for (auto& [_, sock] : d.sockets)
        if (sock->queued()) sock->flush();
    while (!d.vmacs.empty()) d.remove_vmac(d.vmacs.begin()->first);
    while (!d.addr_vmacs.empty()) d.remove_vmac(d.addr_vmacs.begin()->first);
    d.apply_statics({});
    d.promoted.clear();
    d.pacers.clear();
    d.filter.reset();  // the table goes with the last VIP
    d.file_poll.cancel();
    d.process_poll->cancel();
    d.exit_watches.clear();
    d.startup.cancel();
    for (auto& [_, s] : d.scripts) s->timer.cancel();
    boost::asio::post(d.io, [&d, a = d.alive, done = std::move(done)] {
        // Instances stay (in STOP) so that status() still reports them and their counters.
        if (*a) {
            d.by_vrid.clear();
            d.sockets.clear();
        }
        if (done) done();
    });
}

std::vector<std::string> Engine::set_maintenance(const std::string& name, bool on) {
    auto& d = *impl_;
    std::vector<std::string> affected;
    auto it = d.instances.find(name);
    if (it == d.instances.end()) return affected;
    const std::string group = it->second->config().sync_group;
    for (auto& [n, inst] : d.instances) {
        if (n != name && (group.empty() || inst->config().sync_group != group)) continue;
        if (on)
            d.maintained.insert(n);
        else
            d.maintained.erase(n);
        inst->set_maintenance(on);
        affected.push_back(n);
    }
    return affected;
}

void Engine::set_bfd_state(const std::string& session, bool up) {
    auto& d = *impl_;
    auto [it, fresh] = d.bfd_up.try_emplace(session, up);
    if (!fresh && it->second == up) return;
    it->second = up;
    if (!d.stopped) d.recompute_all();
}

const InstanceConfig* Engine::config_of(std::string_view name) const {
    const auto it = impl_->instances.find(name);
    return it == impl_->instances.end() ? nullptr : &it->second->config();
}

std::vector<InstanceConfig> Engine::instance_configs() const {
    std::vector<InstanceConfig> out;
    out.reserve(impl_->order.size());
    for (const auto* i : impl_->order) out.push_back(i->config());
    return out;
}

std::optional<Engine::InstanceState> Engine::state_of(const std::string& name) const {
    const auto it = impl_->instances.find(name);
    if (it == impl_->instances.end()) return std::nullopt;
    return InstanceState{it->second->state(), it->second->effective_priority()};
}

Status Engine::status() const {
    const auto& d = *impl_;
    Status s;
    for (const auto& [_, inst] : d.instances) s.instances.push_back(inst->status());
    for (const auto& [name, p] : d.processes)
        s.track_processes.push_back({name, p.quorum.count(), p.quorum.up()});
    for (std::size_t i = 0; i < d.drops.size(); ++i)
        if (d.drops[i]) s.drops[std::string(to_string(static_cast<DropReason>(i)))] = d.drops[i];
    return s;
}

}  // namespace vigil::vrrp
