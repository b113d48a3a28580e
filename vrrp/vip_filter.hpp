// vrrp_strict without accept mode (RFC 5798 Accept_Mode false): a master must not answer for
// its VIPs. One nftables table owned by the engine holds the blocked VIPs in two sets and drops
// input to them and output from them; VRRP itself and IPv6 neighbour discovery pass (ARP is not
// IP and is never filtered). The table goes when the filter does.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <string>

#include "vigil/common/nft_context.hpp"
#include "vigil/vrrp/config.hpp"

namespace vigil::vrrp {

// nft scripts (pure): the whole table, replacing any leftover of the same name in one
// transaction; one element added or removed; the table deleted.
std::string render_filter_table(const std::string& table);
std::string render_filter_element(const std::string& table, const Address& vip, bool add);
std::string render_filter_delete(const std::string& table);
bool valid_filter_table_name(const std::string& table);

class VipFilter {
  public:
    static std::expected<std::unique_ptr<VipFilter>, std::string> open(std::string table);
    ~VipFilter();  // deletes the table
    VipFilter(const VipFilter&) = delete;
    VipFilter& operator=(const VipFilter&) = delete;

    // Counted: a VIP shared by two instances stays blocked until both release it.
    std::expected<void, std::string> block(const Address& vip);
    std::expected<void, std::string> unblock(const Address& vip);
    const std::string& table() const { return table_; }

  private:
    VipFilter(std::string table, NftContext ctx);

    std::string table_;
    NftContext ctx_;
    std::map<Address, unsigned> blocked_;
};

}  // namespace vigil::vrrp
