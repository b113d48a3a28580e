// The IPVS data plane over generic netlink (family "IPVS"), and its message codec.
// The encoders and decoders are pure: they build and read nl_msg buffers, no socket needed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string_view>

#include "vigil/ipvs/dataplane.hpp"
#include "vigil/ipvs/live.hpp"

struct nl_msg;
struct nl_sock;

namespace vigil::ipvs {

struct NlMsgDeleter {
    void operator()(nl_msg* msg) const;
};
using NlMsg = std::unique_ptr<nl_msg, NlMsgDeleter>;

inline constexpr std::string_view ipvs_unavailable =
    "IPVS not available in this kernel; use lvs_backend nftables";

std::uint16_t ipvs_protocol(Protocol p);      // IPPROTO_*
std::uint32_t ipvs_forwarding(Forwarding f);  // IP_VS_CONN_F_MASQ / DROUTE / TUNNEL

// `family` is the resolved generic-netlink family id.
// NEW/SET_SERVICE carry every attribute; DEL_SERVICE only the key.
Result<NlMsg> encode_service(int family, std::uint8_t cmd, const Service& service);
// NEW/SET_DEST carry every attribute; DEL_DEST only address, port and family.
Result<NlMsg> encode_destination(int family, std::uint8_t cmd, const ServiceId& service,
                                 const Destination& dest);
Result<NlMsg> encode_get_services(int family);
Result<NlMsg> encode_get_destinations(int family, const ServiceId& service);
Result<NlMsg> encode_flush(int family);
// IPVS_CMD_SET_CONFIG with the timeouts that are set (non-zero).
Result<NlMsg> encode_set_timeouts(int family, const Timeouts& t);
Result<NlMsg> encode_op(int family, const Op& op);

// Reads a service (or destination) message as the kernel sends them in dumps.
Result<Service> decode_service(nl_msg* msg);
Result<Destination> decode_destination(nl_msg* msg);
// The same with the kernel's counters (connections, packets, bytes, rates).
Result<LiveService> decode_live_service(nl_msg* msg);
Result<LiveDestination> decode_live_destination(nl_msg* msg);

class IpvsNetlink final : public DataPlane {
  public:
    // Fails with ipvs_unavailable when the kernel has no IPVS family.
    static Result<std::unique_ptr<IpvsNetlink>> open();
    ~IpvsNetlink() override;

    std::string_view name() const override { return "ipvs"; }
    Result<void> apply(const Table& desired) override;
    Result<Table> read() override;
    Result<void> flush() override;
    bool can_flush_everything() const override { return true; }
    Result<void> flush_everything() override;  // IPVS_CMD_FLUSH
    std::vector<Rejection> rejections() const override { return rejections_; }
    Result<void> set_timeouts(const Timeouts& t) override;
    Result<LiveTable> live() override;
    void resync() override { known_.reset(); }
    std::uint64_t kernel_reads() const override { return kernel_reads_; }
    // Runs ops, stopping at none; fails naming the first one the kernel refused.
    Result<void> execute(const std::vector<Op>& ops);

  private:
    struct SockDeleter {
        void operator()(nl_sock* sock) const;
    };
    IpvsNetlink(std::unique_ptr<nl_sock, SockDeleter> sock, int family);
    Result<void> send(NlMsg msg, const Op& op);
    std::vector<Rejection> run(const std::vector<Op>& ops);
    Result<Table> dump_all();

    std::unique_ptr<nl_sock, SockDeleter> sock_;
    int family_;
    std::set<std::string> owned_;  // to_string(ServiceId) of what Vigil added
    std::vector<Rejection> rejections_;
    // Vigil's services as the kernel holds them: read once, then kept by the changes sent, so
    // that a change of one server costs its own request, not a read of 10,000 services. Read
    // again after the kernel refused a change, when the services change, and on resync().
    std::optional<Table> known_;
    std::uint64_t kernel_reads_ = 0;
};

}  // namespace vigil::ipvs
