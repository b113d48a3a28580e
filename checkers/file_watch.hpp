// An inotify watch on the directory of one file, on the io_context: calls back when the file
// is written (closed after writing), moved in or out, or deleted.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <functional>
#include <memory>
#include <string>

namespace vigil::checkers {

class FileWatch : public std::enable_shared_from_this<FileWatch> {
  public:
    // nullptr when inotify or the directory is not available (the caller polls instead).
    static std::shared_ptr<FileWatch> create(boost::asio::io_context& io, const std::string& path,
                                             std::function<void()> changed);
    explicit FileWatch(boost::asio::io_context& io) : fd_(io) {}
    ~FileWatch();
    FileWatch(const FileWatch&) = delete;
    FileWatch& operator=(const FileWatch&) = delete;

  private:
    void read();

    boost::asio::posix::stream_descriptor fd_;
    std::string name_;
    std::function<void()> changed_;
    alignas(8) std::array<char, 4096> buf_{};
};

}  // namespace vigil::checkers
