// MD5 (RFC 1321) for HTTP_GET/SSL_GET digests and vigil-genhash: pure, streamed over a body as
// it arrives, and no cryptographic library to map for it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace vigil::checkers {

using Md5Digest = std::array<std::uint8_t, 16>;

class Md5 {
  public:
    void update(std::span<const std::uint8_t> bytes);
    Md5Digest finish();  // the object is reset afterwards

  private:
    void block(const std::uint8_t* p);

    std::array<std::uint32_t, 4> state_{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    std::array<std::uint8_t, 64> buffer_{};
    std::size_t buffered_ = 0;
    std::uint64_t length_ = 0;  // bytes so far
};

Md5Digest md5(std::span<const std::uint8_t> bytes);
Md5Digest md5(std::string_view text);
std::string to_hex(const Md5Digest& d);

}  // namespace vigil::checkers
