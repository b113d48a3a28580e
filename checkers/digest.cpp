#include "digest.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace vigil::checkers {

void Md5::Free::operator()(evp_md_ctx_st* ctx) const {
    EVP_MD_CTX_free(ctx);
}

Md5::Md5() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_md5(), nullptr) != 1) {
        throw std::runtime_error("MD5 unavailable");
    }
}

void Md5::update(std::span<const std::uint8_t> bytes) {
    if (!bytes.empty()) EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size());
}

Md5Digest Md5::finish() {
    Md5Digest d{};
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx_.get(), d.data(), &len);
    EVP_DigestInit_ex(ctx_.get(), EVP_md5(), nullptr);
    return d;
}

std::string to_hex(const Md5Digest& d) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string s;
    s.reserve(32);
    for (auto b : d) {
        s.push_back(hex[b >> 4]);
        s.push_back(hex[b & 15]);
    }
    return s;
}

}  // namespace vigil::checkers
