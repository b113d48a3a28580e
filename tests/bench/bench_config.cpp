// The configuration parser on the files of tests/bench/compare_keepalived.py: 1,000
// vrrp_instances, and 10,000 virtual servers with 5 real servers each (50,000 TCP_CHECKs).
// "Load" is what start-up and reload do; "CheckOnly" is `vigild -t` (real servers checked,
// not kept). Interfaces, users and scripts are not looked up on this host.
#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include <string>

#include "config/config.hpp"

namespace {

// compare_keepalived.py's gen_instances(n): 250 VRIDs on each of eth0..eth3.
std::string instances(int n) {
    std::string out =
        "global_defs {\n    router_id many\n    enable_script_security\n    script_user root\n}\n";
    for (int i = 0; i < n; ++i)
        out += fmt::format(
            "vrrp_instance VI_{} {{\n    state BACKUP\n    interface eth{}\n"
            "    virtual_router_id {}\n    priority 100\n    advert_int 1\n"
            "    virtual_ipaddress {{\n        10.{}.{}.1/32\n    }}\n}}\n",
            i, i / 250, i % 250 + 1, 100 + i / 250, i % 250);
    return out;
}

// compare_keepalived.py's gen_lvs(vs, rs).
std::string lvs(int vs_count, int rs_per_vs) {
    std::string out = "global_defs {\n    router_id lvs\n}\n";
    for (int v = 0; v < vs_count; ++v) {
        out += fmt::format(
            "virtual_server 10.{}.{}.{} 80 {{\n    delay_loop 10\n    lb_algo wlc\n"
            "    lb_kind DR\n    protocol TCP\n",
            v / 65536 % 256, v / 256 % 256, v % 256);
        for (int r = 0; r < rs_per_vs; ++r)
            out += fmt::format(
                "    real_server 172.16.{}.{} 80 {{\n        weight 1\n"
                "        TCP_CHECK {{\n            connect_timeout 3\n        }}\n    }}\n",
                r, v % 250 + 1);
        out += "}\n";
    }
    return out;
}

vigil::config::LoadOptions options(bool check_only) {
    vigil::config::LoadOptions o;
    o.check_interfaces = false;
    o.check_users = false;
    o.check_scripts = false;
    o.check_only = check_only;
    return o;
}

void parse(benchmark::State& state, const std::string& text, bool check_only, std::size_t expect_vs,
           std::size_t expect_instances) {
    const auto o = options(check_only);
    for (auto _ : state) {
        auto r = vigil::config::load_string(text, "bench.conf", o);
        if (!r.ok() || r.config.lvs.virtual_servers.size() != expect_vs ||
            r.config.vrrp.instances.size() != expect_instances) {
            state.SkipWithError("the file did not load as generated");
            break;
        }
        benchmark::DoNotOptimize(r);
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}

void BM_Load1000Instances(benchmark::State& s) {
    static const std::string text = instances(1000);
    parse(s, text, false, 0, 1000);
}
void BM_CheckOnly1000Instances(benchmark::State& s) {
    static const std::string text = instances(1000);
    parse(s, text, true, 0, 1000);
}
void BM_Load10kVs50kRs(benchmark::State& s) {
    static const std::string text = lvs(10000, 5);
    parse(s, text, false, 10000, 0);
}
void BM_CheckOnly10kVs50kRs(benchmark::State& s) {
    static const std::string text = lvs(10000, 5);
    parse(s, text, true, 10000, 0);
}

}  // namespace

BENCHMARK(BM_Load1000Instances)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CheckOnly1000Instances)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Load10kVs50kRs)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CheckOnly10kVs50kRs)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
