// Streaming MD5 (OpenSSL EVP) for HTTP_GET digests and vigil-genhash.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

struct evp_md_ctx_st;

namespace vigil::checkers {

using Md5Digest = std::array<std::uint8_t, 16>;

class Md5 {
  public:
    Md5();
    void update(std::span<const std::uint8_t> bytes);
    Md5Digest finish();  // the object is reset afterwards

  private:
    struct Free {
        void operator()(evp_md_ctx_st* ctx) const;
    };
    std::unique_ptr<evp_md_ctx_st, Free> ctx_;
};

std::string to_hex(const Md5Digest& d);

}  // namespace vigil::checkers
