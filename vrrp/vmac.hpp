// Virtual MAC interfaces: a private-mode macvlan carrying 00:00:5e:00:01:VRID (IPv6: 02).
#pragma once

#include <cstdint>
#include <expected>
#include <string>

#include "announce.hpp"
#include "netlink_socket.hpp"
#include "vigil/vrrp/config.hpp"

struct rtnl_link;

namespace vigil::vrrp {

// RFC 5798 virtual router MAC: 00:00:5e:00:01:VRID, or 00:00:5e:00:02:VRID for IPv6.
MacAddress virtual_mac(std::uint8_t vrid, bool ipv6);

// keepalived's default name for an instance's macvlan: "vrrp.VRID".
std::string default_vmac_name(std::uint8_t vrid);

// The interface whose VMAC carries V (use_vmac_addr, or the VIP's own use_vmac); empty: none.
std::string addr_vmac_base(const InstanceConfig& c, const VirtualAddress& v);
// keepalived's names for those: PREFIX.VRID, PREFIX6.VRID for IPv6.
std::string addr_vmac_name(const InstanceConfig& c, bool ipv6);

struct VmacSpec {
    std::string name;  // at most 15 bytes
    int base_ifindex = 0;
    MacAddress mac{};
    bool up = true;
};

// The libnl object describing the macvlan (pure).
std::expected<RtnlLink, std::string> make_vmac(const VmacSpec& spec);

// use_ipvlan: an L2 ipvlan on base_ifindex; flags are IPVLAN_F_PRIVATE / IPVLAN_F_VEPA (0: bridge).
struct IpvlanSpec {
    std::string name;  // at most 15 bytes
    int base_ifindex = 0;
    std::uint16_t flags = 0;
    bool up = true;
};

// The RTM_NEWLINK request (pure); libnl has no setter for the ipvlan mode flags.
std::expected<NlMsg, std::string> make_ipvlan_request(const IpvlanSpec& spec);

class VmacManager {
  public:
    static std::expected<VmacManager, std::string> open();

    // Creates the macvlan and returns its ifindex. An existing macvlan of that name on the same
    // base with the same MAC is reused; anything else by that name is an error.
    std::expected<int, std::string> create(const VmacSpec& spec);
    // The same for an ipvlan: one of that name on the same base is reused.
    std::expected<int, std::string> create_ipvlan(const IpvlanSpec& spec);
    // Deletes the interface; one already gone is success.
    std::expected<void, std::string> remove(const std::string& name);

  private:
    explicit VmacManager(NlSock sk) : sk_(std::move(sk)) {}
    // An interface that already existed, brought up when it is down.
    std::expected<void, std::string> set_up(rtnl_link* link, const std::string& name);
    NlSock sk_;
};

}  // namespace vigil::vrrp
