// The load-balancing table turned into what the kernel is told: the nftables transaction of a
// 1,000-server pool, of 10,000 services with 5 servers each, the chain-only transaction of one
// changed weight in that table, and the IPVS operations (diff) of the same change.
#include <benchmark/benchmark.h>

#include <string>

#include "vigil/ipvs/nftables.hpp"

using namespace vigil::ipvs;
namespace ip = boost::asio::ip;

namespace {

Address v4(std::uint32_t n) {
    return ip::address_v4(n);
}

// One service with `servers` NAT destinations of weights 1..4.
Service pool(std::uint32_t index, int servers, const std::string& scheduler) {
    Service s;
    s.id.address = v4(0x0a000000u + index);  // 10.0.0.0 + index
    s.id.port = 80;
    s.scheduler = scheduler;
    for (int i = 0; i < servers; ++i) {
        Destination d;
        d.address = v4(0xac100000u + static_cast<std::uint32_t>(i) * 256 + index % 250 + 1);
        d.port = 80;
        d.weight = 1 + i % 4;
        s.destinations.push_back(d);
    }
    return s;
}

Table table(int services, int servers) {
    Table t;
    for (int i = 0; i < services; ++i)
        t.push_back(pool(static_cast<std::uint32_t>(i), servers, "wlc"));
    normalize(t);
    return t;
}

void BM_RenderPool1000(benchmark::State& state) {
    Table t{pool(1, 1000, state.range(0) ? "wrr" : "rr")};
    normalize(t);
    const NftablesOptions o;
    for (auto _ : state) {
        auto r = render_nftables(t, o);
        benchmark::DoNotOptimize(r.text.data());
    }
    state.SetItemsProcessed(state.iterations() * 1000);
    state.SetLabel(state.range(0) ? "wrr, weights 1-4" : "rr");
}

void BM_Render10kServices(benchmark::State& state) {
    const Table t = table(10000, 5);
    const NftablesOptions o;
    for (auto _ : state) {
        auto r = render_nftables(t, o);
        benchmark::DoNotOptimize(r.text.data());
    }
}

Table with_one_weight_changed(Table t) {
    t[t.size() / 2].destinations[2].weight += 2;
    return t;
}

void BM_UpdateOneWeight10kServices(benchmark::State& state) {
    const Table before = table(10000, 5);
    const Table after = with_one_weight_changed(before);
    const NftablesOptions o;
    for (auto _ : state) {
        auto u = render_nftables_update(before, after, o);
        if (!u || u->text.empty()) {
            state.SkipWithError("expected one replaced chain");
            break;
        }
        benchmark::DoNotOptimize(u->text.data());
    }
}

void BM_DiffOneWeight10kServices(benchmark::State& state) {
    const Table before = table(10000, 5);
    const Table after = with_one_weight_changed(before);
    for (auto _ : state) {
        auto ops = diff(after, before);
        if (ops.size() != 1) {
            state.SkipWithError("expected one operation");
            break;
        }
        benchmark::DoNotOptimize(ops.data());
    }
}

}  // namespace

BENCHMARK(BM_RenderPool1000)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Render10kServices)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_UpdateOneWeight10kServices)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DiffOneWeight10kServices)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
