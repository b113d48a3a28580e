// HTTP_GET/SSL_GET `regex`: a bounded window of the body kept while it streams in, searched
// once the response is complete. Pure: no sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <regex>
#include <span>
#include <string>
#include <vector>

namespace vigil::checkers {

using BodyRegex = std::shared_ptr<const std::regex>;

// ECMAScript, matched in linear stack (no back-references); "caseless" and "multiline" apply.
std::expected<BodyRegex, std::string> compile_body_regex(const std::string& pattern,
                                                         const std::vector<std::string>& options);

class RegexWindow {
  public:
    // Bytes of the body kept past max_offset (a match must start before it) or from
    // min_offset on when max_offset is 0; bounds the work and the memory of one probe.
    // The search runs on the event loop and is quadratic at worst: 4 KiB bounds a hostile
    // pattern to milliseconds-scale work, as keepalived searches one read buffer.
    static constexpr std::size_t max_window = 4 * 1024;

    RegexWindow(std::size_t min_offset, std::size_t max_offset)
        : min_(min_offset), max_(max_offset) {}
    // Body bytes in order as they arrive.
    void feed(std::span<const std::uint8_t> body);
    // True when a match starts in [min_offset, max_offset) within the kept window.
    bool matches(const std::regex& re) const;

  private:
    std::size_t min_;
    std::size_t max_;
    std::size_t seen_ = 0;  // body bytes fed so far
    std::string window_;    // body bytes from offset min_ on, at most max_window
};

}  // namespace vigil::checkers
