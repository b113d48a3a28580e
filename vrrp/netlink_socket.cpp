#include "netlink_socket.hpp"

#include <netlink/errno.h>

namespace vigil::vrrp {

std::string nl_error_text(int err) {
    return nl_geterror(err < 0 ? -err : err);
}

std::expected<NlSock, std::string> open_route_socket() {
    NlSock sk(nl_socket_alloc());
    if (!sk) return std::unexpected(std::string("netlink: cannot allocate socket"));
    if (int err = nl_connect(sk.get(), NETLINK_ROUTE); err < 0)
        return std::unexpected("netlink: connect: " + nl_error_text(err));
    return sk;
}

}  // namespace vigil::vrrp
