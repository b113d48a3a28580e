#include "vigil/ipvs/ipvs_netlink.hpp"

#include "genl.hpp"

#include <linux/ip_vs.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vigil::ipvs {

void IpvsNetlink::SockDeleter::operator()(nl_sock* sock) const {
    nl_socket_free(sock);
}

IpvsNetlink::IpvsNetlink(std::unique_ptr<nl_sock, SockDeleter> sock, int family)
    : sock_(std::move(sock)), family_(family) {}

IpvsNetlink::~IpvsNetlink() = default;

Result<std::unique_ptr<IpvsNetlink>> IpvsNetlink::open() {
    std::unique_ptr<nl_sock, SockDeleter> sock(nl_socket_alloc());
    if (!sock) return fail("netlink: out of memory");
    if (int e = genl_connect(sock.get()); e < 0)
        return fail(fmt::format("netlink: cannot connect: {}", nl_geterror(e)));
    const int family = genl_ctrl_resolve(sock.get(), IPVS_GENL_NAME);
    if (family < 0) return fail(std::string(ipvs_unavailable));
    return std::unique_ptr<IpvsNetlink>(new IpvsNetlink(std::move(sock), family));
}

namespace {

// The kernel's errno for a refused request, as a user would want to read it.
std::string kernel_reason(const Op& op, int err) {
    std::string text = std::strerror(err);
    const bool service_op = op.kind == OpKind::add_service || op.kind == OpKind::edit_service;
    if (err == ENOENT && service_op)
        text += fmt::format(" (no scheduler '{}' in this kernel: module ip_vs_{})",
                            op.service.scheduler, op.service.scheduler);
    else if (err == ERANGE && op.destination)
        text += fmt::format(" (lower threshold {} above upper threshold {})",
                            op.destination->lower_threshold, op.destination->upper_threshold);
    return text;
}

}  // namespace

Result<void> IpvsNetlink::send(NlMsg msg, const Op& op) {
    auto err = genl::transact(sock_.get(), std::move(msg));
    if (!err) return std::unexpected(err.error());
    if (*err) return fail(kernel_reason(op, *err));
    return {};
}

Result<Table> IpvsNetlink::dump_all() {
    auto req = encode_get_services(family_);
    if (!req) return std::unexpected(req.error());
    auto services = genl::dump<Service>(sock_.get(), std::move(*req), decode_service);
    if (!services) return std::unexpected(services.error());
    Table table;
    for (auto& s : *services) {
        if (!owned_.contains(to_string(s.id))) continue;
        auto dreq = encode_get_destinations(family_, s.id);
        if (!dreq) return std::unexpected(dreq.error());
        auto dests = genl::dump<Destination>(sock_.get(), std::move(*dreq), decode_destination);
        if (!dests) return std::unexpected(dests.error());
        s.destinations = std::move(*dests);
        table.push_back(std::move(s));
    }
    normalize(table);
    return table;
}

Result<LiveTable> IpvsNetlink::live() {
    auto req = encode_get_services(family_);
    if (!req) return std::unexpected(req.error());
    auto services = genl::dump<LiveService>(sock_.get(), std::move(*req), decode_live_service);
    if (!services) return std::unexpected(services.error());
    LiveTable out;
    for (auto& s : *services) {
        if (!owned_.contains(to_string(s.service.id))) continue;
        auto dreq = encode_get_destinations(family_, s.service.id);
        if (!dreq) return std::unexpected(dreq.error());
        auto dests =
            genl::dump<LiveDestination>(sock_.get(), std::move(*dreq), decode_live_destination);
        if (!dests) return std::unexpected(dests.error());
        s.destinations = std::move(*dests);
        std::sort(s.destinations.begin(), s.destinations.end(), [](const auto& a, const auto& b) {
            return destination_less(a.destination, b.destination);
        });
        out.push_back(std::move(s));
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.service.id < b.service.id; });
    return out;
}

Result<Table> IpvsNetlink::read() {
    return dump_all();
}

std::vector<Rejection> IpvsNetlink::run(const std::vector<Op>& ops) {
    return run_ops(ops, [this](const Op& op) -> Result<void> {
        auto msg = encode_op(family_, op);
        if (!msg) return std::unexpected(msg.error());
        if (auto ok = send(std::move(*msg), op); !ok) return ok;
        if (op.kind == OpKind::add_service) owned_.insert(to_string(op.service.id));
        if (op.kind == OpKind::delete_service) owned_.erase(to_string(op.service.id));
        return {};
    });
}

Result<void> IpvsNetlink::execute(const std::vector<Op>& ops) {
    auto refused = run(ops);
    if (refused.empty()) return {};
    return fail(to_string(refused.front()));
}

namespace {

bool same_services(const Table& a, const Table& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](const Service& x, const Service& y) { return x.id == y.id; });
}

}  // namespace

Result<void> IpvsNetlink::apply(const Table& desired) {
    if (!known_ || !same_services(desired, *known_)) {
        // Services named in the config are Vigil's even when they predate it (as keepalived).
        for (const auto& s : desired) owned_.insert(to_string(s.id));
        auto actual = dump_all();
        if (!actual) return std::unexpected(actual.error());
        ++kernel_reads_;
        known_ = std::move(*actual);
    }
    rejections_ = run(diff(desired, *known_));
    // A refusal leaves the kernel somewhere between the two tables: read it next time.
    if (rejections_.empty())
        known_ = desired;
    else
        known_.reset();
    return {};
}

Result<void> IpvsNetlink::set_timeouts(const Timeouts& t) {
    auto msg = encode_set_timeouts(family_, t);
    if (!msg) return std::unexpected(msg.error());
    const Op none{OpKind::delete_service, {}, std::nullopt};  // for the reason text only
    return send(std::move(*msg), none);
}

Result<void> IpvsNetlink::flush_everything() {
    auto msg = encode_flush(family_);
    if (!msg) return std::unexpected(msg.error());
    const Op none{OpKind::delete_service, {}, std::nullopt};  // for the reason text only
    known_.reset();
    if (auto ok = send(std::move(*msg), none); !ok) return ok;
    owned_.clear();
    return {};
}

Result<void> IpvsNetlink::flush() {
    known_.reset();
    auto actual = dump_all();
    if (!actual) return std::unexpected(actual.error());
    return execute(diff(Table{}, *actual));
}

}  // namespace vigil::ipvs
