// Feeds arbitrary bytes through the receive path's pure steps: IPv4 split, decode, validate,
// and checks that whatever decodes re-encodes to a message that decodes the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "packet.hpp"

using namespace vigil::vrrp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const bool v6 = data[0] & 1;
    std::span<const std::uint8_t> bytes(data + 1, size - 1);
    boost::asio::ip::address src, dst;
    std::uint8_t ttl = 255;
    std::span<const std::uint8_t> message = bytes;
    if (v6) {
        src = boost::asio::ip::make_address("fe80::1");
        dst = boost::asio::ip::make_address("ff02::12");
    } else {
        auto ip = split_ipv4(bytes);
        if (!ip) return 0;
        src = ip->src;
        dst = ip->dst;
        ttl = ip->ttl;
        message = ip->payload;
    }
    auto advert = decode(message, src, dst);
    if (!advert) return 0;
    Expectation e;
    e.version = advert->version;
    e.vrid = advert->vrid;
    e.ipv6 = v6;
    e.vips = {v6 ? boost::asio::ip::make_address("2001:db8::1")
                 : boost::asio::ip::make_address("192.0.2.1")};
    (void)validate(*advert, ttl, e);
    auto again = decode(encode(*advert, src, dst), src, dst);
    if (!again) std::abort();
    if (advert->version == 3 && !(*again == *advert)) std::abort();
    return 0;
}
