// RAII owners for libnl handles and objects, and a connected NETLINK_ROUTE socket.
#pragma once

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>

#include <boost/asio/ip/address.hpp>
#include <expected>
#include <memory>
#include <string>

namespace vigil::vrrp {

namespace detail {
struct NlSockFree {
    void operator()(nl_sock* s) const { nl_socket_free(s); }
};
struct NlAddrPut {
    void operator()(nl_addr* a) const { nl_addr_put(a); }
};
struct RtnlAddrPut {
    void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct RtnlRoutePut {
    void operator()(rtnl_route* r) const { rtnl_route_put(r); }
};
struct RtnlLinkPut {
    void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
struct RtnlRulePut {
    void operator()(rtnl_rule* r) const { rtnl_rule_put(r); }
};
struct NlMsgFree {
    void operator()(nl_msg* m) const { nlmsg_free(m); }
};
struct NlCachePut {
    void operator()(nl_cache* c) const { nl_cache_put(c); }
};
struct NlCacheMngrFree {
    void operator()(nl_cache_mngr* m) const { nl_cache_mngr_free(m); }
};
}  // namespace detail

using NlSock = std::unique_ptr<nl_sock, detail::NlSockFree>;
using NlAddr = std::unique_ptr<nl_addr, detail::NlAddrPut>;
using RtnlAddr = std::unique_ptr<rtnl_addr, detail::RtnlAddrPut>;
using RtnlRoute = std::unique_ptr<rtnl_route, detail::RtnlRoutePut>;
using RtnlRule = std::unique_ptr<rtnl_rule, detail::RtnlRulePut>;
using NlMsg = std::unique_ptr<nl_msg, detail::NlMsgFree>;
using RtnlLink = std::unique_ptr<rtnl_link, detail::RtnlLinkPut>;
using NlCache = std::unique_ptr<nl_cache, detail::NlCachePut>;
using NlCacheMngr = std::unique_ptr<nl_cache_mngr, detail::NlCacheMngrFree>;

// ADDR as a libnl address; prefix_len < 0 leaves the full length.
std::expected<NlAddr, std::string> to_nl_addr(const boost::asio::ip::address& a, int prefix_len);

// libnl error code (negative NLE_*) as text.
std::string nl_error_text(int err);

// Sends a request and waits for the kernel's ack: 0 or a negative NLE_* code.
int send_and_ack(nl_sock* sk, NlMsg msg);

// A NETLINK_ROUTE socket connected to the kernel (blocking: used for request/ack exchanges).
std::expected<NlSock, std::string> open_route_socket();

}  // namespace vigil::vrrp
