#include "vigil/ipvs/ipvs_netlink.hpp"

#include <linux/ip_vs.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <fmt/format.h>

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
    if (int e = nl_send_auto(sock_.get(), msg.get()); e < 0)
        return fail(fmt::format("send: {}", nl_geterror(e)));
    // A callback of our own: libnl's nl_wait_for_ack keeps only its own error code, and the
    // kernel's errno is the reason a user needs.
    struct Ack {
        int error = 0;
        bool done = false;
    } ack;
    std::unique_ptr<nl_cb, void (*)(nl_cb*)> cb(nl_cb_clone(nl_socket_get_cb(sock_.get())),
                                                nl_cb_put);
    if (!cb) return fail("netlink: out of memory");
    nl_cb_set(
        cb.get(), NL_CB_ACK, NL_CB_CUSTOM,
        [](nl_msg*, void* arg) -> int {
            static_cast<Ack*>(arg)->done = true;
            return NL_STOP;
        },
        &ack);
    nl_cb_err(
        cb.get(), NL_CB_CUSTOM,
        [](sockaddr_nl*, nlmsgerr* e, void* arg) -> int {
            auto* a = static_cast<Ack*>(arg);
            a->error = -e->error;
            a->done = true;
            return NL_STOP;
        },
        &ack);
    for (int i = 0; i < 64 && !ack.done; ++i)
        if (int e = nl_recvmsgs(sock_.get(), cb.get()); e < 0 && !ack.done)
            return fail(fmt::format("receive: {}", nl_geterror(e)));
    if (!ack.done) return fail("no answer from the kernel");
    if (ack.error) return fail(kernel_reason(op, ack.error));
    return {};
}

namespace {

template <class T, class Decode>
Result<std::vector<T>> dump(nl_sock* sock, NlMsg request, Decode decode) {
    struct Ctx {
        std::vector<T> items;
        Decode decode;
        std::string error;
    } ctx{{}, decode, {}};
    std::unique_ptr<nl_cb, void (*)(nl_cb*)> cb(nl_cb_clone(nl_socket_get_cb(sock)), nl_cb_put);
    if (!cb) return fail("netlink: out of memory");
    nl_cb_set(
        cb.get(), NL_CB_VALID, NL_CB_CUSTOM,
        [](nl_msg* msg, void* arg) -> int {
            auto* c = static_cast<Ctx*>(arg);
            auto item = c->decode(msg);
            if (item)
                c->items.push_back(std::move(*item));
            else
                c->error = item.error().message;
            return NL_OK;
        },
        &ctx);
    if (int e = nl_send_auto(sock, request.get()); e < 0)
        return fail(fmt::format("ipvs: send: {}", nl_geterror(e)));
    if (int e = nl_recvmsgs(sock, cb.get()); e < 0)
        return fail(fmt::format("ipvs: dump: {}", nl_geterror(e)));
    if (!ctx.error.empty()) return fail(ctx.error);
    return std::move(ctx.items);
}

}  // namespace

Result<Table> IpvsNetlink::dump_all() {
    auto req = encode_get_services(family_);
    if (!req) return std::unexpected(req.error());
    auto services = dump<Service>(sock_.get(), std::move(*req), decode_service);
    if (!services) return std::unexpected(services.error());
    Table table;
    for (auto& s : *services) {
        if (!owned_.contains(to_string(s.id))) continue;
        auto dreq = encode_get_destinations(family_, s.id);
        if (!dreq) return std::unexpected(dreq.error());
        auto dests = dump<Destination>(sock_.get(), std::move(*dreq), decode_destination);
        if (!dests) return std::unexpected(dests.error());
        s.destinations = std::move(*dests);
        table.push_back(std::move(s));
    }
    normalize(table);
    return table;
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

Result<void> IpvsNetlink::apply(const Table& desired) {
    // Services named in the config are Vigil's even when they predate it (as keepalived).
    for (const auto& s : desired) owned_.insert(to_string(s.id));
    auto actual = dump_all();
    if (!actual) return std::unexpected(actual.error());
    rejections_ = run(diff(desired, *actual));
    return {};
}

Result<void> IpvsNetlink::set_timeouts(const Timeouts& t) {
    auto msg = encode_set_timeouts(family_, t);
    if (!msg) return std::unexpected(msg.error());
    const Op none{OpKind::delete_service, {}, std::nullopt};  // for the reason text only
    return send(std::move(*msg), none);
}

Result<void> IpvsNetlink::flush() {
    auto actual = dump_all();
    if (!actual) return std::unexpected(actual.error());
    return execute(diff(Table{}, *actual));
}

}  // namespace vigil::ipvs
