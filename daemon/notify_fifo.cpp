#include "notify_fifo.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>

namespace vigil {

// ---- lines ------------------------------------------------------------------------------------

std::string fifo_instance_line(std::string_view instance, std::string_view state, int priority) {
    return fmt::format("INSTANCE \"{}\" {} {}\n", instance, state, priority);
}

std::string fifo_group_line(std::string_view group, std::string_view state) {
    return fmt::format("GROUP \"{}\" {} 0\n", group, state);
}

std::string fifo_endpoint(const boost::asio::ip::address& address, std::string_view protocol,
                          std::uint16_t port) {
    return fmt::format("[{}]:{}:{}", address.to_string(), protocol, port);
}

std::string fifo_vs_line(std::string_view vs, bool up) {
    return fmt::format("VS {} {}\n", vs, up ? "UP" : "DOWN");
}

std::string fifo_rs_line(std::string_view rs, std::string_view vs, bool up) {
    return fmt::format("RS {} {} {}\n", rs, vs, up ? "UP" : "DOWN");
}

// ---- queue ------------------------------------------------------------------------------------

bool FifoQueue::push(std::string line) {
    if (line.empty()) return true;
    if (bytes() + line.size() > capacity_) return false;
    queued_bytes_ += line.size();
    queued_.push_back(std::move(line));
    return true;
}

std::string_view FifoQueue::next() {
    if (sent_ == batch_.size()) {
        batch_.clear();
        sent_ = 0;
        batch_.reserve(queued_bytes_);
        for (auto& l : queued_) batch_ += l;
        queued_.clear();
        queued_bytes_ = 0;
    }
    return std::string_view(batch_).substr(sent_);
}

void FifoQueue::written(std::size_t n) {
    sent_ = std::min(batch_.size(), sent_ + n);
}

std::size_t FifoQueue::reader_gone() {
    if (sent_ == 0 || sent_ == batch_.size() || batch_[sent_ - 1] == '\n') return 0;
    const auto eol = batch_.find('\n', sent_);
    sent_ = eol == std::string::npos ? batch_.size() : eol + 1;
    return 1;
}

// ---- writer -----------------------------------------------------------------------------------

std::expected<std::unique_ptr<NotifyFifo>, std::string> NotifyFifo::create(
    boost::asio::io_context& io, Clock& clock, std::string path, FifoSettings settings, Log log) {
    if (path.empty()) return std::unexpected(std::string("empty FIFO path"));
    bool created = false;
    // keepalived's mode: the owner writes, everyone may read.
    if (::mkfifo(path.c_str(), S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH) == 0) {
        created = true;
        // As keepalived: a FIFO we could not give away is still used.
        if (settings.owner &&
            ::chown(path.c_str(), settings.owner->first, settings.owner->second) != 0 && log)
            log(fmt::format("Failed to set uid:gid for fifo {}: {}", path, std::strerror(errno)));
    } else if (errno != EEXIST) {
        return std::unexpected(fmt::format("mkfifo {}: {}", path, std::strerror(errno)));
    } else {
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0)
            return std::unexpected(fmt::format("{}: {}", path, std::strerror(errno)));
        if (!S_ISFIFO(st.st_mode)) return std::unexpected(fmt::format("{}: not a FIFO", path));
    }
    auto f = std::make_unique<NotifyFifo>(Key{}, io, clock, std::move(path), std::move(settings),
                                          std::move(log), created);
    f->try_open();
    return f;
}

NotifyFifo::NotifyFifo(Key, boost::asio::io_context& io, Clock& clock, std::string path,
                       FifoSettings settings, Log log, bool created)
    : path_(std::move(path)),
      settings_(std::move(settings)),
      log_(std::move(log)),
      created_(created),
      fd_(io),
      retry_(clock, [this] { pump(); }),
      queue_(settings_.capacity) {}

NotifyFifo::~NotifyFifo() {
    alive_.reset();
    boost::system::error_code ignored;
    fd_.close(ignored);
    if (created_) ::unlink(path_.c_str());
}

bool NotifyFifo::try_open() {
    if (fd_.is_open()) return true;
    const int fd = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        // ENXIO: no reader yet, the normal case until one comes.
        if (err != ENXIO) {
            ++counters_.open_errors;
            if (err != last_open_errno_ && log_)
                log_(fmt::format("notify FIFO {}: {}", path_, std::strerror(err)));
        }
        last_open_errno_ = err;
        return false;
    }
    last_open_errno_ = 0;
    boost::system::error_code ec;
    fd_.assign(fd, ec);
    if (ec) {
        ::close(fd);
        ++counters_.open_errors;
        return false;
    }
    ++counters_.opens;
    return true;
}

void NotifyFifo::arm_retry() {
    if (!retry_.armed()) retry_.arm_after(settings_.retry);
}

void NotifyFifo::write(std::string line) {
    const std::size_t n = line.size();
    if (!queue_.push(std::move(line))) {
        ++(connected() ? counters_.dropped_queue_full : counters_.dropped_no_reader);
        return;
    }
    if (n) ++counters_.lines_queued;
    pump();
}

void NotifyFifo::pump() {
    if (writing_ || queue_.empty()) return;
    if (!try_open()) {
        arm_retry();
        return;
    }
    const auto bytes = queue_.next();
    writing_ = true;
    boost::asio::async_write(fd_, boost::asio::buffer(bytes.data(), bytes.size()),
                             [this, alive = std::weak_ptr<char>(alive_)](
                                 const boost::system::error_code& ec, std::size_t n) {
                                 if (alive.expired()) return;
                                 on_written(ec, n);
                             });
}

void NotifyFifo::on_written(const boost::system::error_code& ec, std::size_t n) {
    writing_ = false;
    queue_.written(n);
    counters_.bytes_written += n;
    if (ec == boost::asio::error::operation_aborted) return;
    if (ec) {
        // EPIPE: the reader closed its end. The rest waits for the next reader.
        if (ec != boost::asio::error::broken_pipe) {
            ++counters_.write_errors;
            if (log_) log_(fmt::format("notify FIFO {}: {}", path_, ec.message()));
        }
        counters_.dropped_no_reader += queue_.reader_gone();
        boost::system::error_code ignored;
        fd_.close(ignored);
    }
    pump();
}

}  // namespace vigil
