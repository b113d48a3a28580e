// The VRRP advertisement codec: encode and decode (checksum included) of v2 over IPv4 and v3
// over IPv4 and IPv6, with 1 and 8 VIPs.
#include <benchmark/benchmark.h>

#include <string>

#include "packet.hpp"

using namespace vigil::vrrp;
namespace ip = boost::asio::ip;

namespace {

struct Case {
    Advert advert;
    ip::address src, dst;
};

Case make(int version, bool v6, int vips) {
    Case c;
    c.advert.version = version;
    c.advert.vrid = 51;
    c.advert.priority = 100;
    c.advert.interval_cs = 100;
    if (version == 2) {
        c.advert.auth_type = AuthType::pass;
        c.advert.auth = pad_password("secret");
    }
    for (int i = 0; i < vips; ++i)
        c.advert.addresses.push_back(v6 ? ip::make_address("2001:db8::" + std::to_string(0x100 + i))
                                        : ip::make_address("192.0.2." + std::to_string(10 + i)));
    c.src = v6 ? ip::make_address("fe80::1") : ip::make_address("10.0.0.1");
    c.dst = v6 ? ip::make_address("ff02::12") : ip::make_address("224.0.0.18");
    return c;
}

void encode_bench(benchmark::State& state, int version, bool v6) {
    const Case c = make(version, v6, static_cast<int>(state.range(0)));
    for (auto _ : state) {
        auto bytes = encode(c.advert, c.src, c.dst);
        benchmark::DoNotOptimize(bytes.data());
    }
    state.SetItemsProcessed(state.iterations());
}

void decode_bench(benchmark::State& state, int version, bool v6) {
    const Case c = make(version, v6, static_cast<int>(state.range(0)));
    const auto bytes = encode(c.advert, c.src, c.dst);
    for (auto _ : state) {
        auto advert = decode(bytes, c.src, c.dst);
        if (!advert || *advert != c.advert) {
            state.SkipWithError("decode did not give back the advert");
            break;
        }
        benchmark::DoNotOptimize(advert);
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_EncodeV2Ipv4(benchmark::State& s) {
    encode_bench(s, 2, false);
}
void BM_DecodeV2Ipv4(benchmark::State& s) {
    decode_bench(s, 2, false);
}
void BM_EncodeV3Ipv4(benchmark::State& s) {
    encode_bench(s, 3, false);
}
void BM_DecodeV3Ipv4(benchmark::State& s) {
    decode_bench(s, 3, false);
}
void BM_EncodeV3Ipv6(benchmark::State& s) {
    encode_bench(s, 3, true);
}
void BM_DecodeV3Ipv6(benchmark::State& s) {
    decode_bench(s, 3, true);
}

}  // namespace

BENCHMARK(BM_EncodeV2Ipv4)->Arg(1)->Arg(8);
BENCHMARK(BM_DecodeV2Ipv4)->Arg(1)->Arg(8);
BENCHMARK(BM_EncodeV3Ipv4)->Arg(1)->Arg(8);
BENCHMARK(BM_DecodeV3Ipv4)->Arg(1)->Arg(8);
BENCHMARK(BM_EncodeV3Ipv6)->Arg(1)->Arg(8);
BENCHMARK(BM_DecodeV3Ipv6)->Arg(1)->Arg(8);
BENCHMARK_MAIN();
