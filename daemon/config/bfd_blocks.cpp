// bfd_instance blocks, track_bfd references and BFD_CHECK, with keepalived 2.2.7's messages.
// As for track_process, a bfd_instance must come before what names it.
#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "config/context.hpp"

namespace vigil::config {

namespace {

// keepalived reads min_rx / min_tx / idle_tx as milliseconds with microsecond resolution.
std::optional<std::chrono::microseconds> millis(Ctx& c, const Node& n, const std::string& owner,
                                                double lo) {
    if (!c.need_args(n, 1)) return std::nullopt;
    const Token& t = n.args[0];
    const double hi = 4294967;
    auto us = parse_seconds(t.text);  // the same decimal grammar, read as ms
    const double v = us ? static_cast<double>(us->count()) / 1e6 : -1;
    if (!us || v < lo || v > hi) {
        c.error(t, "BFD instance " + owner + " " + std::string(n.key.text) + " value " +
                       std::string(t.text) + " is not valid (must be in range [" +
                       std::to_string(static_cast<long>(lo)) + "-" +
                       std::to_string(static_cast<long>(hi)) + "]), ignoring");
        return std::nullopt;
    }
    return std::chrono::microseconds(std::llround(v * 1000));
}

std::optional<long long> bounded(Ctx& c, const Node& n, const std::string& owner,
                                 std::string_view what, long long lo, long long hi) {
    if (!c.need_args(n, 1)) return std::nullopt;
    auto v = parse_integer(n.args[0].text);
    if (!v || *v < lo || *v > hi) {
        c.error(n.args[0], "BFD instance " + owner + " " + std::string(what) + " value " +
                               std::string(n.args[0].text) + " not valid (must be in range [" +
                               std::to_string(lo) + "-" + std::to_string(hi) + "]), ignoring");
        return std::nullopt;
    }
    return v;
}

const bfd::InstanceConfig* find_bfd(const Ctx& c, std::string_view name) {
    const auto& v = c.cfg.bfd.instances;
    auto it = std::find_if(v.begin(), v.end(), [&](const auto& b) { return b.name == name; });
    return it == v.end() ? nullptr : &*it;
}

}  // namespace

void parse_bfd_instance(Ctx& c, const Node& block) {
    bfd::InstanceConfig b;
    b.name = block.args.empty() ? std::string() : std::string(block.args[0].text);
    b.file = c.files.empty() ? std::string() : c.files[block.key.loc.file];
    b.line = block.key.loc.line;
    bool neighbor = false, ttl_set = false, hoplimit_set = false, vrrp = false, checker = false;
    for (const auto& n : block.children) {
        auto k = n.key.text;
        if (k == "neighbor_ip" || k == "neighbour_ip") {
            if (auto a = c.address(n, 0)) {
                b.neighbor = *a;
                neighbor = true;
            }
        } else if (k == "source_ip") {
            if (auto a = c.address(n, 0)) b.source = *a;
        } else if (k == "min_rx") {
            if (auto v = millis(c, n, b.name, 1)) b.min_rx = *v;
        } else if (k == "min_tx") {
            if (auto v = millis(c, n, b.name, 1)) b.min_tx = *v;
        } else if (k == "idle_tx") {
            if (auto v = millis(c, n, b.name, 1000)) b.idle_tx = *v;
        } else if (k == "multiplier") {
            if (auto v = bounded(c, n, b.name, "multiplier", 1, 255))
                b.multiplier = std::uint8_t(*v);
        } else if (k == "passive") {
            b.passive = true;
        } else if (k == "ttl" || k == "hoplimit") {
            if (auto v = bounded(c, n, b.name, "ttl/hoplimit", 1, 255)) {
                (k == "ttl" ? b.ttl : b.hoplimit) = std::uint8_t(*v);
                (k == "ttl" ? ttl_set : hoplimit_set) = true;
            }
        } else if (k == "max_hops") {
            // -1, like 255, turns the hop count check off.
            if (auto v = bounded(c, n, b.name, "max_hops", -1, 255))
                b.max_hops = *v < 0 ? 255 : std::uint8_t(*v);
        } else if (k == "weight") {
            if (auto v = bounded(c, n, b.name, "weight", -253, 253)) b.weight = int(*v);
            if (n.args.size() > 1) {
                if (n.args[1].text == "reverse")
                    b.weight_reverse = true;
                else
                    c.error(n.args[1], "BFD instance " + b.name + " unknown weight option " +
                                           std::string(n.args[1].text));
            }
        } else if (k == "vrrp") {
            vrrp = true;
        } else if (k == "checker") {
            checker = true;
        } else {
            c.unknown(n);
        }
    }
    if (vrrp || checker) {
        b.vrrp = vrrp;
        b.checker = checker;
    }
    // One TTL keyword serves both families: the one given applies to the neighbour's family.
    if (neighbor && b.neighbor.is_v6() && ttl_set && !hoplimit_set) b.hoplimit = b.ttl;
    if (neighbor && b.neighbor.is_v4() && hoplimit_set && !ttl_set) b.ttl = b.hoplimit;
    if (!neighbor) {
        c.strict(Ctx::block_end(block), "Configuration error: BFD instance " + b.name +
                                            " has no neighbor address set, disabling instance");
        return;
    }
    if (b.source && b.source->is_v6() != b.neighbor.is_v6()) {
        c.strict(Ctx::block_end(block), "Configuration error: BFD instance " + b.name +
                                            " source address " + b.source->to_string() +
                                            " and neighbor address " + b.neighbor.to_string() +
                                            " are not of the same family, disabling instance");
        return;
    }
    if (find_bfd(c, b.name)) {
        c.strict(block.key,
                 "Configuration error: BFD instance " + b.name + " already configured - ignoring");
        return;
    }
    for (const auto& o : c.cfg.bfd.instances)
        if (o.neighbor == b.neighbor) {
            c.strict(block.key, "Configuration error: BFD instance " + b.name +
                                    " has duplicate neighbor address " + b.neighbor.to_string() +
                                    ", ignoring instance");
            return;
        }
    c.cfg.bfd.instances.push_back(std::move(b));
}

std::vector<vrrp::TrackRef> track_bfd_refs(Ctx& c, const Node& n, const std::string& owner) {
    std::vector<vrrp::TrackRef> out;
    for (const auto& line : n.children) {
        const std::string name(line.key.text);
        const auto* b = find_bfd(c, name);
        if (!b || !b->vrrp) {
            c.strict(line.key, "(" + owner + ") track bfd " + name + " not found, ignoring...");
            continue;
        }
        if (std::any_of(out.begin(), out.end(), [&](const auto& r) { return r.name == name; })) {
            c.strict(line.key, "(" + owner + ") duplicate track_bfd " + name + " - ignoring");
            continue;
        }
        vrrp::TrackRef r{name, b->weight, b->weight_reverse};
        const auto& a = line.args;
        if (!a.empty() && a[0].text == "weight" && a.size() >= 2) {
            auto w = parse_integer(a[1].text);
            if (!w || *w < -253 || *w > 253) {
                c.strict(a[1], "(" + owner + ") weight for track bfd " + name +
                                   " must be in [-253..253] inclusive. Ignoring...");
            } else {
                r.weight = int(*w);
                r.reverse = a.size() >= 3 && a[2].text == "reverse";
            }
        } else if (!a.empty()) {
            c.strict(a[0], "(" + owner + ") unknown track bfd " + name + " option " +
                               std::string(a[0].text) + " - ignoring");
        }
        out.push_back(std::move(r));
    }
    return out;
}

void bfd_check(Ctx& c, const Node& n, const std::string& rs_label, std::size_t vs_index,
               std::size_t rs_index, ipvs::RealServerConfig* rs, bool sorry) {
    std::string name;
    for (const auto& ch : n.children) {
        if (ch.key.text == "name") {
            if (c.need_args(ch, 1)) name = std::string(ch.args[0].text);
        } else {
            c.unknown(ch);
        }
    }
    if (name.empty()) {
        c.strict(n.key, "(" + rs_label + ") No name has been specified for BFD_CHECKER - skipping");
        return;
    }
    const auto* b = find_bfd(c, name);
    if (!b || !b->checker) {
        c.strict(n.key, "(" + rs_label + ") BFD_CHECK - BFD " + name + " not configured");
        return;
    }
    for (const auto& o : c.bfd_check_names)
        if (o.first == std::pair{vs_index, rs_index} && o.second == name) {
            c.strict(n.key, "(" + rs_label + ") BFD_CHECK - RS already monitoring " + name);
            return;
        }
    c.bfd_check_names.push_back({{vs_index, rs_index}, name});
    if (sorry) return;
    if (rs) ++rs->checker_count;
    if (c.opt.check_only) return;
    c.cfg.bfd_checks.push_back({vs_index, rs_index, name});
}

// Without sync_group_tracking_weight a member's tracked BFD counts by its state alone.
void drop_bfd_sync_weights(Ctx& c) {
    auto& vr = c.cfg.vrrp;
    std::unordered_set<std::string> weighted_ok;
    for (const auto& sg : vr.sync_groups)
        if (sg.tracking_weight) weighted_ok.insert(sg.name);
    for (std::size_t i = 0; i < vr.instances.size() && i < c.inst_extra.size(); ++i) {
        auto& in = vr.instances[i];
        if (in.sync_group.empty() || weighted_ok.count(in.sync_group)) continue;
        for (auto& r : in.track_bfds)
            if (r.weight.value_or(0) != 0) {
                r.weight = 0;
                c.warn(c.inst_extra[i].key, "(" + in.name + ") ignoring weight of tracked bfd " +
                                                r.name + " due to SYNC group");
            }
    }
}

}  // namespace vigil::config
