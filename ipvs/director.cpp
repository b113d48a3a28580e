#include "vigil/ipvs/director.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>
#include <string_view>
#include <unordered_set>

#include "vigil/ipvs/nftables.hpp"

namespace vigil::ipvs {

std::vector<std::pair<ServiceId, Destination>> removed_destinations(const Table& before,
                                                                    const Table& after) {
    std::vector<std::pair<ServiceId, Destination>> out;
    for (const auto& s : before) {
        const Service* now = find_service(after, s.id);
        for (const auto& d : s.destinations) {
            if (d.weight <= 0) continue;
            const Destination* kept = nullptr;
            if (now)
                for (const auto& n : now->destinations)
                    if (same_destination(n, d)) kept = &n;
            if (!kept || kept->weight <= 0) out.emplace_back(s.id, d);
        }
    }
    return out;
}

Director::Director(boost::asio::io_context& io, Clock& clock, DirectorHooks hooks,
                   DataPlaneFactory factory)
    : io_(io),
      clock_(clock),
      hooks_(std::move(hooks)),
      factory_(std::move(factory)),
      retry_(clock,
             [this] {
                 if (running_) apply();
             }),
      drain_timer_(clock, [this] {
          if (running_) check_drains();
      }) {}

Director::~Director() {
    *alive_ = false;
}

void Director::log(std::string_view line) const {
    if (hooks_.log) hooks_.log(line);
}

void Director::emit(const std::vector<Event>& events) {
    for (const auto& e : events) {
        ++counters_.events;
        if (hooks_.on_event) hooks_.on_event(e, model_->config());
    }
}

Result<void> Director::start(Config config) {
    return start(shared_config(std::move(config)));
}

Result<void> Director::start(std::shared_ptr<const Config> config) {
    if (running_) return fail("director already running");
    auto plane = factory_(*config, hooks_.log);
    if (!plane) {
        // Tried again on reload; the rest of the daemon runs on.
        ++counters_.open_failures;
        last_error_ = plane.error().message;
        return std::unexpected(plane.error());
    }
    plane_ = std::move(*plane);
    model_.emplace(std::move(config));
    running_ = true;
    if (model_->config().flush_at_start) {
        if (!plane_->can_flush_everything())
            log("lvs_flush: the " + std::string(plane_->name()) +
                " backend has only its own table, which it replaces: nothing else to flush");
        else if (auto ok = plane_->flush_everything(); !ok)
            log("lvs_flush: " + ok.error().message);
        else
            log("lvs_flush: the IPVS table was flushed");
    }
    set_timeouts(model_->config());
    emit(model_->start());
    apply();
    if (!last_error_.empty() && counters_.applies == 0) return fail(last_error_);
    return {};
}

void Director::set_health(std::size_t vs, std::size_t rs, bool alive, std::optional<int> weight) {
    if (!running_ || vs >= model_->state().size() ||
        rs >= model_->state()[vs].real_servers.size()) {
        ++counters_.health_ignored;
        return;
    }
    ++counters_.health_updates;
    emit(model_->set_health(vs, rs, alive, weight));
    schedule_apply();
}

Result<void> Director::reload(Config config) {
    return reload(shared_config(std::move(config)));
}

Result<void> Director::reload(std::shared_ptr<const Config> config) {
    if (!running_) return start(std::move(config));
    const Config& old = model_->config();
    const bool reopen = config->backend != old.backend || config->nft_table != old.nft_table;
    if (reopen) {
        auto plane = factory_(*config, hooks_.log);
        if (!plane) return std::unexpected(plane.error());
        if (auto ok = plane_->flush(); !ok)
            log("flush of the old data plane: " + ok.error().message);
        plane_ = std::move(*plane);
        applied_.clear();
    }
    if (reopen || config->timeouts != old.timeouts) set_timeouts(*config);
    reported_.clear();  // what is still refused after a reload is said again, once
    // A reload makes the kernel match the file again, whatever was changed by hand.
    plane_->resync();
    Model next(std::move(config));
    auto events = next.start_from(*model_);
    model_.emplace(std::move(next));
    emit(events);
    apply_overrides(true);
    apply();
    return {};
}

void Director::apply_overrides(bool drop_missing) {
    std::erase_if(overrides_, [&](const Override& o) {
        auto t = locate(model_->config(), o.vs, o.rs);
        if (!t) {
            if (!drop_missing) return false;
            ++counters_.overrides_dropped;
            log(fmt::format("override {} on {} {} dropped: {}", to_string(o.admin), o.vs, o.rs,
                            t.error().message));
            return true;
        }
        emit(model_->set_admin(t->vs, t->rs, o.admin));
        return false;
    });
    watch_drains();
}

Result<std::string> Director::set_admin(std::string_view vs, std::string_view rs, Admin admin,
                                        std::optional<std::chrono::seconds> drain_timeout) {
    if (!running_) return fail("no virtual servers are running");
    auto t = locate(model_->config(), vs, rs);
    if (!t) return std::unexpected(t.error());
    const auto& vcfg = model_->config().virtual_servers[t->vs];
    const auto& rcfg = vcfg.real_servers[t->rs];
    Override o;
    o.vs = protocol_name(vcfg.protocol) + ":" + service_name(vcfg);
    o.rs = endpoint_name(rcfg.address, rcfg.port);
    o.admin = admin;
    if (admin == Admin::draining && drain_timeout) o.deadline = clock_.now() + *drain_timeout;
    std::erase_if(overrides_, [&](const Override& x) { return x.vs == o.vs && x.rs == o.rs; });
    if (admin != Admin::enabled) overrides_.push_back(o);
    emit(model_->set_admin(t->vs, t->rs, admin));
    schedule_apply();
    watch_drains();
    return o.vs + " " + o.rs;
}

std::size_t Director::clear_overrides() {
    const std::size_t n = overrides_.size();
    for (const auto& o : overrides_)
        if (auto t = locate(model_->config(), o.vs, o.rs))
            emit(model_->set_admin(t->vs, t->rs, Admin::enabled));
    overrides_.clear();
    if (n) schedule_apply();
    return n;
}

Result<LiveTable> Director::live() {
    if (!running_) return fail("no virtual servers are running");
    return plane_->live();
}

std::uint64_t Director::connections_of(const LiveTable& live, const Target& t) const {
    const auto& vcfg = model_->config().virtual_servers[t.vs];
    const auto& rcfg = vcfg.real_servers[t.rs];
    std::uint64_t n = 0;
    for (const auto& s : services_of(vcfg))
        for (const auto& ls : live)
            if (ls.service.id == s.id)
                for (const auto& d : ls.destinations)
                    if (is_destination_of(d.destination, rcfg)) n += d.active;
    return n;
}

// While a server drains, its connections are counted every second; it leaves the pool when
// they are gone or its time is up.
void Director::watch_drains() {
    const bool any = std::any_of(overrides_.begin(), overrides_.end(),
                                 [](const Override& o) { return o.admin == Admin::draining; });
    if (!any || !running_) return;
    drain_timer_.arm_after(kDrainPoll);
}

void Director::check_drains() {
    auto live = plane_->live();
    const auto now = clock_.now();
    for (auto& o : overrides_) {
        if (o.admin != Admin::draining) continue;
        auto t = locate(model_->config(), o.vs, o.rs);
        if (!t) continue;
        if (live) o.connections = connections_of(*live, *t);
        const bool timed_out = o.deadline && now >= *o.deadline;
        if (live && o.connections == 0) {
            ++counters_.drains_completed;
            log(fmt::format("drained {} {}: no connections left, removed from the pool", o.vs,
                            o.rs));
        } else if (timed_out) {
            ++counters_.drains_timed_out;
            log(fmt::format("drain of {} {} timed out with {} connections: removed from the pool",
                            o.vs, o.rs, o.connections));
        } else {
            continue;
        }
        o.admin = Admin::disabled;
        o.deadline.reset();
        emit(model_->set_admin(t->vs, t->rs, Admin::disabled));
        schedule_apply();
    }
    watch_drains();
}

void Director::stop() {
    if (!running_) return;
    emit(model_->shutdown());
    retry_.cancel();
    drain_timer_.cancel();
    apply_pending_ = false;
    const bool everything = model_->config().flush_on_stop == FlushOnStop::all;
    if (everything && !plane_->can_flush_everything())
        log("lvs_flush_on_stop: the " + std::string(plane_->name()) +
            " backend removes its own table, which holds nothing else");
    if (auto ok = everything ? plane_->flush_everything() : plane_->flush(); !ok) {
        ++counters_.apply_failures;
        last_error_ = ok.error().message;
        log("removing load-balancing table: " + ok.error().message);
    }
    applied_.clear();
    running_ = false;
}

void Director::schedule_apply() {
    if (apply_pending_) return;
    apply_pending_ = true;
    boost::asio::post(io_, [this, alive = alive_] {
        if (!*alive) return;
        apply_pending_ = false;
        if (running_) apply();
    });
}

void Director::apply() {
    Table desired = model_->desired();
    auto ok = plane_->apply(desired);
    if (!ok) {
        ++counters_.apply_failures;
        if (ok.error().message != last_error_) log("load-balancing table: " + ok.error().message);
        last_error_ = ok.error().message;
        // The kernel refused: try again later with whatever the model says then.
        retry_.arm_after(std::chrono::seconds(1));
        return;
    }
    ++counters_.applies;
    last_error_.clear();
    report_refusals();
    if (auto* nft = dynamic_cast<Nftables*>(plane_.get())) {
        // Said once, not on every apply.
        if (const auto& now = nft->last_warnings(); now != warned_) {
            const std::unordered_set<std::string_view> said(warned_.begin(), warned_.end());
            for (const auto& w : now)
                if (!said.contains(w)) log(w);
            warned_ = now;
        }
    }
    flush_flows(applied_, desired);
    applied_ = std::move(desired);
}

void Director::set_timeouts(const Config& config) {
    if (!config.timeouts) return;
    if (auto ok = plane_->set_timeouts(*config.timeouts); !ok) {
        ++counters_.apply_failures;
        log("lvs_timeouts: " + ok.error().message);
    }
}

std::string Director::origin(const ServiceId& id) const {
    const auto& vss = model_->config().virtual_servers;
    for (const auto& vs : vss)
        for (const auto& s : services_of(vs))
            if (s.id == id) return fmt::format("virtual_server at {}:{}", vs.file, vs.line);
    return "not in the configuration";
}

void Director::report_refusals() {
    // The kernel answers the same way until the config or the kernel changes: every apply
    // tries again, but each refusal is logged and counted once.
    refused_.clear();
    for (const auto& r : plane_->rejections()) {
        std::string what = to_string(r.kind) + " " + to_string(r.service);
        if (const auto& d = r.destination)
            what += d->address.is_v6() ? fmt::format(" -> [{}]:{}", d->address.to_string(), d->port)
                                       : fmt::format(" -> {}:{}", d->address.to_string(), d->port);
        std::string line = fmt::format("{} refused {} ({}): {}", plane_->name(), what,
                                       origin(r.service), r.reason);
        if (reported_.insert(line).second) {
            ++counters_.refusals;
            log(line);
        }
        refused_.push_back(std::move(line));
    }
}

void Director::flush_flows(const Table& before, const Table& after) {
    // IPVS drops a deleted destination's connections itself; nftables keeps them in conntrack.
    if (plane_->name() != "nftables" || !model_->config().nft_flush_flows || !hooks_.run_command)
        return;
    for (const auto& [id, d] : removed_destinations(before, after)) {
        // A draining server keeps its flows: that is what draining is for.
        const bool draining =
            std::any_of(overrides_.begin(), overrides_.end(), [&](const Override& o) {
                if (o.admin != Admin::draining) return false;
                auto t = locate(model_->config(), o.vs, o.rs);
                if (!t) return false;
                const auto& r = model_->config().virtual_servers[t->vs].real_servers[t->rs];
                for (const auto& s : services_of(model_->config().virtual_servers[t->vs]))
                    if (s.id == id && r.address == d.address) return true;
                return false;
            });
        if (draining) continue;
        ++counters_.flow_flushes;
        hooks_.run_command(conntrack_flush_argv(id, d));
    }
}

DirectorStatus Director::status() const {
    DirectorStatus s;
    s.running = running_;
    if (plane_) s.backend = std::string(plane_->name());
    if (model_) {
        s.desired = model_->desired();
        s.state = model_->state();
    }
    s.applied = applied_;
    s.counters = counters_;
    if (plane_) s.counters.kernel_reads = plane_->kernel_reads();
    s.last_error = last_error_;
    s.refused = refused_;
    s.overrides = overrides_;
    return s;
}

}  // namespace vigil::ipvs
