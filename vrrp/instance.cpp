#include "instance.hpp"

#include <algorithm>

namespace vigil::vrrp {

namespace {

template <class... F>
struct Overload : F... {
    using F::operator()...;
};
template <class... F>
Overload(F...) -> Overload<F...>;

}  // namespace

Instance::Instance(boost::asio::io_context& io, InstanceConfig config, InstanceIo& world)
    : io_(io),
      config_(std::move(config)),
      world_(world),
      master_down_(io),
      advert_(io),
      preempt_(io),
      garp_delay_(io),
      garp_refresh_(io) {
    priority_.effective = config_.priority;
    fsm_.preempt_ready = true;
}

Instance::~Instance() {
    *alive_ = false;
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
    ++errors_[reason];
}

void Instance::set_link(const LinkInfo& link) {
    link_ = link;
    update_fault();
}

void Instance::set_priority(const Priority& p) {
    const bool changed = p.effective != priority_.effective;
    priority_ = p;
    if (changed && started_) handle(event::PriorityChanged{});
    update_fault();
}

void Instance::set_group_fault(bool fault) {
    group_fault_ = fault;
    update_fault();
}

void Instance::update_fault() {
    own_fault_ = priority_.fault || !link_.up || link_.ifindex == 0 ||
                 (!link_.source && !config_.unicast_src && !config_.mcast_src);
    if (!started_) return;
    const bool fault = own_fault_ || group_fault_;
    if (fault && fsm_.state != State::fault) handle(event::FaultRaised{});
    if (!fault && fsm_.state == State::fault) handle(event::FaultCleared{});
}

void Instance::start() {
    if (started_) return;
    started_ = true;
    update_fault();
    handle(event::Startup{own_fault_ || group_fault_});
}

void Instance::force(GroupOrder order) {
    if (order == GroupOrder::force_master)
        handle(event::ForceMaster{});
    else
        handle(event::ForceBackup{});
}

void Instance::shutdown() {
    if (!started_) return;
    handle(event::Shutdown{});
    cancel_timers();
}

void Instance::receive(const RawPacket& p, const Advert& a) {
    const bool unicast = !config_.unicast_peers.empty();
    const auto own = params().primary;
    if (p.src == own) return count_drop(DropReason::own_packet);
    if (unicast && std::find(config_.unicast_peers.begin(), config_.unicast_peers.end(), p.src) ==
                       config_.unicast_peers.end())
        return count_drop(DropReason::not_from_peer);
    if (auto ok = validate(a, p.ttl, expectation(p.src)); !ok) return count_drop(ok.error());
    ++received_;
    if (a.priority == 0) ++zero_received_;
    last_sender_ = p.src;
    if (fsm_.state == State::backup && a.priority != 0) master_ = p.src;
    handle(event::AdvertReceived{a.priority, p.src,
                                 Duration{std::chrono::milliseconds(a.interval_cs * 10)}});
}

void Instance::handle(const Event& e) {
    const State from = fsm_.state;
    auto t = step(fsm_, e, params());
    fsm_ = t.next;
    for (const auto& a : t.actions) {
        apply(a);
        if (std::holds_alternative<action::Notify>(a)) {
            last_transition_ = std::chrono::steady_clock::now();
            if (fsm_.state == State::master) {
                ++became_master_;
                master_ = params().primary;
            }
            if (from == State::master) ++released_master_;
            if (on_transition_) on_transition_(*this, from, fsm_.state);
        }
    }
}

void Instance::apply(const Action& a) {
    std::visit(Overload{
                   [&](const action::SendAdvert&) { send(priority_.effective); },
                   [&](const action::SendPriorityZero&) { send(0); },
                   [&](const action::AddVips&) { add_vips(); },
                   [&](const action::RemoveVips&) { remove_vips(); },
                   [&](const action::SendGratuitous&) {
                       garp_burst();
                       if (config_.garp.master_delay > Duration{0})
                           arm(garp_delay_, garp_gen_, config_.garp.master_delay, Event{});
                       if (config_.garp.master_refresh > Duration{0})
                           arm(garp_refresh_, refresh_gen_, config_.garp.master_refresh, Event{});
                   },
                   [&](const action::ArmMasterDown& x) {
                       arm(master_down_, master_down_gen_, x.after,
                           event::MasterDownTimerExpired{});
                   },
                   [&](const action::ArmAdvert& x) {
                       arm(advert_, advert_gen_, x.after, event::AdvertTimerExpired{});
                   },
                   [&](const action::ArmPreemptDelay& x) {
                       arm(preempt_, preempt_gen_, x.after, event::PreemptDelayExpired{});
                   },
                   [&](const action::CancelTimers&) { cancel_timers(); },
                   [&](const action::Notify&) {},
                   [&](const action::NotifyLowerPriority&) {
                       if (on_lower_) on_lower_(*this);
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
    for (std::size_t i = 0; i < n; ++i) {
        const auto dst = advert_destination(i);
        const auto bytes = encode(a, src, dst);
        if (auto r = world_.send_advert(config_, link_.ifindex, bytes, src, dst); !r)
            error("send_failed");
        else if (priority == 0)
            ++zero_sent_;
        else
            ++sent_;
    }
}

void Instance::add_vips() {
    auto index = [&](const std::string& dev) {
        return dev.empty() ? link_.ifindex : world_.ifindex_of(dev);
    };
    for (const auto* list : {&config_.vips, &config_.excluded_vips})
        for (const auto& v : *list)
            if (auto r = world_.add_address(index(v.dev), v); !r) error("vip_add_failed");
    for (const auto& r : config_.routes)
        if (auto x = world_.add_route(r, r.dev.empty() ? 0 : world_.ifindex_of(r.dev)); !x)
            error("route_add_failed");
    vips_installed_ = true;
}

void Instance::remove_vips() {
    auto index = [&](const std::string& dev) {
        return dev.empty() ? link_.ifindex : world_.ifindex_of(dev);
    };
    for (const auto& r : config_.routes)
        if (auto x = world_.remove_route(r, r.dev.empty() ? 0 : world_.ifindex_of(r.dev)); !x)
            error("route_remove_failed");
    for (const auto* list : {&config_.vips, &config_.excluded_vips})
        for (const auto& v : *list)
            if (auto r = world_.remove_address(index(v.dev), v); !r) error("vip_remove_failed");
    vips_installed_ = false;
}

void Instance::garp_burst() {
    for (unsigned i = 0; i < std::max(1u, config_.garp.master_repeat); ++i)
        for (const auto* list : {&config_.vips, &config_.excluded_vips})
            for (const auto& v : *list) {
                const int ifx = v.dev.empty() ? link_.ifindex : world_.ifindex_of(v.dev);
                if (auto r = world_.announce(ifx, link_.mac, v.address); !r)
                    error("announce_failed");
            }
}

void Instance::arm(boost::asio::steady_timer& t, std::uint64_t& gen, Duration after, Event e) {
    const std::uint64_t mine = ++gen;
    t.expires_after(after);
    auto* gen_ptr = &gen;
    auto* timer = &t;
    t.async_wait(
        [this, alive = alive_, mine, gen_ptr, timer, e](const boost::system::error_code& ec) {
            // A stale completion (re-armed or cancelled since) must not act.
            if (ec || !*alive || *gen_ptr != mine) return;
            if (timer == &garp_delay_) {
                if (fsm_.state == State::master) garp_burst();
                return;
            }
            if (timer == &garp_refresh_) {
                if (fsm_.state != State::master) return;
                garp_burst();
                arm(garp_refresh_, refresh_gen_, config_.garp.master_refresh, Event{});
                return;
            }
            handle(e);
        });
}

void Instance::cancel_timers() {
    for (auto* g : {&master_down_gen_, &advert_gen_, &preempt_gen_, &garp_gen_, &refresh_gen_})
        ++*g;
    master_down_.cancel();
    advert_.cancel();
    preempt_.cancel();
    garp_delay_.cancel();
    garp_refresh_.cancel();
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
    s.master = master_;
    s.last_transition = last_transition_;
    s.adverts_sent = sent_;
    s.adverts_received = received_;
    s.priority_zero_sent = zero_sent_;
    s.priority_zero_received = zero_received_;
    s.became_master = became_master_;
    s.released_master = released_master_;
    for (std::size_t i = 0; i < drops_.size(); ++i)
        if (drops_[i]) s.drops[std::string(to_string(static_cast<DropReason>(i)))] = drops_[i];
    s.errors = errors_;
    return s;
}

}  // namespace vigil::vrrp
