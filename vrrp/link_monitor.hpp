// Interfaces and their addresses as the kernel reports them, kept current from rtnetlink events.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mac.hpp"
#include "netlink_socket.hpp"

namespace vigil::vrrp {

class LinkMonitor {
  public:
    struct Link {
        int index = 0;
        std::string name;
        bool up = false;      // IFF_UP and IFF_RUNNING (carrier), as keepalived sees a link
        bool present = true;  // false in the one event reporting its deletion
        MacAddress mac{};
        std::optional<boost::asio::ip::address_v4> primary_v4;     // first non-secondary
        std::optional<boost::asio::ip::address_v6> link_local_v6;  // first fe80::/10
        // Those of the watched addresses (watch_addresses) that are on this link, sorted.
        std::vector<boost::asio::ip::address> watched;
        bool operator==(const Link&) const = default;
    };

    struct Counters {
        std::uint64_t events = 0;       // link snapshots delivered to on_change
        std::uint64_t read_errors = 0;  // netlink receive failures other than overflow
        std::uint64_t overflows = 0;    // kernel dropped events (ENOBUFS): full resync
        std::uint64_t resync_failed = 0;
    };

    explicit LinkMonitor(boost::asio::io_context& io);
    ~LinkMonitor();
    LinkMonitor(const LinkMonitor&) = delete;
    LinkMonitor& operator=(const LinkMonitor&) = delete;

    // Dumps links and addresses, then follows RTNLGRP_LINK / IPV4_IFADDR / IPV6_IFADDR events
    // on a non-blocking socket watched by the io_context.
    std::expected<void, std::string> start();

    std::optional<Link> find(std::string_view name) const;
    std::optional<Link> find(int index) const;
    std::vector<Link> links() const;

    // Called from the io_context with the new state of a link whenever any field of Link
    // changed (up/down, MAC, primary address, rename, deletion). Callbacks may call find().
    void on_change(std::function<void(const Link&)> cb) { callbacks_.push_back(std::move(cb)); }

    const Counters& counters() const { return counters_; }

    // Addresses whose presence on a link matters (track_src_ip): a change to one of them is a
    // change of its link; other address changes stay silent.
    void watch_addresses(std::set<boost::asio::ip::address> addrs) { watched_ = std::move(addrs); }

  private:
    static void change_cb(nl_cache* cache, nl_object* obj, int action, void* self);
    void note_change(nl_cache* cache, nl_object* obj, int action);
    std::optional<Link> snapshot(int index) const;
    void arm();
    void on_readable();
    void resync();
    void drop_vanished();
    void dispatch();

    boost::asio::io_context& io_;
    NlSock event_sock_;  // owned here, used by mngr_: declared first so it outlives it
    NlCacheMngr mngr_;
    nl_cache* link_cache_ = nullptr;  // owned by mngr_
    nl_cache* addr_cache_ = nullptr;  // owned by mngr_
    std::optional<boost::asio::posix::stream_descriptor> watch_;
    std::set<int> dirty_;
    std::map<int, Link> deleted_;  // last view of links deleted since the last dispatch
    std::map<int, Link> last_;     // what callbacks last saw
    std::vector<std::function<void(const Link&)>> callbacks_;
    Counters counters_;
    std::set<boost::asio::ip::address> watched_;
};

}  // namespace vigil::vrrp
