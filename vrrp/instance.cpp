#include "instance.hpp"

#include <algorithm>
#include <set>

#include "vmac.hpp"

namespace vigil::vrrp {

namespace {

template <class... F>
struct Overload : F... {
    using F::operator()...;
};
template <class... F>
Overload(F...) -> Overload<F...>;

// Adverts and announcements may leave a little early so that instances share wake-ups; never
// late, and never early by more than a tenth of their period.
Duration advert_slack(Duration interval) {
    return std::min<Duration>(interval / 10, TimerQueue::kMaxSlack);
}

}  // namespace

bool extra_if_announces(int vip_ifindex, int xmit_ifindex, bool all,
                        const std::vector<int>& vmac_ifindexes) {
    if (vip_ifindex == 0 || vip_ifindex == xmit_ifindex) return false;
    return all || std::find(vmac_ifindexes.begin(), vmac_ifindexes.end(), vip_ifindex) !=
                      vmac_ifindexes.end();
}

bool unicast_source_allowed(const InstanceConfig& c, const Address& src) {
    if (!c.check_unicast_src || c.unicast_peers.empty()) return true;
    return std::find(c.unicast_peers.begin(), c.unicast_peers.end(), src) != c.unicast_peers.end();
}

bool config_fault(const InstanceConfig& c, const LinkInfo& link) {
    if (c.unicast_fault_no_peer && c.unicast_peers.empty()) return true;
    const bool configured_src = c.unicast_src || c.mcast_src;
    if (c.track_src_ip && configured_src && !link.configured_source_present) return true;
    return !link.up || link.ifindex == 0 || (!link.source && !configured_src);
}

Instance::Instance(TimerQueue& timers, InstanceConfig config, InstanceIo& world)
    : config_(std::move(config)),
      world_(world),
      timers_(timers),
      master_down_(timers, [this](TimePoint d) { on_timer(event::MasterDownTimerExpired{}, d); }),
      advert_(timers, [this](TimePoint d) { on_timer(event::AdvertTimerExpired{}, d); }),
      preempt_(timers, [this](TimePoint d) { on_timer(event::PreemptDelayExpired{}, d); }),
      garp_delay_(timers,
                  [this](TimePoint) {
                      if (fsm_.state == State::master) garp_burst(garp_delay_repeat_);
                  }),
      garp_refresh_(timers,
                    [this](TimePoint d) {
                        if (fsm_.state != State::master) return;
                        garp_burst(config_.garp.master_refresh_repeat);
                        garp_refresh_.arm(d + config_.garp.master_refresh,
                                          advert_slack(config_.garp.master_refresh));
                    }),
      garp_gap_(timers, [this](TimePoint d) { garp_step(d); }),
      garp_extra_(timers, [this](TimePoint d) {
          if (fsm_.state != State::master) return;
          garp_extra();
          garp_extra_.arm(d + config_.garp.extra_if, advert_slack(config_.garp.extra_if));
      }) {
    priority_.effective = config_.priority;
    fsm_.preempt_ready = true;
}

Instance::~Instance() {
    cancel_timers();
}

SocketKey Instance::socket_key() const {
    SocketKey k;
    k.ifindex = link_.ifindex;
    k.ipv6 = config_.ipv6;
    if (config_.unicast_peers.empty())
        k.group = config_.mcast_group ? *config_.mcast_group : (config_.ipv6 ? kGroupV6 : kGroupV4);
    return k;
}

std::uint16_t Instance::interval_cs() const {
    const auto cs =
        std::chrono::duration_cast<std::chrono::milliseconds>(config_.advert_interval).count() / 10;
    if (config_.version == 2)
        return static_cast<std::uint16_t>(std::clamp<long>((cs + 50) / 100, 1, 255) * 100);
    return static_cast<std::uint16_t>(std::clamp<long>(cs, 1, 4095));
}

FsmParams Instance::params() const {
    FsmParams p;
    p.priority = priority_.effective;
    p.preempt = config_.preempt;
    p.preempt_delay = config_.preempt_delay;
    p.advert_interval = Duration{std::chrono::milliseconds(interval_cs() * 10)};
    p.version = config_.version;
    p.down_timer_adverts = config_.down_timer_adverts;
    p.lower_prio_no_advert = config_.lower_prio_no_advert;
    p.higher_prio_send_advert = config_.higher_prio_send_advert;
    p.maintenance = maintenance_;
    if (link_.source) p.primary = *link_.source;
    if (config_.unicast_src)
        p.primary = *config_.unicast_src;
    else if (config_.mcast_src)
        p.primary = *config_.mcast_src;
    return p;
}

Expectation Instance::expectation(const Address& src) const {
    Expectation e;
    e.version = config_.version;
    e.vrid = config_.vrid;
    e.ipv6 = config_.ipv6;
    e.unicast = !config_.unicast_peers.empty();
    e.auth_type = config_.auth == InstanceConfig::Auth::pass ? AuthType::pass : AuthType::none;
    if (e.auth_type == AuthType::pass) e.auth = pad_password(config_.auth_pass);
    e.interval_cs = interval_cs();
    for (const auto& v : config_.vips)
        if (v.address.is_v6() == config_.ipv6) e.vips.push_back(v.address);
    e.skip_check_adv_addr = config_.skip_check_adv_addr;
    e.same_master_as_last = last_sender_ && *last_sender_ == src;
    return e;
}

void Instance::error(const std::string& reason) {
    if (!errors_) errors_ = std::make_unique<std::map<std::string, std::uint64_t>>();
    ++(*errors_)[reason];
}

void Instance::set_link(const LinkInfo& link) {
    link_ = link;
    update_fault();
}

void Instance::set_priority(const Priority& p) {
    const bool changed = p.effective != priority_.effective;
    priority_ = p;
    if (changed && started_) handle(event::PriorityChanged{}, timers_.now());
    update_fault();
    if (changed && started_) world_.priority_changed(*this);
}

void Instance::set_group_fault(bool fault) {
    group_fault_ = fault;
    update_fault();
}

void Instance::set_maintenance(bool on) {
    if (maintenance_ == on) return;
    maintenance_ = on;
    if (started_) handle(event::MaintenanceChanged{}, timers_.now());
}

void Instance::update_fault() {
    own_fault_ = priority_.fault || config_fault(config_, link_);
    if (!started_) return;
    const bool fault = own_fault_ || group_fault_;
    if (fault && fsm_.state != State::fault) handle(event::FaultRaised{}, timers_.now());
    if (!fault && fsm_.state == State::fault) handle(event::FaultCleared{}, timers_.now());
}

void Instance::start() {
    if (started_) return;
    started_ = true;
    update_fault();
    handle(event::Startup{own_fault_ || group_fault_}, timers_.now());
}

void Instance::force(GroupOrder order) {
    if (order == GroupOrder::force_master)
        handle(event::ForceMaster{}, timers_.now());
    else
        handle(event::ForceBackup{}, timers_.now());
}

void Instance::shutdown() {
    if (!started_) return;
    handle(event::Shutdown{}, timers_.now());
    cancel_timers();
}

void Instance::receive(const RawPacket& p, const Advert& a) {
    const bool unicast = !config_.unicast_peers.empty();
    const auto own = params().primary;
    if (p.src == own) return count_drop(DropReason::own_packet);
    if (unicast && !unicast_source_allowed(config_, p.src))
        return count_drop(DropReason::not_from_peer);
    if (auto ok = validate(a, p.ttl, expectation(p.src)); !ok) return count_drop(ok.error());
    ++received_;
    if (a.priority == 0) ++zero_received_;
    last_sender_ = p.src;
    if (fsm_.state == State::backup && a.priority != 0) master_ = p.src;
    // Timers run from the packet's arrival, not from when the loop got to it: a late turn
    // must not push the master-down deadline back.
    const auto now = timers_.now();
    const auto arrival = p.arrival == TimePoint{} ? now : std::min(p.arrival, now);
    handle(event::AdvertReceived{a.priority, p.src,
                                 Duration{std::chrono::milliseconds(a.interval_cs * 10)}},
           arrival);
}

void Instance::on_timer(Event e, TimePoint deadline) {
    // Re-arm from the deadline so that adverts keep their period; after a stall, from now.
    const auto now = timers_.now();
    const auto base = now - deadline > params().advert_interval ? now : deadline;
    handle(e, base);
}

namespace {
// The VMACs an instance's VIPs need: a change of these restarts the instance.
std::set<std::pair<std::string, bool>> addr_vmac_keys(const InstanceConfig& c) {
    std::set<std::pair<std::string, bool>> out;
    for (const auto* vips : {&c.vips, &c.excluded_vips})
        for (const auto& v : *vips)
            if (auto b = addr_vmac_base(c, v); !b.empty()) out.emplace(b, v.address.is_v6());
    return out;
}
}  // namespace

bool Instance::can_update(const InstanceConfig& n) const {
    const auto& o = config_;
    return o.interface == n.interface && o.vrid == n.vrid && o.version == n.version &&
           o.ipv6 == n.ipv6 && o.mcast_group == n.mcast_group && o.mcast_src == n.mcast_src &&
           o.unicast_src == n.unicast_src && o.unicast_peers == n.unicast_peers &&
           o.unicast_ttl == n.unicast_ttl && o.use_vmac == n.use_vmac &&
           o.vmac_name == n.vmac_name && o.vmac_xmit_base == n.vmac_xmit_base &&
           o.use_vmac_addr == n.use_vmac_addr && o.vmac_addr_prefix == n.vmac_addr_prefix &&
           o.use_ipvlan == n.use_ipvlan && o.ipvlan_name == n.ipvlan_name &&
           o.ipvlan_address == n.ipvlan_address && o.ipvlan_mode == n.ipvlan_mode &&
           addr_vmac_keys(o) == addr_vmac_keys(n) && o.sync_group == n.sync_group;
}

void Instance::update(const InstanceConfig& next) {
    InstanceConfig old = std::move(config_);
    config_ = next;
    wire_priority_ = -1;
    if (fsm_.state != State::master || !vips_installed_) return;
    const bool was_filtered = old.strict && !old.accept;
    if (was_filtered != filtered())
        for (const auto* list : {&old.vips, &old.excluded_vips})
            for (const auto& v : *list)
                if (auto r = world_.filter_vip(v.address, filtered()); !r)
                    error("vip_filter_failed");
    auto contains = [](const auto& list, const auto& x) {
        return std::find(list.begin(), list.end(), x) != list.end();
    };
    for (const auto& r : old.rules)
        if (!contains(config_.rules, r))
            if (auto x = world_.remove_rule(r); !x) error("rule_remove_failed");
    for (const auto& r : old.routes)
        if (!contains(config_.routes, r))
            if (auto x = world_.remove_route(route_ifindex(r), r); !x) error("route_remove_failed");
    bool added = false;
    for (const auto* list : {&old.vips, &old.excluded_vips})
        for (const auto& v : *list)
            if (!contains(config_.vips, v) && !contains(config_.excluded_vips, v)) remove_vip(v);
    for (const auto* list : {&config_.vips, &config_.excluded_vips})
        for (const auto& v : *list)
            if (!contains(old.vips, v) && !contains(old.excluded_vips, v)) {
                add_vip(v);
                added = true;
            }
    for (const auto& r : config_.routes)
        if (!contains(old.routes, r))
            if (auto x = world_.add_route(route_ifindex(r), r); !x) error("route_add_failed");
    for (const auto& r : config_.rules)
        if (!contains(old.rules, r))
            if (auto x = world_.add_rule(r); !x) error("rule_add_failed");
    if (old.vips != config_.vips) send(priority_.effective);  // backups check the VIP list
    if (added) garp_burst(config_.garp.master_repeat);
    if (old.advert_interval != config_.advert_interval) {
        const auto i = params().advert_interval;
        advert_.arm(timers_.now() + i, advert_slack(i));
    }
}

namespace {

// Why a transition happened, as the operator reads it (vigilctl show).
std::string cause(const Event& e) {
    return std::visit(
        Overload{
            [](const event::Startup& s) -> std::string {
                return s.fault ? "started in fault" : "started";
            },
            [](const event::MasterDownTimerExpired&) -> std::string {
                return "no advert within the master-down interval";
            },
            [](const event::AdvertReceived& a) -> std::string {
                return a.priority == 0 ? "priority-0 advert from " + a.source.to_string()
                                       : "advert of priority " + std::to_string(a.priority) +
                                             " from " + a.source.to_string();
            },
            [](const event::FaultRaised&) -> std::string {
                return "fault (link, address or tracking)";
            },
            [](const event::FaultCleared&) -> std::string { return "fault cleared"; },
            [](const event::Shutdown&) -> std::string { return "stopping"; },
            [](const event::ForceMaster&) -> std::string { return "sync group went master"; },
            [](const event::ForceBackup&) -> std::string { return "sync group left master"; },
            [](const event::MaintenanceChanged&) -> std::string { return "maintenance"; },
            [](const auto&) -> std::string { return "priority change"; },
        },
        e);
}

}  // namespace

void Instance::handle(const Event& e, TimePoint base) {
    const State from = fsm_.state;
    auto t = step(fsm_, e, params());
    if (t.next.state != from) last_cause_ = cause(e);
    fsm_ = t.next;
    for (const auto& a : t.actions) {
        apply(a, base);
        if (std::holds_alternative<action::Notify>(a)) {
            last_transition_ = timers_.now();
            if (fsm_.state == State::master) {
                ++became_master_;
                master_ = params().primary;
            }
            if (from == State::master) ++released_master_;
            world_.transitioned(*this, from, fsm_.state);
        }
    }
}

void Instance::apply(const Action& a, TimePoint base) {
    std::visit(
        Overload{
            [&](const action::SendAdvert&) { send(priority_.effective); },
            [&](const action::SendPriorityZero&) { send(0); },
            [&](const action::AddVips&) { add_vips(); },
            [&](const action::RemoveVips&) { remove_vips(); },
            [&](const action::SendGratuitous&) {
                const auto& g = config_.garp;
                garp_burst(g.master_repeat);
                if (g.master_delay > Duration{0}) {
                    garp_delay_repeat_ = g.master_repeat;
                    garp_delay_.arm(base + g.master_delay, advert_slack(g.master_delay));
                }
                if (g.master_refresh > Duration{0})
                    garp_refresh_.arm(base + g.master_refresh, advert_slack(g.master_refresh));
                if (g.extra_if > Duration{0})
                    garp_extra_.arm(base + g.extra_if, advert_slack(g.extra_if));
            },
            [&](const action::ArmMasterDown& x) { master_down_.arm(base + x.after); },
            [&](const action::ArmAdvert& x) { advert_.arm(base + x.after, advert_slack(x.after)); },
            [&](const action::ArmPreemptDelay& x) { preempt_.arm(base + x.after); },
            [&](const action::CancelTimers&) { cancel_timers(); },
            [&](const action::Notify&) {},
            [&](const action::NotifyLowerPriority&) {
                // keepalived: refresh the peers' ARP caches now and once more later.
                const auto& g = config_.garp;
                const unsigned repeat = g.lower_prio_repeat.value_or(g.master_repeat);
                if (repeat > 0) {
                    garp_burst(repeat);
                    const auto delay = g.lower_prio_delay.value_or(g.master_delay);
                    if (delay > Duration{0}) {
                        garp_delay_repeat_ = repeat;
                        garp_delay_.arm(base + delay, advert_slack(delay));
                    }
                }
                world_.saw_lower_priority(*this);
            },
        },
        a);
}

Address Instance::advert_destination(std::size_t peer) const {
    if (!config_.unicast_peers.empty()) return config_.unicast_peers[peer];
    return *socket_key().group;
}

void Instance::send(std::uint8_t priority) {
    const auto src = params().primary;
    if (src.is_unspecified() || src.is_v6() != config_.ipv6) return error("no_source_address");
    if (wire_priority_ != priority || wire_src_ != src) {
        Advert a;
        a.version = config_.version;
        a.vrid = config_.vrid;
        a.priority = priority;
        a.interval_cs = interval_cs();
        if (config_.version == 2 && config_.auth == InstanceConfig::Auth::pass) {
            a.auth_type = AuthType::pass;
            a.auth = pad_password(config_.auth_pass);
        }
        for (const auto& v : config_.vips)
            if (v.address.is_v6() == config_.ipv6) a.addresses.push_back(v.address);
        const std::size_t n = config_.unicast_peers.empty() ? 1 : config_.unicast_peers.size();
        wire_.resize(n);
        for (std::size_t i = 0; i < n; ++i) wire_[i] = encode(a, src, advert_destination(i));
        wire_priority_ = priority;
        wire_src_ = src;
    }
    const int ifindex = link_.xmit_ifindex ? link_.xmit_ifindex : link_.ifindex;
    for (std::size_t i = 0; i < wire_.size(); ++i) {
        const auto dst = advert_destination(i);
        if (auto r = world_.send_advert(config_, ifindex, wire_[i], src, dst); !r)
            error("send_failed");
        else if (priority == 0)
            ++zero_sent_;
        else
            ++sent_;
    }
}

const LinkInfo::AddrVmac* Instance::addr_vmac(const VirtualAddress& v) const {
    if (link_.addr_vmacs.empty()) return nullptr;
    const auto base = addr_vmac_base(config_, v);
    if (base.empty()) return nullptr;
    for (const auto& a : link_.addr_vmacs)
        if (a.base == base && a.ipv6 == v.address.is_v6()) return &a;
    return nullptr;  // not made (yet): the VIP's own interface
}

int Instance::vip_ifindex(const VirtualAddress& v) {
    if (const auto* a = addr_vmac(v)) return a->ifindex;
    if (!v.dev.empty()) return world_.ifindex_of(v.dev);
    return link_.vip_ifindex ? link_.vip_ifindex : link_.ifindex;
}

int Instance::route_ifindex(const VirtualRoute& r) {
    return r.dev.empty() ? 0 : world_.ifindex_of(r.dev);
}

bool Instance::filtered() const {
    return config_.strict && !config_.accept;
}

void Instance::add_vip(const VirtualAddress& v) {
    if (filtered())
        if (auto r = world_.filter_vip(v.address, true); !r) error("vip_filter_failed");
    if (auto r = world_.add_address(vip_ifindex(v), v); !r) error("vip_add_failed");
}

void Instance::remove_vip(const VirtualAddress& v) {
    if (auto r = world_.remove_address(vip_ifindex(v), v); !r) error("vip_remove_failed");
    if (filtered())
        if (auto r = world_.filter_vip(v.address, false); !r) error("vip_filter_failed");
}

void Instance::add_vips() {
    for (const auto* list : {&config_.vips, &config_.excluded_vips})
        for (const auto& v : *list) add_vip(v);
    for (const auto& r : config_.routes)
        if (auto x = world_.add_route(route_ifindex(r), r); !x) error("route_add_failed");
    for (const auto& r : config_.rules)
        if (auto x = world_.add_rule(r); !x) error("rule_add_failed");
    vips_installed_ = true;
}

void Instance::remove_vips() {
    for (const auto& r : config_.rules)
        if (auto x = world_.remove_rule(r); !x) error("rule_remove_failed");
    for (const auto& r : config_.routes)
        if (auto x = world_.remove_route(route_ifindex(r), r); !x) error("route_remove_failed");
    for (const auto* list : {&config_.vips, &config_.excluded_vips})
        for (const auto& v : *list) remove_vip(v);
    vips_installed_ = false;
    garp_gap_.cancel();
    garp_rounds_ = 0;
}

void Instance::garp_burst(unsigned repeat) {
    garp_rounds_ = std::max(1u, repeat);
    garp_round_ = 0;
    garp_next_ = 0;
    garp_gap_.cancel();
    garp_step(timers_.now());
}

void Instance::garp_step(TimePoint base) {
    const std::size_t total = config_.vips.size() + config_.excluded_vips.size();
    if (total == 0) return;
    // Bounded: one pass over what is left of the burst.
    while (garp_round_ < garp_rounds_) {
        const std::size_t i = garp_next_;
        const auto& v = i < config_.vips.size() ? config_.vips[i]
                                                : config_.excluded_vips[i - config_.vips.size()];
        if (++garp_next_ == total) {
            garp_next_ = 0;
            ++garp_round_;
        }
        const int idx = vip_ifindex(v);
        const auto mac = announce_mac(v, idx);
        if (auto r = world_.announce(idx, mac, v.address); !r) error("announce_failed");
        const Duration gap = v.address.is_v4() ? config_.garp.interval : config_.garp.na_interval;
        if (gap > Duration{0} && garp_round_ < garp_rounds_) {
            garp_gap_.arm(base + gap);
            return;
        }
    }
}

MacAddress Instance::announce_mac(const VirtualAddress& v, int ifindex) {
    if (const auto* a = addr_vmac(v)) return a->mac;
    if (v.dev.empty()) return link_.announce_mac ? *link_.announce_mac : link_.mac;
    return world_.mac_of(ifindex).value_or(link_.mac);
}

void Instance::garp_extra() {
    const int xmit = link_.xmit_ifindex ? link_.xmit_ifindex : link_.ifindex;
    for (const auto* list : {&config_.vips, &config_.excluded_vips})
        for (const auto& v : *list) {
            const int idx = vip_ifindex(v);
            if (!extra_if_announces(idx, xmit, config_.garp.extra_if_all, link_.vmac_ifindexes))
                continue;
            if (auto r = world_.announce(idx, announce_mac(v, idx), v.address); !r)
                error("announce_failed");
        }
}

void Instance::cancel_timers() {
    for (auto* t : {&master_down_, &advert_, &preempt_, &garp_delay_, &garp_refresh_, &garp_gap_,
                    &garp_extra_})
        t->cancel();
    garp_rounds_ = 0;
}

InstanceStatus Instance::status() const {
    InstanceStatus s;
    s.name = config_.name;
    s.group = config_.sync_group;
    s.interface = config_.interface;
    s.vrid = config_.vrid;
    s.version = config_.version;
    s.state = fsm_.state;
    s.base_priority = config_.priority;
    s.effective_priority = priority_.effective;
    s.faulted = own_fault_ || group_fault_;
    s.maintenance = maintenance_;
    s.last_cause = last_cause_;
    s.tracking = tracking_;
    s.master = master_;
    s.last_transition = last_transition_;
    s.adverts_sent = sent_;
    s.adverts_received = received_;
    s.priority_zero_sent = zero_sent_;
    s.priority_zero_received = zero_received_;
    s.became_master = became_master_;
    s.released_master = released_master_;
    for (std::size_t i = 0; drops_ && i < drops_->size(); ++i)
        if (const auto n = (*drops_)[i])
            s.drops[std::string(to_string(static_cast<DropReason>(i)))] = n;
    if (errors_) s.errors = *errors_;
    return s;
}

}  // namespace vigil::vrrp
