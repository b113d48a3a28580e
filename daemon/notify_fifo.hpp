// Notify FIFOs (notify_fifo, vrrp_notify_fifo, lvs_notify_fifo): keepalived's event lines, in
// transition order, written to a named pipe without ever blocking the loop on its reader.
// The process must ignore SIGPIPE (the daemon does): a reader leaving is then EPIPE.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "vigil/common/clock.hpp"

namespace vigil {

// ---- keepalived 2.2.7's lines (each ends with '\n'). Pure. ------------------------------------

// INSTANCE "VI_1" MASTER 150 (also MASTER_RX_LOWER_PRI, MASTER_PRIORITY, BACKUP_PRIORITY).
std::string fifo_instance_line(std::string_view instance, std::string_view state, int priority);
// GROUP "G1" MASTER 0: a group's priority is always 0.
std::string fifo_group_line(std::string_view group, std::string_view state);
// [10.0.0.1]:tcp:80, [2001:db8::1]:udp:53: how keepalived names a service or a real server.
std::string fifo_endpoint(const boost::asio::ip::address& address, std::string_view protocol,
                          std::uint16_t port);
// VS [10.0.0.1]:tcp:80 UP (quorum gained) / DOWN (lost).
std::string fifo_vs_line(std::string_view vs, bool up);
// RS [10.1.0.1]:tcp:80 [10.0.0.1]:tcp:80 UP / DOWN.
std::string fifo_rs_line(std::string_view rs, std::string_view vs, bool up);

// ---- the queue policy. Pure. ----------------------------------------------------------------

// Whole lines waiting for the reader, bounded in bytes. A line that does not fit is refused
// (the caller counts it), so what the reader gets is always a prefix of the lines, never a
// torn one.
class FifoQueue {
  public:
    explicit FifoQueue(std::size_t capacity) : capacity_(capacity) {}

    bool push(std::string line);
    // The bytes to write next: the unwritten rest of the batch in flight, else a new batch of
    // every queued line. Stays valid until written() or reader_gone(); push() leaves it alone.
    std::string_view next();
    void written(std::size_t n);
    // The reader went away: the rest of a line it got only part of is dropped (a new reader
    // must start on a line boundary). Returns the lines lost (0 or 1).
    std::size_t reader_gone();

    std::size_t bytes() const { return queued_bytes_ + batch_.size() - sent_; }
    bool empty() const { return bytes() == 0; }
    std::size_t capacity() const { return capacity_; }

  private:
    std::size_t capacity_;
    std::deque<std::string> queued_;
    std::size_t queued_bytes_ = 0;
    std::string batch_;
    std::size_t sent_ = 0;
};

// ---- the writer ------------------------------------------------------------------------------

struct FifoCounters {
    std::uint64_t lines_queued = 0;
    std::uint64_t bytes_written = 0;
    std::uint64_t dropped_queue_full = 0;  // the reader is there but too slow
    std::uint64_t dropped_no_reader = 0;   // nobody has the FIFO open for reading
    std::uint64_t opens = 0;               // successful opens (the first and each reopen)
    std::uint64_t open_errors = 0;         // failures other than "no reader yet"
    std::uint64_t write_errors = 0;
};

struct FifoSettings {
    std::size_t capacity = 64 * 1024;  // as much as a Linux pipe holds by default
    std::chrono::milliseconds retry = std::chrono::milliseconds(100);  // reopen while lines wait
    std::optional<std::pair<unsigned, unsigned>> owner;  // uid, gid given to a FIFO we create
};

class NotifyFifo {
  public:
    using Log = std::function<void(std::string)>;

    // Creates the FIFO when PATH does not exist (mode 0644, removed again on destruction);
    // an existing path that is not a FIFO is an error. Opening waits for the first line or
    // a reader: open(O_WRONLY | O_NONBLOCK) fails with ENXIO until someone reads.
    static std::expected<std::unique_ptr<NotifyFifo>, std::string> create(
        boost::asio::io_context& io, Clock& clock, std::string path, FifoSettings settings,
        Log log);
    ~NotifyFifo();
    NotifyFifo(const NotifyFifo&) = delete;
    NotifyFifo& operator=(const NotifyFifo&) = delete;

    // Queues one line (with its '\n') and writes when the pipe has room; never blocks.
    void write(std::string line);

    const std::string& path() const { return path_; }
    bool connected() const { return fd_.is_open(); }
    bool idle() const { return queue_.empty(); }  // everything written
    const FifoCounters& counters() const { return counters_; }

  private:
    struct Key {
        explicit Key() = default;
    };

  public:
    NotifyFifo(Key, boost::asio::io_context& io, Clock& clock, std::string path,
               FifoSettings settings, Log log, bool created);

  private:
    bool try_open();
    void arm_retry();
    void pump();
    void on_written(const boost::system::error_code& ec, std::size_t n);

    std::string path_;
    FifoSettings settings_;
    Log log_;
    bool created_;
    boost::asio::posix::stream_descriptor fd_;
    Clock::Alarm retry_;  // reopens while lines wait for a reader
    FifoQueue queue_;
    bool writing_ = false;
    int last_open_errno_ = 0;
    FifoCounters counters_;
    std::shared_ptr<char> alive_ = std::make_shared<char>();  // handlers check it is still there
};

}  // namespace vigil
