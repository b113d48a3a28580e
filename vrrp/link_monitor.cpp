#include "link_monitor.hpp"

#include <net/if.h>
#include <netlink/errno.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace vigil::vrrp {

namespace {

LinkMonitor::Link link_fields(rtnl_link* l) {
    LinkMonitor::Link out;
    out.index = rtnl_link_get_ifindex(l);
    if (const char* name = rtnl_link_get_name(l)) out.name = name;
    const unsigned flags = rtnl_link_get_flags(l);
    out.up = (flags & IFF_UP) && (flags & IFF_RUNNING);
    if (nl_addr* a = rtnl_link_get_addr(l); a && nl_addr_get_len(a) == out.mac.size())
        std::memcpy(out.mac.data(), nl_addr_get_binary_addr(a), out.mac.size());
    return out;
}

struct AddrScan {
    int index;
    LinkMonitor::Link* link;
    const std::set<boost::asio::ip::address>* watched;
};

void scan_addr(nl_object* obj, void* arg) {
    auto* scan = static_cast<AddrScan*>(arg);
    auto* a = reinterpret_cast<rtnl_addr*>(obj);
    if (rtnl_addr_get_ifindex(a) != scan->index) return;
    nl_addr* local = rtnl_addr_get_local(a);
    if (!local) return;
    const auto* bytes = static_cast<const unsigned char*>(nl_addr_get_binary_addr(local));
    if (!scan->watched->empty()) {
        std::optional<boost::asio::ip::address> addr;
        if (rtnl_addr_get_family(a) == AF_INET && nl_addr_get_len(local) == 4) {
            boost::asio::ip::address_v4::bytes_type b;
            std::memcpy(b.data(), bytes, 4);
            addr = boost::asio::ip::address_v4(b);
        } else if (rtnl_addr_get_family(a) == AF_INET6 && nl_addr_get_len(local) == 16) {
            boost::asio::ip::address_v6::bytes_type b;
            std::memcpy(b.data(), bytes, 16);
            addr = boost::asio::ip::address_v6(b);
        }
        if (addr && scan->watched->contains(*addr)) {
            auto& w = scan->link->watched;
            w.insert(std::lower_bound(w.begin(), w.end(), *addr), *addr);
        }
    }
    if (rtnl_addr_get_family(a) == AF_INET && nl_addr_get_len(local) == 4) {
        if (scan->link->primary_v4 || (rtnl_addr_get_flags(a) & IFA_F_SECONDARY)) return;
        boost::asio::ip::address_v4::bytes_type b;
        std::memcpy(b.data(), bytes, 4);
        scan->link->primary_v4 = boost::asio::ip::address_v4(b);
    } else if (rtnl_addr_get_family(a) == AF_INET6 && nl_addr_get_len(local) == 16) {
        if (scan->link->link_local_v6 || bytes[0] != 0xfe || (bytes[1] & 0xc0) != 0x80) return;
        boost::asio::ip::address_v6::bytes_type b;
        std::memcpy(b.data(), bytes, 16);
        scan->link->link_local_v6 = boost::asio::ip::address_v6(b);
    }
}

}  // namespace

LinkMonitor::LinkMonitor(boost::asio::io_context& io) : io_(io) {}

LinkMonitor::~LinkMonitor() {
    // The descriptor belongs to the netlink socket: stop watching without closing it twice.
    if (watch_) {
        boost::system::error_code ec;
        watch_->cancel(ec);
        watch_->release();
    }
}

std::expected<void, std::string> LinkMonitor::start() {
    if (mngr_) return std::unexpected(std::string("link monitor already started"));
    event_sock_.reset(nl_socket_alloc());
    if (!event_sock_) return std::unexpected(std::string("netlink: cannot allocate socket"));
    nl_cache_mngr* mngr = nullptr;
    if (int err = nl_cache_mngr_alloc(event_sock_.get(), NETLINK_ROUTE, 0, &mngr); err < 0)
        return std::unexpected("netlink: cache manager: " + nl_error_text(err));
    mngr_.reset(mngr);
    // Room for bursts (many VIPs added at once) before the kernel drops events.
    nl_socket_set_buffer_size(event_sock_.get(), 1 << 20, 0);
    if (int err =
            nl_cache_mngr_add(mngr, "route/link", &LinkMonitor::change_cb, this, &link_cache_);
        err < 0)
        return std::unexpected("netlink: link dump: " + nl_error_text(err));
    if (int err =
            nl_cache_mngr_add(mngr, "route/addr", &LinkMonitor::change_cb, this, &addr_cache_);
        err < 0)
        return std::unexpected("netlink: address dump: " + nl_error_text(err));
    for (const Link& l : links()) last_.emplace(l.index, l);
    watch_.emplace(io_, nl_cache_mngr_get_fd(mngr));
    arm();
    return {};
}

void LinkMonitor::arm() {
    watch_->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                       [this](const boost::system::error_code& ec) {
                           if (ec) return;  // cancelled: the monitor is going away
                           on_readable();
                       });
}

void LinkMonitor::on_readable() {
    int err = nl_cache_mngr_data_ready(mngr_.get());
    if (err == -NLE_NOMEM) {  // ENOBUFS: the kernel dropped events, our caches are stale
        ++counters_.overflows;
        resync();
    } else if (err < 0 && err != -NLE_AGAIN) {
        ++counters_.read_errors;
    }
    drop_vanished();
    dispatch();
    arm();
}

// libnl drops some link messages it cannot parse, such as the last ones of a veth whose peer
// lives in another namespace: the cache would keep the deleted link (and find() answer with
// it). The kernel's own view settles it.
void LinkMonitor::drop_vanished() {
    for (const auto& [index, link] : last_) {
        char name[IF_NAMESIZE] = {};
        if (::if_indextoname(static_cast<unsigned>(index), name) && link.name == name) continue;
        if (RtnlLink stale(rtnl_link_get(link_cache_, index)); stale)
            nl_cache_remove(reinterpret_cast<nl_object*>(stale.get()));
        Link gone = link;
        gone.present = false;
        gone.up = false;
        deleted_[index] = gone;
        dirty_.insert(index);
    }
}

void LinkMonitor::resync() {
    auto sk = open_route_socket();
    if (!sk || nl_cache_refill(sk->get(), link_cache_) < 0 ||
        nl_cache_refill(sk->get(), addr_cache_) < 0) {
        ++counters_.resync_failed;
        return;
    }
    for (const auto& [index, link] : last_) dirty_.insert(index);
    for (const Link& l : links()) dirty_.insert(l.index);
    for (auto& [index, link] : last_) {
        if (!snapshot(index)) {
            Link gone = link;
            gone.present = false;
            gone.up = false;
            deleted_[index] = gone;
        }
    }
}

void LinkMonitor::change_cb(nl_cache* cache, nl_object* obj, int action, void* self) {
    static_cast<LinkMonitor*>(self)->note_change(cache, obj, action);
}

void LinkMonitor::note_change(nl_cache* cache, nl_object* obj, int action) {
    if (cache == link_cache_) {
        auto* l = reinterpret_cast<rtnl_link*>(obj);
        const int index = rtnl_link_get_ifindex(l);
        dirty_.insert(index);
        if (action == NL_ACT_DEL) {
            Link gone = link_fields(l);
            gone.present = false;
            gone.up = false;
            deleted_[index] = gone;
        } else {
            deleted_.erase(index);
        }
    } else if (cache == addr_cache_) {
        dirty_.insert(rtnl_addr_get_ifindex(reinterpret_cast<rtnl_addr*>(obj)));
    }
}

void LinkMonitor::dispatch() {
    std::vector<Link> changed;
    for (int index : dirty_) {
        std::optional<Link> now = snapshot(index);
        if (!now) {
            auto del = deleted_.find(index);
            auto prev = last_.find(index);
            if (prev == last_.end()) continue;  // never reported: nothing to retract
            Link gone = del != deleted_.end() ? del->second : prev->second;
            gone.present = false;
            gone.up = false;
            last_.erase(prev);
            changed.push_back(gone);
            continue;
        }
        auto prev = last_.find(index);
        if (prev != last_.end() && prev->second == *now) continue;
        last_[index] = *now;
        changed.push_back(*now);
    }
    dirty_.clear();
    deleted_.clear();
    for (const Link& l : changed) {
        ++counters_.events;
        for (auto& cb : callbacks_) cb(l);
    }
}

std::optional<LinkMonitor::Link> LinkMonitor::snapshot(int index) const {
    if (!link_cache_) return std::nullopt;
    RtnlLink l(rtnl_link_get(link_cache_, index));
    if (!l) return std::nullopt;
    Link out = link_fields(l.get());
    AddrScan scan{index, &out, &watched_};
    nl_cache_foreach(addr_cache_, &scan_addr, &scan);
    return out;
}

std::optional<LinkMonitor::Link> LinkMonitor::find(int index) const {
    return snapshot(index);
}

std::optional<LinkMonitor::Link> LinkMonitor::find(std::string_view name) const {
    if (!link_cache_) return std::nullopt;
    std::string n(name);
    RtnlLink l(rtnl_link_get_by_name(link_cache_, n.c_str()));
    if (!l) return std::nullopt;
    return snapshot(rtnl_link_get_ifindex(l.get()));
}

std::vector<LinkMonitor::Link> LinkMonitor::links() const {
    std::vector<Link> out;
    if (!link_cache_) return out;
    for (nl_object* o = nl_cache_get_first(link_cache_); o; o = nl_cache_get_next(o)) {
        if (auto l = snapshot(rtnl_link_get_ifindex(reinterpret_cast<rtnl_link*>(o))))
            out.push_back(*l);
    }
    return out;
}

}  // namespace vigil::vrrp
