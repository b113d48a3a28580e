// One vrrp_instance: the pure fsm driven by loop timers and received adverts, its actions applied
// through InstanceIo (sockets, netlink, announcements) so that tests can replace the world.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "fsm.hpp"
#include "mac.hpp"
#include "packet.hpp"
#include "socket.hpp"
#include "sync_group.hpp"
#include "timer_queue.hpp"
#include "track.hpp"
#include "vigil/vrrp/config.hpp"
#include "vigil/vrrp/engine.hpp"

namespace vigil::vrrp {

class Instance;

// The side effects an instance needs, and what it tells of itself. The engine implements it
// with the real kernel.
class InstanceIo {
  public:
    virtual ~InstanceIo() = default;
    virtual std::expected<void, std::string> send_advert(const InstanceConfig& config, int ifindex,
                                                         std::span<const std::uint8_t> message,
                                                         const Address& src,
                                                         const Address& dst) = 0;
    virtual std::expected<void, std::string> add_address(int ifindex, const VirtualAddress&) = 0;
    virtual std::expected<void, std::string> remove_address(int ifindex, const VirtualAddress&) = 0;
    virtual std::expected<void, std::string> add_route(int ifindex, const VirtualRoute&) = 0;
    virtual std::expected<void, std::string> remove_route(int ifindex, const VirtualRoute&) = 0;
    virtual std::expected<void, std::string> add_rule(const VirtualRule&) = 0;
    virtual std::expected<void, std::string> remove_rule(const VirtualRule&) = 0;
    virtual std::expected<void, std::string> announce(int ifindex, const MacAddress& mac,
                                                      const Address& vip) = 0;
    virtual int ifindex_of(const std::string& name) = 0;  // 0: unknown
    // The MAC of another interface (a VIP's dev); empty: unknown.
    virtual std::optional<MacAddress> mac_of(int /*ifindex*/) { return std::nullopt; }
    // vrrp_strict without accept: the VIP must not answer while installed (blocked before it is
    // added, released after it is removed).
    virtual std::expected<void, std::string> filter_vip(const Address& vip, bool blocked) = 0;

    virtual void transitioned(Instance&, State /*from*/, State /*to*/) {}
    // A master received an advert of a lower priority.
    virtual void saw_lower_priority(Instance&) {}
    // The effective priority changed while running.
    virtual void priority_changed(Instance&) {}
};

// What the instance knows of its interface.
struct LinkInfo {
    int ifindex = 0;  // the interface adverts are received on
    bool up = false;
    MacAddress mac{};
    std::optional<Address> source;  // primary IPv4 or IPv6 link-local
    // use_vmac: where VIPs live and gratuitous ARPs leave from (with the virtual MAC), and where
    // adverts leave from (the base unless the vmac). 0: ifindex.
    int vip_ifindex = 0;
    int xmit_ifindex = 0;
    std::optional<MacAddress> announce_mac;
    // track_src_ip: whether the configured unicast_src_ip / mcast_src_ip is a local address.
    bool configured_source_present = true;
    // garp_extra_if without "all": the VMAC interfaces among the VIPs' interfaces.
    std::vector<int> vmac_ifindexes;
    // use_vmac_addr: the VMACs on other interfaces (or of the other family) VIPs go on.
    struct AddrVmac {
        std::string base;
        bool ipv6 = false;
        int ifindex = 0;
        MacAddress mac{};
    };
    std::vector<AddrVmac> addr_vmacs;
};

// garp_extra_if: which VIPs a periodic refresh announces. xmit_ifindex is where adverts leave
// (they keep that interface's MAC fresh themselves); with all, every other VIP interface,
// else only VMAC interfaces.
bool extra_if_announces(int vip_ifindex, int xmit_ifindex, bool all,
                        const std::vector<int>& vmac_ifindexes);

// check_unicast_src: a unicast advert must come from a unicast_peer.
bool unicast_source_allowed(const InstanceConfig& c, const Address& src);

// The instance's own reasons for FAULT that its configuration and link decide.
bool config_fault(const InstanceConfig& c, const LinkInfo& link);

class Instance {
  public:
    using TimePoint = TimerQueue::TimePoint;

    Instance(TimerQueue& timers, InstanceConfig config, InstanceIo& world);
    ~Instance();
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    void set_link(const LinkInfo& link);
    // From tracking: effective priority and the instance's own fault.
    void set_priority(const Priority& p);
    void set_group_fault(bool fault);
    // The operator's hold (vigilctl maintenance): BACKUP until released.
    void set_maintenance(bool on);
    // What moves the priority or holds the instance in FAULT now, for the status.
    void set_tracking(std::vector<std::string> effects) { tracking_ = std::move(effects); }
    bool maintenance() const { return maintenance_; }
    void start();
    // A datagram on this instance's socket naming its VRID; validated here, counted if dropped.
    void receive(const RawPacket& packet, const Advert& advert);
    // Reload: whether next can replace the running config without a restart, and doing so
    // (VIP and route differences applied while master, state kept).
    bool can_update(const InstanceConfig& next) const;
    void update(const InstanceConfig& next);
    void force(GroupOrder order);
    // Priority-0 advert (if master), VIPs removed, timers cancelled. Synchronous.
    void shutdown();

    const InstanceConfig& config() const { return config_; }
    State state() const { return fsm_.state; }
    int effective_priority() const { return priority_.effective; }
    bool own_fault() const { return own_fault_; }
    SocketKey socket_key() const;
    InstanceStatus status() const;
    void count_drop(DropReason r) {
        if (!drops_) drops_ = std::make_unique<Drops>();
        ++(*drops_)[static_cast<std::size_t>(r)];
    }

  private:
    // base: when the event happened (packet arrival, timer deadline); timers arm from it.
    void handle(const Event& e, TimePoint base);
    void apply(const Action& a, TimePoint base);
    void send(std::uint8_t priority);
    void add_vips();
    void remove_vips();
    void add_vip(const VirtualAddress& v);
    void remove_vip(const VirtualAddress& v);
    // Queues `repeat` rounds of announcements for every VIP; sent now or spaced by
    // garp_interval / gna_interval.
    void garp_burst(unsigned repeat);
    void garp_step(TimePoint deadline);
    void on_timer(Event e, TimePoint deadline);
    void cancel_timers();
    int vip_ifindex(const VirtualAddress& v);
    int route_ifindex(const VirtualRoute& r);
    bool filtered() const;
    const std::vector<std::uint8_t>& wire(std::size_t peer);
    void update_fault();
    FsmParams params() const;
    Expectation expectation(const Address& src) const;
    Address advert_destination(std::size_t peer) const;
    std::uint16_t interval_cs() const;
    void error(const std::string& reason);

    InstanceConfig config_;
    InstanceIo& world_;
    FsmState fsm_;
    LinkInfo link_;
    Priority priority_;
    bool own_fault_ = false;
    bool group_fault_ = false;
    bool maintenance_ = false;
    std::string last_cause_;
    std::vector<std::string> tracking_;
    bool started_ = false;
    bool vips_installed_ = false;
    std::optional<Address> master_;
    std::optional<Address> last_sender_;

    TimerQueue& timers_;
    void garp_extra();
    MacAddress announce_mac(const VirtualAddress& v, int ifindex);
    const LinkInfo::AddrVmac* addr_vmac(const VirtualAddress& v) const;

    TimerQueue::Entry master_down_, advert_, preempt_, garp_delay_, garp_refresh_, garp_gap_,
        garp_extra_;
    unsigned garp_delay_repeat_ = 0;
    // Announcements still to send in the running burst: (round, VIP index) cursor.
    unsigned garp_rounds_ = 0, garp_round_ = 0;
    std::size_t garp_next_ = 0;

    // Encoded adverts at the current priority, one per destination, rebuilt when it changes.
    std::vector<std::vector<std::uint8_t>> wire_;
    int wire_priority_ = -1;
    Address wire_src_;

    TimePoint last_transition_{};
    // Made at the first drop: most instances never see one.
    using Drops = std::array<std::uint64_t, kDropReasonCount>;
    std::unique_ptr<Drops> drops_;
    std::unique_ptr<std::map<std::string, std::uint64_t>> errors_;  // made at the first error
    std::uint64_t sent_ = 0, received_ = 0, zero_sent_ = 0, zero_received_ = 0, became_master_ = 0,
                  released_master_ = 0;
};

}  // namespace vigil::vrrp
