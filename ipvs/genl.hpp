// Generic-netlink request helpers shared by the IPVS table and the sync daemons.
#pragma once

#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "vigil/ipvs/ipvs_netlink.hpp"

namespace vigil::ipvs::genl {

// An empty IPVS generic-netlink request: CMD with FLAGS for FAMILY.
Result<NlMsg> request(int family, std::uint8_t cmd, int flags);

// Sends `msg` and waits for the kernel's answer: 0 when it accepted the request, else its
// errno. Only a transport failure is an error.
Result<int> transact(nl_sock* sock, NlMsg msg);

// Sends a dump request; each answer is decoded into a T.
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

}  // namespace vigil::ipvs::genl
