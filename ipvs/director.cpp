#include "vigil/ipvs/director.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>

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

Director::Director(boost::asio::io_context& io, DirectorHooks hooks, DataPlaneFactory factory)
    : io_(io), hooks_(std::move(hooks)), factory_(std::move(factory)), retry_(io) {}

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

Result<void> Director::start(const Config& config) {
    if (running_) return fail("director already running");
    auto plane = factory_(config, hooks_.log);
    if (!plane) {
        // Tried again on reload; the rest of the daemon runs on.
        ++counters_.open_failures;
        last_error_ = plane.error().message;
        return std::unexpected(plane.error());
    }
    plane_ = std::move(*plane);
    model_.emplace(config);
    running_ = true;
    set_timeouts(config);
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

Result<void> Director::reload(const Config& config) {
    if (!running_) return start(config);
    const Config& old = model_->config();
    const bool reopen = config.backend != old.backend || config.nft_table != old.nft_table;
    if (reopen) {
        auto plane = factory_(config, hooks_.log);
        if (!plane) return std::unexpected(plane.error());
        if (auto ok = plane_->flush(); !ok)
            log("flush of the old data plane: " + ok.error().message);
        plane_ = std::move(*plane);
        applied_.clear();
    }
    if (reopen || config.timeouts != old.timeouts) set_timeouts(config);
    reported_.clear();  // what is still refused after a reload is said again, once
    Model next(config);
    auto events = next.start_from(*model_);
    model_.emplace(std::move(next));
    emit(events);
    apply();
    return {};
}

void Director::stop() {
    if (!running_) return;
    emit(model_->shutdown());
    retry_.cancel();
    apply_pending_ = false;
    if (auto ok = plane_->flush(); !ok) {
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
        retry_.expires_after(std::chrono::seconds(1));
        retry_.async_wait([this, alive = alive_](boost::system::error_code ec) {
            if (ec || !*alive || !running_) return;
            apply();
        });
        return;
    }
    ++counters_.applies;
    last_error_.clear();
    report_refusals();
    if (auto* nft = dynamic_cast<Nftables*>(plane_.get())) {
        // Said once, not on every apply.
        for (const auto& w : nft->last_warnings())
            if (std::find(warned_.begin(), warned_.end(), w) == warned_.end()) log(w);
        warned_ = nft->last_warnings();
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
    s.last_error = last_error_;
    s.refused = refused_;
    return s;
}

}  // namespace vigil::ipvs
