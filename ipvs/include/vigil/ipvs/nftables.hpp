// The nftables data plane: NAT load balancing in one owned `table inet NAME`, changed in one
// transaction per change.
//
// Scheduling is approximated with what nftables offers on a connection's first packet:
//   rr                         numgen inc over the destinations with weight > 0, one slot each
//   wrr wlc lc sed nq lblc lblcr ovf
//                              numgen inc, slots in proportion to weight (weighted round robin;
//                              nftables cannot see connection counts)
//   sh mh                      jhash of the source address (and port with sh-port/mh-port)
//   dh                         jhash of the destination address
//   fo                         the destination with the highest weight
// Persistence: a dynamic map client -> destination with the service's timeout, learnt in
// postrouting from `ct status dnat` and looked up before the scheduler. IPv6 persistence keeps
// the destination address only (nft 1.0.6 cannot learn a 16-byte key with an address.port
// value), so it is used only when every destination listens on the service's port.
// A change that leaves the set of services and their persistence alone replaces only the
// slots, dispatch elements and own chains of the services it changes, in one transaction, and
// forgets what those services learnt; any other change recreates the table, and all learnt
// persistence starts afresh.
// Destinations of weight 0 get no slot; dr and tun destinations are treated as NAT (with a
// warning).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "vigil/common/nft_context.hpp"
#include "vigil/ipvs/dataplane.hpp"

namespace vigil::ipvs {

struct NftablesOptions {
    std::string table = "vigil";
    std::string conntrack_file = "/proc/net/nf_conntrack";  // of the daemon's namespace
    std::uint32_t seed = 0x5eed;  // jhash seed: fixed so a pool maps clients the same way
    bool dry_run = false;         // check every transaction without committing it
};

struct NftRender {
    std::string text;
    std::vector<std::string> chains;  // the shared chains it makes
    std::vector<std::string> warnings;
    std::vector<std::size_t> warnings_of;  // how many of `warnings` each service has, in order
};

bool valid_table_name(std::string_view name);

// Services are found by three verdict maps (one lookup per packet, whatever their number):
// svc_mark (firewall mark . family, looked up first, as IPVS does), svc_ip and svc_ip6
// (protocol . address . port). A service goes to the chain shared by the services of its kind,
// scheduler and number of slots, pick_KIND_SCHED_SLOTS, whose one rule picks a slot and looks
// "slot . address . port" (or "slot . mark") up in the pool map of that kind, pool_KIND. So
// the table holds few chains and maps whatever the number of services (the kernel creates,
// binds and lists them in time growing with their number), and a pool that changes size
// changes elements only. Round robin counts per shared chain: a service's connections spread
// evenly over its slots, in strict turn while it is the only one of its size taking them. A
// persistent service, or one with more than kNftMaxPoolSlots slots, has a chain of its own,
// svc_INDEX, with its own counter.
enum class NftDispatch { mark, ip, ip6 };

// One service's share of the table, as the service at `index` of a sorted table. `key` is
// empty for a service that cannot be matched (it gets nothing).
struct NftServicePart {
    NftDispatch dispatch = NftDispatch::ip;
    std::string key;         // its key in the dispatch map ("tcp . ADDR . PORT", "MARK . ipv4")
    std::string verdict;     // its value there: "goto pick_...", "goto svc_INDEX" or "accept"
    std::string map;         // its persistence map, if any
    std::string learn;       // its rule in postrouting, if any
    std::string pool_name;   // the pool map its slots are in
    std::string pool;        // that map's declaration, without elements
    std::string slots;       // its elements there ("0 . VADDR . VPORT : ADDR . PORT, ..."), if any
    std::string slot_keys;   // their keys ("0 . VADDR . VPORT, ...")
    std::string pick_name;   // the shared chain it goes to, if any
    std::string pick_rule;   // that chain's one rule
    bool own_chain = false;  // svc_INDEX, holding `body`
    std::string body;
    std::vector<std::string> warnings;
};
NftServicePart render_nftables_service(const Service& service, std::size_t index,
                                       const NftablesOptions& options);
// A pool with more slots than this (weights without a common divisor) is written into its rule
// as an anonymous map of ranges instead.
inline constexpr unsigned kNftMaxPoolSlots = 256;

// The whole transaction that replaces the table with `table`. Pure.
NftRender render_nftables(const Table& table, const NftablesOptions& options);

// The transaction that turns the table rendered from `before` into the one of `after` by
// replacing the slots, dispatch elements and own chains of the services that changed (their
// learnt persistence is flushed); empty text when nothing changed. None when services came,
// went, or changed how they are matched or persisted, or gained or lost a chain of their own:
// then the table must be recreated. Both tables sorted. Pure.
struct NftUpdate {
    std::string text;
    std::vector<std::string> new_chains;  // the shared chains it makes
    // The new warnings of each service (by index) whose warnings changed.
    std::vector<std::pair<std::size_t, std::vector<std::string>>> warnings;
};
// `chains`: the shared chains the table has (made by earlier transactions); a chain not in it
// is made.
std::optional<NftUpdate> render_nftables_update(const Table& before, const Table& after,
                                                const NftablesOptions& options,
                                                const std::unordered_set<std::string>& chains = {});
// The transaction that removes the table (and succeeds when it does not exist).
std::string render_nftables_flush(const NftablesOptions& options);

// Argv of the conntrack(8) command that deletes the flows of one destination of a service.
std::vector<std::string> conntrack_flush_argv(const ServiceId& service, const Destination& dest);

class Nftables final : public DataPlane {
  public:
    static Result<std::unique_ptr<Nftables>> open(NftablesOptions options);
    ~Nftables() override;

    std::string_view name() const override { return "nftables"; }
    Result<void> apply(const Table& desired) override;
    Result<Table> read() override;
    Result<void> flush() override;
    // The applied table with connections counted from conntrack (no packet counters).
    Result<LiveTable> live() override;

    // Runs one buffer as one transaction.
    Result<void> run(const std::string& commands);
    // The last transaction run by apply(): the whole table, or the chains it replaced.
    const std::string& last_text() const { return last_text_; }
    // The warnings of the table now applied.
    const std::vector<std::string>& last_warnings() const { return last_warnings_; }
    // How many applies recreated the table, and how many replaced chains only.
    std::uint64_t full_applies() const { return full_applies_; }
    std::uint64_t chain_applies() const { return chain_applies_; }
    const NftablesOptions& options() const { return options_; }

  private:
    Nftables(NftablesOptions options, NftContext ctx);

    NftablesOptions options_;
    NftContext ctx_;
    Table applied_;
    bool present_ = false;
    std::string last_text_;
    std::vector<std::string> last_warnings_;
    std::vector<std::vector<std::string>> service_warnings_;  // by index in applied_
    std::unordered_set<std::string> chains_;                  // the shared chains made
    std::uint64_t full_applies_ = 0, chain_applies_ = 0;
};

}  // namespace vigil::ipvs
