// SMTP replies read incrementally: "NNN-..." lines continue, "NNN ..." ends a reply.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace vigil::checkers {

class SmtpReplyReader {
  public:
    static constexpr std::size_t max_line = 4096;
    // Consumes bytes up to the end of a complete reply; returns its code once complete (0 for a
    // malformed line). `consumed` tells how many bytes were used.
    std::optional<int> feed(std::span<const std::uint8_t> in, std::size_t& consumed);
    void reset() { line_.clear(); }

  private:
    std::string line_;
};

}  // namespace vigil::checkers
