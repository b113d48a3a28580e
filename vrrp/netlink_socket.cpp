#include "netlink_socket.hpp"

#include <netlink/errno.h>
#include <sys/socket.h>

namespace vigil::vrrp {

std::string nl_error_text(int err) {
    return nl_geterror(err < 0 ? -err : err);
}

std::expected<NlAddr, std::string> to_nl_addr(const boost::asio::ip::address& a, int prefix_len) {
    nl_addr* raw = nullptr;
    if (a.is_v4()) {
        auto bytes = a.to_v4().to_bytes();
        raw = nl_addr_build(AF_INET, bytes.data(), bytes.size());
    } else {
        auto bytes = a.to_v6().to_bytes();
        raw = nl_addr_build(AF_INET6, bytes.data(), bytes.size());
    }
    if (!raw) return std::unexpected(std::string("netlink: out of memory"));
    NlAddr out(raw);
    if (prefix_len >= 0) nl_addr_set_prefixlen(raw, prefix_len);
    return out;
}

int send_and_ack(nl_sock* sk, NlMsg msg) {
    return nl_send_sync(sk, msg.release());  // frees the message in every case
}

std::expected<NlSock, std::string> open_route_socket() {
    NlSock sk(nl_socket_alloc());
    if (!sk) return std::unexpected(std::string("netlink: cannot allocate socket"));
    if (int err = nl_connect(sk.get(), NETLINK_ROUTE); err < 0)
        return std::unexpected("netlink: connect: " + nl_error_text(err));
    return sk;
}

}  // namespace vigil::vrrp
