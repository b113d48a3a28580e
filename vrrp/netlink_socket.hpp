// RAII owners for libnl handles and objects, and a connected NETLINK_ROUTE socket.
#pragma once

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

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
using RtnlLink = std::unique_ptr<rtnl_link, detail::RtnlLinkPut>;
using NlCache = std::unique_ptr<nl_cache, detail::NlCachePut>;
using NlCacheMngr = std::unique_ptr<nl_cache_mngr, detail::NlCacheMngrFree>;

// libnl error code (negative NLE_*) as text.
std::string nl_error_text(int err);

// A NETLINK_ROUTE socket connected to the kernel (blocking: used for request/ack exchanges).
std::expected<NlSock, std::string> open_route_socket();

}  // namespace vigil::vrrp
