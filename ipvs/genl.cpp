#include "genl.hpp"

#include <linux/ip_vs.h>
#include <netlink/errno.h>

namespace vigil::ipvs::genl {

Result<NlMsg> request(int family, std::uint8_t cmd, int flags) {
    NlMsg msg(nlmsg_alloc());
    if (!msg) return fail("netlink: out of memory");
    if (!genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags, cmd,
                     IPVS_GENL_VERSION))
        return fail("netlink: cannot build header");
    return msg;
}

Result<int> transact(nl_sock* sock, NlMsg msg) {
    if (int e = nl_send_auto(sock, msg.get()); e < 0)
        return fail(fmt::format("send: {}", nl_geterror(e)));
    // A callback of our own: libnl's nl_wait_for_ack keeps only its own error code, and the
    // kernel's errno is the reason a user needs.
    struct Ack {
        int error = 0;
        bool done = false;
    } ack;
    std::unique_ptr<nl_cb, void (*)(nl_cb*)> cb(nl_cb_clone(nl_socket_get_cb(sock)), nl_cb_put);
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
        if (int e = nl_recvmsgs(sock, cb.get()); e < 0 && !ack.done)
            return fail(fmt::format("receive: {}", nl_geterror(e)));
    if (!ack.done) return fail("no answer from the kernel");
    return ack.error;
}

}  // namespace vigil::ipvs::genl
