#include "file_watch.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <cstring>

namespace vigil::checkers {

std::shared_ptr<FileWatch> FileWatch::create(boost::asio::io_context& io, const std::string& path,
                                             std::function<void()> changed) {
    auto slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : path.substr(0, slash ? slash : 1);
    std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    if (name.empty()) return nullptr;
    int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) return nullptr;
    auto w = std::make_shared<FileWatch>(io);
    boost::system::error_code ec;
    w->fd_.assign(fd, ec);
    if (ec) {
        ::close(fd);
        return nullptr;
    }
    if (::inotify_add_watch(fd, dir.c_str(), IN_CLOSE_WRITE | IN_DELETE | IN_MOVE) < 0) {
        return nullptr;  // fd_ closes the descriptor
    }
    w->name_ = std::move(name);
    w->changed_ = std::move(changed);
    w->read();
    return w;
}

FileWatch::~FileWatch() {
    boost::system::error_code ec;
    fd_.close(ec);
}

void FileWatch::read() {
    std::weak_ptr<FileWatch> weak = weak_from_this();
    fd_.async_read_some(boost::asio::buffer(buf_),
                        [weak](const boost::system::error_code& ec, std::size_t n) {
                            auto self = weak.lock();
                            if (!self || ec) return;
                            bool ours = false;
                            for (std::size_t off = 0; off + sizeof(inotify_event) <= n;) {
                                inotify_event ev;
                                std::memcpy(&ev, self->buf_.data() + off, sizeof ev);
                                const char* name = self->buf_.data() + off + sizeof ev;
                                if (ev.len > 0 && !(ev.mask & IN_ISDIR) &&
                                    std::strncmp(name, self->name_.c_str(), ev.len) == 0 &&
                                    self->name_.size() < ev.len) {
                                    ours = true;
                                }
                                off += sizeof ev + ev.len;
                            }
                            auto changed = self->changed_;
                            self->read();
                            if (ours && changed) changed();
                        });
}

}  // namespace vigil::checkers
