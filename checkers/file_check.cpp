#include "file_check.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>

namespace vigil::checkers {

std::optional<std::int64_t> parse_track_value(std::string_view text) {
    std::string s(text.substr(0, 127));
    errno = 0;
    long long v = std::strtoll(s.c_str(), nullptr, 0);
    if (errno != 0 || v < static_cast<long long>(INT32_MIN) ||
        v > static_cast<long long>(INT32_MAX) + 1) {
        return std::nullopt;
    }
    return v;
}

std::optional<std::int64_t> read_track_value(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return 0;
    std::array<char, 128> buf{};
    ssize_t n = ::read(fd, buf.data(), buf.size() - 1);
    ::close(fd);
    if (n <= 0) return 0;
    return parse_track_value(std::string_view(buf.data(), static_cast<std::size_t>(n)));
}

ProbeOutcome file_outcome(std::int64_t value, int weight, bool reverse) {
    if (weight == 0) {
        bool down = (value != 0) != reverse;
        if (down) {
            return ProbeOutcome::fail(Failure::file_fault,
                                      "track file value " + std::to_string(value));
        }
        return ProbeOutcome::success();
    }
    std::int64_t w = value * weight * (reverse ? -1 : 1);
    if (w <= INT_MIN) {
        return ProbeOutcome::fail(Failure::file_fault,
                                  "track file value " + std::to_string(value) + " is a fault");
    }
    ProbeOutcome o = ProbeOutcome::success();
    o.offset = static_cast<int>(w > INT_MAX ? INT_MAX : w);
    return o;
}

}  // namespace vigil::checkers
