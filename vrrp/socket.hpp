// Raw IP protocol 112 sockets: one per (interface, family, multicast group or unicast), shared by
// the instances on it. Receives on the io_context; sends synchronously (non-blocking).
#pragma once

#include <sys/socket.h>
#include <time.h>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "packet.hpp"
#include "vigil/common/clock.hpp"
#include "vigil/vrrp/config.hpp"

namespace vigil::vrrp {

inline const Address kGroupV4 = boost::asio::ip::make_address("224.0.0.18");
inline const Address kGroupV6 = boost::asio::ip::make_address("ff02::12");

struct SocketKey {
    int ifindex = 0;
    bool ipv6 = false;
    std::optional<Address> group;  // empty: unicast
    bool operator==(const SocketKey&) const = default;
    bool operator<(const SocketKey& o) const {
        return std::tie(ifindex, ipv6, group) < std::tie(o.ifindex, o.ipv6, o.group);
    }
};

struct SocketOptions {
    SocketKey key;
    std::string ifname;
    std::uint8_t unicast_ttl = 255;
    bool receive = true;  // false: a send-only socket (a vmac's), joins no group
};

// One datagram as the kernel delivered it.
struct RawPacket {
    Address src;
    Address dst;
    std::uint8_t ttl = 0;                   // IPv4 TTL or IPv6 hop limit
    std::span<const std::uint8_t> message;  // the VRRP message, no IP header
    // When the kernel received it (SO_TIMESTAMPNS, moved to the clock's time line); unset: now.
    Clock::time_point arrival{};
};

// SO_TIMESTAMPNS stamps are CLOCK_REALTIME; timers run on the injected clock. Maps a stamp to
// that clock through its age at (real_now, now) (pure).
Clock::time_point steady_arrival(const timespec& stamp, const timespec& real_now,
                                 Clock::time_point now);

struct SocketCounters {
    std::uint64_t received = 0;
    std::uint64_t sent = 0;
    std::uint64_t send_failed = 0;
    std::uint64_t receive_errors = 0;
    std::uint64_t wrong_destination = 0;  // e.g. multicast seen by the unicast socket
    std::uint64_t truncated = 0;
};

// Where recvmmsg puts a batch of datagrams. One serves every socket of an engine: they drain
// one at a time on the loop. Its pages are touched only by what arrives.
class ReceiveArea {
  public:
    static constexpr std::size_t kBatch = 16;
    static std::shared_ptr<ReceiveArea> make();

  private:
    friend class VrrpSocket;
    struct Slot {
        alignas(cmsghdr) std::array<char, 256> control;
        sockaddr_storage from;
        std::array<std::uint8_t, 2048> data;
        iovec iov;
    };
    std::array<Slot, kBatch> slots;
    std::array<mmsghdr, kBatch> messages;
};

class VrrpSocket {
  public:
    using Handler = std::function<void(const RawPacket&)>;

    // Arrival stamps are given on clock's time line. area: shared with the engine's other
    // sockets; none: the socket makes its own at the first datagram.
    static std::expected<std::unique_ptr<VrrpSocket>, std::string> open(
        boost::asio::io_context& io, const Clock& clock, const SocketOptions& options,
        std::shared_ptr<ReceiveArea> area = nullptr);
    ~VrrpSocket();
    VrrpSocket(const VrrpSocket&) = delete;
    VrrpSocket& operator=(const VrrpSocket&) = delete;

    // Starts the receive loop; handler runs on the io_context for every datagram.
    void start(Handler handler);

    // Sends one VRRP message from src (forced with IP_PKTINFO / IPV6_PKTINFO) to dst.
    std::expected<void, std::string> send(std::span<const std::uint8_t> message, const Address& src,
                                          const Address& dst);

    // Batched sending: queue() copies the message; flush() hands all queued ones to the kernel
    // with sendmmsg (also done when the batch is full).
    void queue(std::span<const std::uint8_t> message, const Address& src, const Address& dst);
    void flush();
    bool queued() const { return !batch_.empty(); }

    const SocketKey& key() const { return options_.key; }
    const SocketCounters& counters() const { return counters_; }

  private:
    struct Outgoing {
        std::size_t offset = 0, length = 0;
        sockaddr_storage to{};
        socklen_t to_length = 0;
        alignas(cmsghdr) std::array<char, 64> control{};
        std::size_t control_length = 0;
    };
    static constexpr std::size_t kBatch = 64;

    VrrpSocket(boost::asio::io_context& io, const Clock& clock, int fd, SocketOptions options);
    void address(Outgoing& o, const Address& src, const Address& dst) const;
    void arm();
    void drain();
    void deliver(const msghdr& msg, std::span<const std::uint8_t> data, const timespec& real,
                 Clock::time_point now);

    SocketOptions options_;
    const Clock& clock_;
    boost::asio::posix::stream_descriptor fd_;  // owns the descriptor
    Handler handler_;
    std::shared_ptr<ReceiveArea> area_;
    SocketCounters counters_;
    // Reused between batches: no allocation once warm.
    std::vector<std::uint8_t> batch_bytes_;
    std::vector<Outgoing> batch_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vigil::vrrp
