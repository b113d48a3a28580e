// The addresses configured on this host's interfaces, kept current from rtnetlink events
// (RTM_NEWADDR / RTM_DELADDR). ha_suspend asks it whether a virtual server's address is here.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstddef>
#include <expected>
#include <functional>
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <vigil/ipvs/config.hpp>

namespace vigil {

using IpAddress = boost::asio::ip::address;

struct AddressEvent {
    IpAddress address;
    int ifindex = 0;
    bool added = false;  // RTM_NEWADDR; false: RTM_DELADDR
    bool operator==(const AddressEvent&) const = default;
};

// The address messages in a buffer read from rtnetlink; anything else is skipped. Pure: tested
// on hand-made buffers.
std::vector<AddressEvent> parse_address_messages(std::span<const std::byte> buf);

// ha_suspend: a virtual server's checkers run while one of its addresses is local.
// A firewall-mark service has no address and is never suspended.
bool vs_address_local(const ipvs::VirtualServerConfig& vs,
                      const std::function<bool(const IpAddress&)>& is_local);

class LocalAddresses {
  public:
    explicit LocalAddresses(boost::asio::io_context& io);
    LocalAddresses(const LocalAddresses&) = delete;
    LocalAddresses& operator=(const LocalAddresses&) = delete;

    // Subscribes, then dumps the current addresses; on_change is called after each batch of
    // events that changed the set.
    std::expected<void, std::string> start(std::function<void()> on_change);
    bool contains(const IpAddress& a) const { return on_.contains(a); }

  private:
    std::expected<void, std::string> request_dump();
    void arm();
    void on_readable();

    boost::asio::posix::stream_descriptor sock_;
    std::function<void()> on_change_;
    std::map<IpAddress, std::set<int>> on_;  // interfaces holding each address
    std::vector<std::byte> buf_ = std::vector<std::byte>(65536);
};

}  // namespace vigil
